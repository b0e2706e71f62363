/**
 * The sidecar as the image runs it: one esbuild bundle executed by node. Checks the CLI contract
 * the ECS task definition relies on (health exit codes, exit 2 on bad config, clean SIGTERM).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { build, stop as stopEsbuild } from "esbuild";
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { EGRESS_AWS_CREDENTIALS_ENDPOINT, egressAwsCredentialsUri } from "../../envoy/egress";
import { runSidecar } from "../../envoy/sidecar/run";
import { SecretsManagerSource } from "../../envoy/sidecar/secrets-manager";
import { withMachineLock } from "../support/machine-lock";
import { HOUR, ISSUER_ARN_X, SECRET_ARN_X, silentLog, SPIFFE_X, SPIFFE_Y } from "./support/harness";
import { LocalCa } from "./support/local-ca";

/**
 * How long a bundled sidecar may take to start, answer `health` or become healthy. Generous: on a
 * loaded 2-core machine starting node with the bundled AWS SDK takes seconds, and a bound that is
 * too tight fails the test with a wrong exit code (null: killed) rather than a real defect. The
 * waits end as soon as the condition holds, so a passing run is as fast as before.
 */
const STARTUP_MS = 90_000;

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
    target: "node22",
    outfile: bundlePath,
    logLevel: "silent",
  });
  meshPem = (await LocalCa.create("Mesh")).rootPem;
});

afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  // esbuild keeps a service child process per Jest worker until stopped: stop it so the worker exits cleanly.
  await stopEsbuild();
});

