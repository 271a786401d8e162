/**
 * deploy/k8s as far as a container engine without a cluster can take it:
 *
 * - `podman kube play` of the kustomize output runs the Deployment's pod from the image built
 *   from the Dockerfile, with the manifest's user, read-only root filesystem, dropped
 *   capabilities and resource limits, and the server in it reports SERVING and answers the host
 *   (on a free port of 127.0.0.1: the copy podman plays gets hostIP and hostPort). (Podman ignores
 *   the Service, HPA, PDB and the gRPC probes; Docker has no `kube play`, and the test says so.)
 * - Everything else is checked on the manifests themselves, as `kubectl apply --dry-run=client`
 *   cannot without a cluster: kinds and API versions, selectors that match the pod template,
 *   the Service's named target port, the HPA's target, the PDB against the HPA's minimum, and
 *   memory limits above the figure measured under load (deploy/README.md).
 *
 * The kustomize output comes from `kubectl kustomize` when kubectl is installed, else from the
 * same resources with kustomization.yaml's image and labels applied here (and the test says so).
 * Run once per `pnpm test` (the `test:containers` task); alone:
 * cd packages/system-tests && pnpm test:containers kube
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createHelloClient } from "@hello/client";
import { readEnv } from "@hello/server";
import { freePort, run, stopAll, tempDir } from "../test-support/processes.js";
import { root } from "../test-support/server-bundle.js";
import {
  baseImages,
  buildImage,
  type ContainerEngine,
  type ContainerInfo,
  containerEngine,
  inspect,
  serverImage,
} from "./support/container-engine.js";
import { kustomize, type Manifest, parseQuantity, yamlToJson } from "./support/kustomize.js";

let engine: ContainerEngine;
let manifests: Manifest[];

beforeAll(async () => {
  engine = await containerEngine(baseImages());
  await buildImage(engine, serverImage());
  const { yaml, how } = await kustomize(join(root, "deploy/k8s"));
  console.info(`deploy/k8s: ${how}`);
  manifests = yamlToJson(yaml);
}, 1_500_000);

afterAll(stopAll, 60_000);

const byKind = (kind: string) => {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found.map((m) => m.kind)).toEqual([kind]);
  return found[0]!;
};

/** Whether every label of `selector` is on `labels`. */
const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  Object.keys(selector ?? {}).length > 0 && Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

describe("deploy/k8s, validated without a cluster", () => {
  it("has one Deployment, Service, HorizontalPodAutoscaler and PodDisruptionBudget, at current API versions", () => {
    expect(manifests.map((m) => `${m.apiVersion} ${m.kind}`).sort()).toEqual(
      ["apps/v1 Deployment", "autoscaling/v2 HorizontalPodAutoscaler", "policy/v1 PodDisruptionBudget", "v1 Service"].sort(),
    );
    for (const m of manifests) expect(m.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  it("selects the Deployment's pods from the Deployment, the Service and the PDB; the Service's target port is named on the container", () => {
    const deployment = byKind("Deployment");
    const podLabels = deployment.spec.template.metadata.labels;
    expect(selects(deployment.spec.selector.matchLabels, podLabels)).toBe(true);
    const service = byKind("Service");
    expect(selects(service.spec.selector, podLabels)).toBe(true);
    const portNames = deployment.spec.template.spec.containers.flatMap((c: { ports?: Array<{ name: string }> }) =>
      (c.ports ?? []).map((p) => p.name),
    );
    for (const port of service.spec.ports) expect(portNames).toContain(port.targetPort);
    expect(selects(byKind("PodDisruptionBudget").spec.selector.matchLabels, podLabels)).toBe(true);
  });

  it("scales the Deployment with the HPA, on CPU the containers request, and never below what the PDB needs", () => {
    const deployment = byKind("Deployment");
    const hpa = byKind("HorizontalPodAutoscaler");
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: deployment.apiVersion, kind: "Deployment", name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);
    expect(deployment.spec.replicas).toBeUndefined();
    for (const container of deployment.spec.template.spec.containers) expect(container.resources?.requests?.cpu).toBeDefined();
    // One pod may be disrupted while another still serves.
    expect(byKind("PodDisruptionBudget").spec.maxUnavailable).toBeLessThan(hpa.spec.minReplicas);
  });

  it("gives the server more memory than it was measured to use under load (deploy/README.md), and requests no more than its limits", () => {
    const readme = readFileSync(join(root, "deploy/README.md"), "utf8");
    const measuredMiB = Number(/peak resident set size[^\n]*?(\d+) MiB/i.exec(readme)?.[1]);
    expect(measuredMiB).toBeGreaterThan(0);
    const [container] = byKind("Deployment").spec.template.spec.containers;
    const { requests, limits } = container.resources;
    expect(parseQuantity(limits.memory)).toBeGreaterThanOrEqual(1.25 * measuredMiB * 2 ** 20);
    expect(parseQuantity(requests.memory)).toBeLessThanOrEqual(parseQuantity(limits.memory));
    expect(parseQuantity(requests.cpu)).toBeLessThanOrEqual(parseQuantity(limits.cpu));
  });

  it("runs the image's user, non-root, read-only, with no capabilities, and waits longer than the server drains", () => {
    const pod = byKind("Deployment").spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 });
    const [container] = pod.containers;
    expect(container.image).toBe(serverImage());
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(readEnv(env).SHUTDOWN_GRACE_MS);
  });
});

