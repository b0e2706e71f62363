/**
 * The sidecar as the image runs it: one esbuild bundle executed by node. Checks the CLI contract
 * the ECS task definition relies on (health exit codes, exit 2 on bad config, clean SIGTERM).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { build } from "esbuild";
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { runSidecar } from "../../envoy/sidecar/run";
import { SecretsManagerSource } from "../../envoy/sidecar/secrets-manager";
import { CA_ARN_X, HOUR, SECRET_ARN_X, silentLog, SPIFFE_X, SPIFFE_Y } from "./support/harness";
import { LocalCa } from "./support/local-ca";

let work: string;
let bundlePath: string;
let meshPem: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "farcar-bundle-"));
  bundlePath = path.join(work, "sidecar.js");
  await build({
    entryPoints: [path.join(__dirname, "../../envoy/sidecar/main.ts")],
    bundle: true,
    platform: "node",
    target: "node20",
    outfile: bundlePath,
    logLevel: "silent",
  });
  meshPem = (await LocalCa.create("Mesh")).rootPem;
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

function runBundle(args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const out = spawnSync(process.execPath, [bundlePath, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, encoding: "utf8", timeout: 30_000 });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

async function installRealIdentity(dir: string): Promise<void> {
  const ca = await LocalCa.create("Issuing");
  const issued = await ca.issueWithKey({ uris: [SPIFFE_X], notBefore: new Date(Date.now() - HOUR), notAfter: new Date(Date.now() + 24 * HOUR) });
  const sm = mockClient(SecretsManagerClient as unknown as Parameters<typeof mockClient>[0]);
  sm.on(DescribeSecretCommand as unknown as Parameters<typeof sm.on>[0]).resolves({ VersionIdsToStages: { v1: ["AWSCURRENT"] } } as never);
  sm.on(GetSecretValueCommand as unknown as Parameters<typeof sm.on>[0]).resolves({
    VersionId: "v1",
    SecretString: JSON.stringify({ certificateChain: issued.certificatePem + ca.chainPem, privateKey: issued.privateKeyPem }),
  } as never);
  const controller = new AbortController();
  const config = { source: "secretsManager" as const, spiffeId: SPIFFE_X, trustBundlePem: meshPem, identityDir: dir, region: "us-east-1", startupTimeoutSeconds: 60, secretId: SECRET_ARN_X, secretPollSeconds: 60 };
  await runSidecar({
    config,
    source: new SecretsManagerSource({ config, client: new SecretsManagerClient({ region: "us-east-1" }), clock: () => new Date() }),
    clock: () => new Date(),
    sleep: async () => controller.abort(),
    log: silentLog,
    signal: controller.signal,
  });
  sm.restore();
}

describe("bundled sidecar CLI", () => {
  it("health exits 0 with a valid identity, 1 without or for another SPIFFE ID", async () => {
    const dir = mkdtempSync(path.join(work, "id-"));
    expect(runBundle(["health"], { FARCAR_IDENTITY_DIR: dir }).status).toBe(1);
    await installRealIdentity(dir);
    const ok = runBundle(["health"], { FARCAR_IDENTITY_DIR: dir, FARCAR_SPIFFE_ID: SPIFFE_X });
    expect(ok.stdout).toMatch(/^healthy: serving spiffe:\/\/block\.example/);
    expect(ok.status).toBe(0);
    expect(runBundle(["health"], { FARCAR_IDENTITY_DIR: dir, FARCAR_SPIFFE_ID: SPIFFE_Y }).status).toBe(1);
  });

  it("exits 2 on invalid configuration", () => {
    const out = runBundle([], { FARCAR_IDENTITY_SOURCE: "privateCa", FARCAR_SPIFFE_ID: SPIFFE_X });
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(/FARCAR_TRUST_BUNDLE is required/);
  });

  it("exits 0 promptly on SIGTERM while retrying an unreachable CA", async () => {
    const dir = mkdtempSync(path.join(work, "id-"));
    const child = spawn(process.execPath, [bundlePath], {
      env: {
        PATH: process.env.PATH ?? "",
        FARCAR_IDENTITY_SOURCE: "privateCa",
        FARCAR_SPIFFE_ID: SPIFFE_X,
        FARCAR_CA_ARN: CA_ARN_X,
        FARCAR_TRUST_BUNDLE: meshPem,
        FARCAR_IDENTITY_DIR: dir,
        AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY: "secret",
        AWS_ENDPOINT_URL: "http://127.0.0.1:9",
        AWS_MAX_ATTEMPTS: "1",
      },
    });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await waitFor(() => stdout.includes("identity refresh failed"), 20_000);
    const stoppedAt = Date.now();
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect(stdout).toMatch(/identity sidecar stopping/);
  });
});

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}