function runBundle(args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const out = spawnSync(process.execPath, [bundlePath, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, encoding: "utf8", timeout: STARTUP_MS });
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

  it("exits 0 promptly on SIGTERM while retrying an unreachable issuer", async () => {
    const dir = mkdtempSync(path.join(work, "id-"));
    const child = spawn(process.execPath, [bundlePath], {
      env: {
        PATH: process.env.PATH ?? "",
        FARCAR_IDENTITY_SOURCE: "privateCa",
        FARCAR_SPIFFE_ID: SPIFFE_X,
        FARCAR_ISSUER_ARN: ISSUER_ARN_X,
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
    await waitFor(() => stdout.includes("identity refresh failed"), STARTUP_MS);
    const stoppedAt = Date.now();
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect(stdout).toMatch(/identity sidecar stopping/);
  });
});

describe("bundled sidecar CLI (egress)", () => {
  function start(env: Record<string, string>): { child: ReturnType<typeof spawn>; output: () => string; exited: Promise<number | null> } {
    const child = spawn(process.execPath, [bundlePath], { env: { PATH: process.env.PATH ?? "", ...env } });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    return { child, output: () => out, exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))) };
  }

  async function healthyWithin(env: Record<string, string>, timeoutMs: number): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const out = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [bundlePath, "health"], { env: { PATH: process.env.PATH ?? "", ...env } });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("exit", (status) => resolve({ status, stdout, stderr }));
      });
      if (out.status === 0 || Date.now() > deadline) return out;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it("with a trust bundle only: installs it, becomes healthy, exits 0 on SIGTERM", async () => {
    const dir = mkdtempSync(path.join(work, "egress-"));
    const env = { FARCAR_IDENTITY_SOURCE: "egress", FARCAR_TRUST_BUNDLE: meshPem, FARCAR_IDENTITY_DIR: dir, AWS_REGION: "us-east-1" };
    expect(runBundle(["health"], env).status).toBe(1);
    const sidecar = start(env);
    const health = await healthyWithin(env, STARTUP_MS);
    expect(health.stdout).toMatch(/^healthy: serving trust bundle/);
    sidecar.child.kill("SIGTERM");
    expect(await sidecar.exited).toBe(0);
  });

  /** Free only if nothing else on this machine uses the fixed endpoint port right now. */
  async function endpointPortFree(): Promise<boolean> {
    return new Promise((resolve) => {
      const probe = net.createServer();
      probe.once("error", () => resolve(false));
      probe.listen(EGRESS_AWS_CREDENTIALS_ENDPOINT.port, EGRESS_AWS_CREDENTIALS_ENDPOINT.host, () => probe.close(() => resolve(true)));
    });
  }

  async function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
    const server = http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { server, url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}` };
  }

  // The sidecar serves on a fixed loopback port (EGRESS_AWS_CREDENTIALS_ENDPOINT): every test run
  // on this machine (other checkouts, other Jest workers) takes turns, or one of them sees the
  // sidecar exit 1 with EADDRINUSE — the "wrong exit code under load" this test used to show.
  it("with a role: assumes it with the task role's credentials (real SDK, fake STS) and serves it on the loopback endpoint", () =>
    withMachineLock(`port-${EGRESS_AWS_CREDENTIALS_ENDPOINT.port}`, assumesRoleAndServes), 240_000);

  async function assumesRoleAndServes(): Promise<void> {
    if (!(await endpointPortFree())) {
      console.warn(`skipped: ${EGRESS_AWS_CREDENTIALS_ENDPOINT.host}:${EGRESS_AWS_CREDENTIALS_ENDPOINT.port} is in use on this machine`);
      return;
    }
    const roleArn = "arn:aws:iam::333333333333:role/risk-scores-callers";
    const expiration = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000).toISOString().replace(".000Z", "Z");
    // The ECS agent's task-role endpoint, as the sidecar container sees it.
    const ecs = await listen((_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ AccessKeyId: "ASIATASKROLE", SecretAccessKey: "task-secret", Token: "task-token", Expiration: expiration }));
    });
    const stsRequests: Array<{ body: string; authorization: string }> = [];
    const fakeSts = await listen((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        stsRequests.push({ body, authorization: String(req.headers.authorization) });
        res.setHeader("content-type", "text/xml");
        res.end(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<AssumedRoleUser><Arn>arn:aws:sts::333333333333:assumed-role/risk-scores-callers/farcar-afterpay-staging-risk-scores</Arn><AssumedRoleId>AROAEXAMPLE:farcar</AssumedRoleId></AssumedRoleUser>
<Credentials><AccessKeyId>ASIAASSUMED</AccessKeyId><SecretAccessKey>assumed-secret-do-not-log</SecretAccessKey><SessionToken>assumed-token-do-not-log</SessionToken><Expiration>${expiration}</Expiration></Credentials>
</AssumeRoleResult><ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata></AssumeRoleResponse>`);
      });
    });
    const dir = mkdtempSync(path.join(work, "egress-role-"));
    const env = {
      FARCAR_IDENTITY_SOURCE: "egress",
      FARCAR_ASSUME_ROLE_ARN: roleArn,
      FARCAR_ROLE_SESSION_NAME: "farcar-afterpay-staging-risk-scores",
      FARCAR_IDENTITY_DIR: dir,
      AWS_REGION: "ap-southeast-2",
    };
    const sidecar = start({ ...env, AWS_CONTAINER_CREDENTIALS_FULL_URI: `${ecs.url}/v2/credentials/task`, AWS_ENDPOINT_URL_STS: fakeSts.url });
    try {
      const health = await healthyWithin(env, STARTUP_MS);
      expect(`${health.stdout}${health.stderr}`).toMatch(new RegExp(`^healthy: serving ${roleArn} credentials until ${expiration}`));
      const served = await new Promise<string>((resolve, reject) =>
        http.get(egressAwsCredentialsUri(), (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c.toString()));
          res.on("end", () => resolve(body));
        }).on("error", reject),
      );
      expect(JSON.parse(served)).toStrictEqual({ AccessKeyId: "ASIAASSUMED", SecretAccessKey: "assumed-secret-do-not-log", Token: "assumed-token-do-not-log", Expiration: expiration });
      expect(stsRequests).toHaveLength(1);
      const params = new URLSearchParams(stsRequests[0].body);
      expect(params.get("Action")).toBe("AssumeRole");
      expect(params.get("RoleArn")).toBe(roleArn);
      expect(params.get("RoleSessionName")).toBe("farcar-afterpay-staging-risk-scores");
      expect(params.get("DurationSeconds")).toBe("3600");
      // Signed with the TASK ROLE's keys, for STS in the sidecar's region.
      expect(stsRequests[0].authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIATASKROLE\/\d{8}\/ap-southeast-2\/sts\/aws4_request/);
    } finally {
      sidecar.child.kill("SIGTERM");
      expect(await sidecar.exited).toBe(0);
      ecs.server.close();
      fakeSts.server.close();
    }
    expect(sidecar.output()).toMatch(/installed awsCredentials/);
    expect(sidecar.output()).not.toMatch(/do-not-log|task-secret/);
  }
});

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}
