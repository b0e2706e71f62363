/**
 * egress mode, sigv4 with roleArn: the sidecar assumes the acquisition's role (STS mocked) and
 * serves the session on the loopback endpoint Envoy's container credentials provider reads
 * (a real HTTP server), refreshing long before Expiration (fake clock).
 */
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { EGRESS_AWS_CREDENTIALS_ENDPOINT, egressAwsCredentialsUri, egressRoleSessionName } from "../../envoy/egress";
import { AssumedRoleItem, CredentialsServer, formatExpiration, startCredentialsServer } from "../../envoy/sidecar/assume-role";
import { checkEgressHealth, EgressStatus, egressItems, runEgressSidecar } from "../../envoy/sidecar/egress-run";
import { EgressConfig, parseSidecarEnv } from "../../envoy/sidecar/env";
import { STATUS_FILE } from "../../envoy/sidecar/files";
import type { LogLevel } from "../../envoy/sidecar/run";
import { cleanup, FakeTime, HOUR, silentLog, T0, tempDir } from "./support/harness";

/* As for Secrets Manager: the mock's typings predate client-sts 3.1164's. */
const sts = mockClient(STSClient as unknown as Parameters<typeof mockClient>[0]);
const ASSUME_ROLE = AssumeRoleCommand as unknown as Parameters<typeof sts.on>[0];

const ROLE_ARN = "arn:aws:iam::333333333333:role/risk-scores-callers";
const SESSION = egressRoleSessionName({ acquisition: "afterpay", environment: "staging", service: "risk-scores" });
const MINUTE = 60_000;

let dir: string;
let time: FakeTime;
let server: CredentialsServer | undefined;

beforeEach(() => {
  sts.reset();
  dir = tempDir();
  time = new FakeTime();
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  cleanup(dir);
});

/** STS answering like AWS: a 1 h session from "now", distinct keys per call. */
function simulateSts(opts: { failFromCall?: number } = {}): Array<{ at: number; input: unknown }> {
  const calls: Array<{ at: number; input: unknown }> = [];
  sts.on(ASSUME_ROLE).callsFake(async (input: unknown) => {
    calls.push({ at: time.now, input });
    const n = calls.length;
    if (opts.failFromCall !== undefined && n >= opts.failFromCall) {
      throw Object.assign(new Error("Rate exceeded"), { name: "Throttling" });
    }
    return {
      Credentials: {
        AccessKeyId: `ASIAEXAMPLE${n}`,
        SecretAccessKey: `secret-access-key-${n}-do-not-log`,
        SessionToken: `session-token-${n}-do-not-log`,
        Expiration: new Date(time.now + HOUR),
      },
      AssumedRoleUser: { Arn: `arn:aws:sts::333333333333:assumed-role/risk-scores-callers/${SESSION}`, AssumedRoleId: "AROAEXAMPLE:x" },
    };
  });
  return calls;
}

function config(port: number, overrides: Partial<EgressConfig> = {}): EgressConfig {
  return {
    source: "egress",
    identityDir: dir,
    region: "us-east-1",
    startupTimeoutSeconds: 300,
    secretPollSeconds: 60,
    assumeRole: { roleArn: ROLE_ARN, sessionName: SESSION, endpoint: { ...EGRESS_AWS_CREDENTIALS_ENDPOINT, port } },
    ...overrides,
  };
}

/** Starts the real endpoint (on a free port) for the item `config` enables, as main.ts does. */
async function setUp(controller?: AbortController): Promise<{ cfg: EgressConfig; item: AssumedRoleItem; url: string }> {
  const draft = config(0);
  const { credentials } = egressItems(draft, { sts: new STSClient({ region: "us-east-1" }), clock: time.clock, signal: controller?.signal });
  server = await startCredentialsServer({ endpoint: draft.assumeRole!.endpoint, credentials: () => credentials!.credentials(time.clock()) });
  const cfg = config(server.address.port);
  return { cfg, item: credentials!, url: `http://127.0.0.1:${server.address.port}${EGRESS_AWS_CREDENTIALS_ENDPOINT.path}` };
}

/** A GET as Envoy's container provider sends it (empty Authorization header without a token). */
function get(url: string, method = "GET"): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { authorization: "" } }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

