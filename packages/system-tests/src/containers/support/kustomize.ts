/**
 * The manifests of a kustomization, as `kubectl kustomize` renders them, without needing a
 * cluster; and Kubernetes resource quantities as numbers.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { requireExecutable, run } from "../../test-support/processes.js";

/** A Kubernetes object, as far as the tests read it. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: the tests read each kind's spec as the API documents it
  spec: any;
}

/** YAML documents as JSON objects, by python3's PyYAML (no YAML parser is hand-rolled here). */
export function yamlToJson(yaml: string): Manifest[] {
  // Debian's python3, where apt's python3-yaml goes, before any other on PATH (pyenv, venvs).
  const python = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : requireExecutable("python3");
  const script = "import sys, json, yaml; json.dump([d for d in yaml.safe_load_all(sys.stdin) if d], sys.stdout)";
  try {
    return JSON.parse(execFileSync(python, ["-c", script], { input: yaml, stdio: ["pipe", "pipe", "pipe"] }).toString()) as Manifest[];
  } catch (e) {
    const stderr = String((e as { stderr?: Buffer }).stderr ?? "");
    if (stderr.includes("No module named 'yaml'"))
      throw new Error("python3 has no PyYAML, which reads the manifests here: apt-get install python3-yaml");
    throw e;
  }
}

/** What kustomization.yaml says, as far as this project uses it. */
interface Kustomization {
  resources: string[];
  labels?: Array<{ pairs: Record<string, string> }>;
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
}

/**
 * The rendered kustomization in `dir`, and how it was rendered: by `kubectl kustomize` when
 * kubectl is installed; else here, applying the only transformations the project's
 * kustomization.yaml uses (labels on metadata, image name and tag), and failing on any other.
 */
export async function kustomize(dir: string): Promise<{ yaml: string; how: string }> {
  let kubectl: string | undefined;
  try {
    kubectl = requireExecutable("kubectl");
  } catch {
    kubectl = undefined;
  }
  if (kubectl !== undefined) {
    const { stdout } = await run(kubectl, ["kustomize", dir], { cwd: dir, timeoutMs: 60_000 });
    return { yaml: stdout, how: "rendered by kubectl kustomize" };
  }
  const [kustomization] = yamlToJson(readFileSync(join(dir, "kustomization.yaml"), "utf8")) as unknown as Kustomization[];
  const known = new Set(["apiVersion", "kind", "resources", "labels", "images"]);
  const unknown = Object.keys(kustomization ?? {}).filter((key) => !known.has(key));
  if (unknown.length > 0) throw new Error(`kubectl is not installed, and kustomization.yaml uses ${unknown.join(", ")}: install kubectl`);
  const manifests = kustomization!.resources.flatMap((file) => yamlToJson(readFileSync(join(dir, file), "utf8")));
  for (const manifest of manifests) {
    for (const { pairs } of kustomization!.labels ?? []) manifest.metadata.labels = { ...manifest.metadata.labels, ...pairs };
    for (const container of manifest.spec?.template?.spec?.containers ?? []) {
      const image = kustomization!.images?.find((i) => i.name === container.image);
      if (image !== undefined) container.image = `${image.newName ?? image.name}${image.newTag ? `:${image.newTag}` : ""}`;
    }
  }
  return {
    // JSON is YAML: one document per object.
    yaml: manifests.map((m) => JSON.stringify(m, null, 2)).join("\n---\n"),
    how: "kubectl is not installed: kustomization.yaml's labels and images applied by the test (kustomize-free)",
  };
}

const SUFFIXES: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };

/** A resource quantity ("512Mi", "100m", "1") as a number (bytes, cores). */
export function parseQuantity(quantity: string | number): number {
  const m = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(String(quantity));
  const factor = m?.[2] === "" ? 1 : SUFFIXES[m?.[2] ?? ""];
  if (m === null || factor === undefined) throw new Error(`not a resource quantity: ${quantity}`);
  return Number(m[1]) * factor;
}