describe("deploy/k8s, played by the container engine", () => {
  it("runs the Deployment's pod with the manifest's user, read-only root, no capabilities and limits; the server in it is SERVING and answers the host", async () => {
    if (engine.name !== "podman") {
      console.warn(
        `deploy/k8s: ${engine.name} cannot play Kubernetes manifests (podman kube play can): the pod was not run, only validated above`,
      );
      return;
    }
    // Podman publishes a containerPort without hostPort on every host address, at the same
    // number: the copy it plays gets a free port on 127.0.0.1 instead (hostIP, hostPort),
    // nothing else changed.
    const hostPort = await freePort();
    const played = manifests.map((m) => structuredClone(m));
    for (const c of played.find((m) => m.kind === "Deployment")!.spec.template.spec.containers) {
      for (const port of c.ports ?? []) Object.assign(port, { hostIP: "127.0.0.1", hostPort });
    }
    const file = join(tempDir("hello-kube-"), "manifests.yaml");
    writeFileSync(file, played.map((m) => JSON.stringify(m, null, 2)).join("\n---\n"));
    // --replace: a pod of the same name left by an interrupted run goes first.
    const output = await engine.cli(["kube", "play", "--replace", file], 180_000).catch(async (e: unknown) => {
      await run("podman", ["kube", "down", file], { cwd: root, timeoutMs: 60_000, env: engine.env }).catch(() => undefined);
      throw e;
    });
    const pods = /Pod:\n([0-9a-f]{64})/.exec(output)?.[1];
    const containers = /Containers?:\n((?:[0-9a-f]{64}\n?)+)/.exec(output)?.[1]?.split("\n").filter(Boolean) ?? [];
    try {
      expect(pods).toBeDefined();
      expect(containers).toHaveLength(1);
      const [info] = await inspect<ContainerInfo>(engine, "container", containers);
      const [container] = byKind("Deployment").spec.template.spec.containers;
      expect(info!.Config.User).toBe("1000:1000");
      expect(info!.HostConfig.ReadonlyRootfs).toBe(true);
      expect((info!.HostConfig.CapDrop ?? []).length).toBeGreaterThan(0);
      expect(info!.HostConfig.CapAdd ?? []).toEqual([]);
      expect(info!.HostConfig.Memory).toBe(parseQuantity(container.resources.limits.memory));
      expect((info!.HostConfig.CpuQuota ?? 0) / (info!.HostConfig.CpuPeriod || 100_000)).toBe(
        parseQuantity(container.resources.limits.cpu),
      );
      const status = await engine.cli(["exec", containers[0]!, "cat", "/proc/1/status"]);
      expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe("1000");
      expect(/^CapEff:\s+(\w+)/m.exec(status)?.[1]).toBe("0000000000000000");
      // The gRPC probes' check, from inside the pod (podman does not run them).
      const port = container.ports[0].containerPort;
      let probe = "";
      for (let attempt = 0; attempt < 30 && !probe.includes("SERVING"); attempt++) {
        probe = await engine
          .cli(["exec", containers[0]!, "node", "dist/probe/main.js", "--addr", `127.0.0.1:${port}`, "--timeout", "1s"])
          .catch(async () => (await new Promise((resolve) => setTimeout(resolve, 500)), ""));
      }
      expect(probe).toBe("status: SERVING\n");
      // And from the host, over gRPC.
      const client = createHelloClient({ baseUrl: `http://127.0.0.1:${hostPort}`, protocol: "grpc" });
      try {
        expect((await client.sayHello({ greeting: "pod" }, { timeoutMs: 5_000 })).reply).toBe("Hello, pod!");
      } finally {
        client.close();
      }
    } finally {
      // Stops and removes the pod and its containers.
      await run("podman", ["kube", "down", file], { cwd: root, timeoutMs: 60_000, env: engine.env });
    }
  }, 240_000);
});