function run(cfg: EgressConfig, item: AssumedRoleItem, opts: { sleep?: (ms: number) => Promise<void>; controller?: AbortController; log?: (l: LogLevel, m: string, f?: Record<string, unknown>) => void } = {}): Promise<number> {
  return runEgressSidecar({ config: cfg, items: [item], clock: time.clock, sleep: opts.sleep ?? time.sleep, random: () => 0, log: opts.log ?? silentLog, signal: opts.controller?.signal });
}

describe("assumed-role credentials", () => {
  it("assumes exactly the configured role with the Farcar's session name, for the 1 h role-chaining maximum", async () => {
    const calls = simulateSts();
    const { item } = await setUp();
    expect(await item.sync()).toBe(true);
    expect(calls.map((c) => c.input)).toStrictEqual([{ RoleArn: ROLE_ARN, RoleSessionName: SESSION, DurationSeconds: 3600 }]);
    expect(SESSION).toBe("farcar-afterpay-staging-risk-scores");
  });

  it("serves the session in the ECS container-credentials format, Expiration in whole seconds", async () => {
    simulateSts();
    time.now = T0 + 1_234; // a non-whole second: Envoy's absl format has no fractional seconds
    const { item, url } = await setUp();
    await item.sync();
    const res = await get(url);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(JSON.parse(res.body)).toStrictEqual({
      AccessKeyId: "ASIAEXAMPLE1",
      SecretAccessKey: "secret-access-key-1-do-not-log",
      Token: "session-token-1-do-not-log",
      Expiration: "2030-01-01T01:00:01Z",
    });
    expect(JSON.parse(res.body).Expiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(formatExpiration(new Date("2030-01-01T00:59:59.999Z"))).toBe("2030-01-01T00:59:59Z"); // rounded down, never later
  });

  it("answers 404 for any other path, 405 for other methods, 503 before a session and after it expired", async () => {
    simulateSts();
    const { item, url } = await setUp();
    expect((await get(url)).status).toBe(503);
    await item.sync();
    const base = url.slice(0, -EGRESS_AWS_CREDENTIALS_ENDPOINT.path.length);
    for (const other of ["/", "/v2/credentials", `${EGRESS_AWS_CREDENTIALS_ENDPOINT.path}/`, `${EGRESS_AWS_CREDENTIALS_ENDPOINT.path}x`, "/farcar/v1"]) {
      const res = await get(base + other);
      expect(`${other} ${res.status}`).toBe(`${other} 404`);
      expect(res.body).not.toContain("ASIAEXAMPLE");
    }
    expect(await get(`${url}?x=1`)).toMatchObject({ status: 200 });
    expect(await get(url, "POST")).toMatchObject({ status: 405, headers: { allow: "GET, HEAD" } });
    expect(await get(url, "HEAD")).toMatchObject({ status: 200, body: "" });
    time.now = T0 + HOUR; // the session's Expiration
    const expired = await get(url);
    expect(expired.status).toBe(503);
    expect(expired.body).not.toContain("ASIAEXAMPLE");
  });

  it("listens on 127.0.0.1 only, and refuses to listen anywhere else", async () => {
    simulateSts();
    const { item } = await setUp();
    await item.sync();
    expect(server!.address).toMatchObject({ address: "127.0.0.1", family: "IPv4" });
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && a.family === "IPv4" && !a.internal);
    if (external) {
      const refused = await new Promise<string>((resolve) => {
        const socket = net.connect({ host: external.address, port: server!.address.port });
        socket.on("connect", () => {
          socket.destroy();
          resolve("connected");
        });
        socket.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? "error"));
      });
      expect(refused).toBe("ECONNREFUSED");
    }
    await expect(startCredentialsServer({ endpoint: { host: "0.0.0.0", port: 0, path: "/x" }, credentials: () => undefined })).rejects.toThrow(/loopback only/);
    await expect(startCredentialsServer({ endpoint: { host: "10.0.0.1", port: 0, path: "/x" }, credentials: () => undefined })).rejects.toThrow(/loopback only/);
  });

  it("the endpoint is the one Envoy's launch contract points at", () => {
    const parsed = parseSidecarEnv({ FARCAR_IDENTITY_SOURCE: "egress", AWS_REGION: "us-east-1", FARCAR_ASSUME_ROLE_ARN: ROLE_ARN, FARCAR_ROLE_SESSION_NAME: SESSION });
    expect(parsed.source === "egress" && parsed.assumeRole).toStrictEqual({ roleArn: ROLE_ARN, sessionName: SESSION, endpoint: EGRESS_AWS_CREDENTIALS_ENDPOINT });
    const { host, port, path: urlPath } = EGRESS_AWS_CREDENTIALS_ENDPOINT;
    expect(egressAwsCredentialsUri()).toBe(`http://${host}:${port}${urlPath}`);
  });

  it("re-assumes the role at half of each session, well before Expiration, and serves the new session", async () => {
    const calls = simulateSts();
    const controller = new AbortController();
    const { cfg, item, url } = await setUp(controller);
    const served: Array<{ at: number; key: string; expiration: string }> = [];
    let wakes = 0;
    const code = await run(cfg, item, {
      controller,
      sleep: async (ms) => {
        await time.sleep(ms);
        const doc = JSON.parse((await get(url)).body) as { AccessKeyId: string; Expiration: string };
        served.push({ at: time.now, key: doc.AccessKeyId, expiration: doc.Expiration });
        if (++wakes === 4) controller.abort();
      },
    });
    expect(code).toBe(0);
    expect(time.sleeps).toStrictEqual([30 * MINUTE, 30 * MINUTE, 30 * MINUTE, 30 * MINUTE]);
    expect(calls.map((c) => (c.at - T0) / MINUTE)).toStrictEqual([0, 30, 60, 90]);
    // Each refresh happened 30 minutes before the session it replaced expired.
    for (let i = 1; i < calls.length; i++) expect(calls[i - 1].at + HOUR - calls[i].at).toBe(30 * MINUTE);
    // Envoy asking at any wake, just BEFORE that wake's refresh, still gets a session with 30 min
    // left; the next wake serves the session that refresh obtained.
    expect(served).toStrictEqual([1, 2, 3, 4].map((n) => ({ at: T0 + n * 30 * MINUTE, key: `ASIAEXAMPLE${n}`, expiration: formatExpiration(new Date(T0 + (n - 1) * 30 * MINUTE + HOUR)) })));
    for (const s of served) expect(Date.parse(s.expiration) - s.at).toBe(30 * MINUTE);
    const status = JSON.parse(readFileSync(path.join(dir, STATUS_FILE), "utf8")) as EgressStatus;
    expect(status.items.awsCredentials).toMatchObject({ installed: true, roleArn: ROLE_ARN, sessionName: SESSION, expiration: new Date(T0 + 150 * MINUTE).toISOString(), refreshAt: new Date(T0 + 120 * MINUTE).toISOString() });
  });

  it("keeps serving the current session while refreshes fail, then exits 1 at its Expiration (and stops serving it)", async () => {
    const calls = simulateSts({ failFromCall: 2 });
    const controller = new AbortController();
    const { cfg, item, url } = await setUp(controller);
    const statuses: number[] = [];
    const code = await run(cfg, item, {
      controller,
      sleep: async (ms) => {
        await time.sleep(ms);
        if (time.now < T0 + HOUR) statuses.push((await get(url)).status);
      },
    });
    expect(code).toBe(1);
    expect(time.now).toBe(T0 + HOUR); // never slept past the Expiration
    expect(calls.length).toBeGreaterThan(3); // retried with backoff
    expect(new Set(statuses)).toStrictEqual(new Set([200]));
    expect((await get(url)).status).toBe(503);
    const status = JSON.parse(readFileSync(path.join(dir, STATUS_FILE), "utf8")) as EgressStatus;
    expect(status).toMatchObject({ state: "expired", items: { awsCredentials: { lastError: expect.stringMatching(/Throttling: Rate exceeded/) } } });
    expect((await checkEgressHealth({ config: cfg, now: time.clock() })).healthy).toBe(false);
  });

  it("is healthy only once the endpoint serves an unexpired session", async () => {
    simulateSts();
    const controller = new AbortController();
    const { cfg, item } = await setUp(controller);
    expect((await checkEgressHealth({ config: cfg, now: time.clock() })).reason).toMatch(/no readable status.json/);
    const observed: Array<{ healthy: boolean; reason: string }> = [];
    await run(cfg, item, {
      controller,
      sleep: async () => {
        observed.push(await checkEgressHealth({ config: cfg, now: time.clock() }));
        controller.abort();
      },
    });
    expect(observed).toStrictEqual([{ healthy: true, reason: `serving ${ROLE_ARN} credentials until 2030-01-01T01:00:00Z` }]);
    // status.json says ready, but Envoy could not get the keys: unhealthy.
    await server!.close();
    server = undefined;
    expect((await checkEgressHealth({ config: cfg, now: time.clock() })).reason).toMatch(/credentials endpoint .* unreachable/);
  });

  it("is unhealthy while the endpoint answers 503 (no session yet)", async () => {
    simulateSts({ failFromCall: 1 });
    const controller = new AbortController();
    const { cfg, item, url } = await setUp(controller);
    const reasons: string[] = [];
    await run(cfg, item, {
      controller,
      sleep: async (ms) => {
        await time.sleep(ms);
        // Pretend status.json said ready: the endpoint's answer alone must fail the check.
        const status = JSON.parse(readFileSync(path.join(dir, STATUS_FILE), "utf8")) as EgressStatus;
        reasons.push(status.state);
        controller.abort();
      },
    });
    expect(reasons).toStrictEqual(["starting"]);
    const { writeEgressStatus } = await import("../../envoy/sidecar/egress-run");
    await writeEgressStatus(dir, { state: "ready", source: "egress", items: { awsCredentials: { installed: true } }, updatedAt: "" });
    expect((await get(url)).status).toBe(503);
    expect((await checkEgressHealth({ config: cfg, now: time.clock() })).reason).toMatch(/answered 503/);
  });

  it("is unhealthy when what the endpoint serves is expired, incomplete or not JSON", async () => {
    const { writeEgressStatus } = await import("../../envoy/sidecar/egress-run");
    await writeEgressStatus(dir, { state: "ready", source: "egress", items: { awsCredentials: { installed: true } }, updatedAt: "" });
    const cfg = config(EGRESS_AWS_CREDENTIALS_ENDPOINT.port);
    const doc = { AccessKeyId: "ASIA1", SecretAccessKey: "s", Token: "t", Expiration: "2030-01-01T00:30:00Z" };
    const answering = (body: string) => async (url: string) => {
      expect(url).toBe(egressAwsCredentialsUri());
      return { status: 200, body };
    };
    expect(await checkEgressHealth({ config: cfg, now: time.clock(), probe: answering(JSON.stringify(doc)) })).toMatchObject({ healthy: true });
    expect((await checkEgressHealth({ config: cfg, now: new Date(T0 + 30 * MINUTE), probe: answering(JSON.stringify(doc)) })).reason).toMatch(/expired at 2030-01-01T00:30:00Z/);
    expect((await checkEgressHealth({ config: cfg, now: time.clock(), probe: answering(JSON.stringify({ ...doc, Token: "" })) })).reason).toMatch(/incomplete/);
    expect((await checkEgressHealth({ config: cfg, now: time.clock(), probe: answering("<html>") })).reason).toMatch(/not JSON/);
  });

  it("never logs the secret key or session token", async () => {
    simulateSts();
    const logged: string[] = [];
    const controller = new AbortController();
    const { cfg, item } = await setUp(controller);
    let wakes = 0;
    await run(cfg, item, {
      controller,
      log: (level, message, fields) => void logged.push(JSON.stringify({ level, message, ...fields })),
      sleep: async (ms) => {
        await time.sleep(ms);
        if (++wakes === 2) controller.abort();
      },
    });
    expect(logged.filter((l) => l.includes("installed awsCredentials"))).toHaveLength(2);
    const status = readFileSync(path.join(dir, STATUS_FILE), "utf8");
    for (const text of [...logged, status]) {
      expect(text).not.toMatch(/do-not-log/);
    }
  });
});
