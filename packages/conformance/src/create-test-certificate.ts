import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A self-signed certificate and its key, as PEM files. */
export interface TestCertificate {
  certFile: string;
  keyFile: string;
}

/**
 * Makes a self-signed certificate for `localhost` and `127.0.0.1` in `dir` with the
 * `openssl` command (installed by `pnpm system-deps`). Node cannot issue certificates itself,
 * and the client-mode run needs one it knows in advance: the runner's reference servers
 * present it, and the client under test trusts it.
 */
export async function createTestCertificate(dir: string): Promise<TestCertificate> {
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=DNS:localhost,IP:127.0.0.1",
    "-keyout",
    keyFile,
    "-out",
    certFile,
  ]);
  return { certFile, keyFile };
}
