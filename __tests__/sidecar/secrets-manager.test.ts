import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { parse as parseYaml } from "yaml";
import { IDENTITY_FILES } from "../../envoy/identity-files";
import { certificateSdsDocument, trustBundleSdsDocument } from "../../envoy/sds";
import type { SecretsManagerConfig } from "../../envoy/sidecar/env";
import { STATUS_FILE } from "../../envoy/sidecar/files";
import { runSidecar } from "../../envoy/sidecar/run";
import { parseSvidSecret, SecretsManagerSource } from "../../envoy/sidecar/secrets-manager";
import { checkHealth, readStatus } from "../../envoy/sidecar/status";
import { cleanup, FakeTime, HOUR, leftoverTempFiles, observingFs, SECRET_ARN_X, silentLog, SPIFFE_X, SPIFFE_Y, T0, tempDir } from "./support/harness";
import { LocalCa } from "./support/local-ca";

/*
 * aws-sdk-client-mock's typings resolve an older @smithy/types than client-secrets-manager 3.1164
 * ships, so the client and command classes are cast for the type checker; at runtime the mock
 * intercepts `send` as usual (the tests below fail if it did not: no network is reachable).
 */
type MockTarget = Parameters<typeof mockClient>[0];
const sm = mockClient(SecretsManagerClient as unknown as MockTarget);
const DESCRIBE = DescribeSecretCommand as unknown as Parameters<typeof sm.on>[0];
const GET_VALUE = GetSecretValueCommand as unknown as Parameters<typeof sm.on>[0];

let ca: LocalCa;
let meshBundle: string;
let dir: string;
let time: FakeTime;

function config(overrides: Partial<SecretsManagerConfig> = {}): SecretsManagerConfig {
  return {
    source: "secretsManager",
    spiffeId: SPIFFE_X,
    trustBundlePem: meshBundle,
    identityDir: dir,
    region: "us-east-1",
    startupTimeoutSeconds: 300,
    secretId: SECRET_ARN_X,
    secretPollSeconds: 60,
    ...overrides,
  };
}

async function svidSecret(opts: { uris?: string[]; notBefore?: number; notAfter?: number; foreignKey?: boolean } = {}): Promise<string> {
  const issued = await ca.issueWithKey({
    uris: opts.uris ?? [SPIFFE_X],
    notBefore: new Date(opts.notBefore ?? T0 - HOUR),
    notAfter: new Date(opts.notAfter ?? T0 + 24 * HOUR),
  });
  const privateKey = opts.foreignKey ? (await ca.issueWithKey({ uris: [SPIFFE_X], notBefore: new Date(T0), notAfter: new Date(T0 + HOUR) })).privateKeyPem : issued.privateKeyPem;
  return JSON.stringify({ certificateChain: issued.certificatePem + ca.chainPem, privateKey });
}

/** A secret whose AWSCURRENT version is whatever `versions[current()]` says. */
function simulateSecret(versions: Record<string, string>, current: () => string): void {
  sm.on(DESCRIBE).callsFake(async (input: { SecretId: string }) => {
    expect(input.SecretId).toBe(SECRET_ARN_X);
    const stages: Record<string, string[]> = {};
    for (const id of Object.keys(versions)) stages[id] = id === current() ? ["AWSCURRENT"] : ["AWSPREVIOUS"];
    return { ARN: SECRET_ARN_X, VersionIdsToStages: stages };
  });
  sm.on(GET_VALUE).callsFake(async (input: { SecretId: string; VersionId?: string }) => {
    expect(input.SecretId).toBe(SECRET_ARN_X);
    const id = input.VersionId ?? current();
    return { ARN: SECRET_ARN_X, VersionId: id, SecretString: versions[id] };
  });
}

function source(cfg = config(), signal?: AbortSignal): SecretsManagerSource {
  return new SecretsManagerSource({ config: cfg, client: new SecretsManagerClient({ region: "us-east-1" }), clock: time.clock, signal });
}

beforeAll(async () => {
  ca = await LocalCa.create("Parent identity system");
  meshBundle = (await LocalCa.create("Parent mesh")).rootPem;
});

beforeEach(() => {
  sm.reset();
  dir = tempDir();
  time = new FakeTime();
});

afterEach(() => cleanup(dir));

describe("secretsManager source", () => {
  it("installs the secret's SVID, bundle and SDS documents atomically", async () => {
    const controller = new AbortController();
    simulateSecret({ v1: await svidSecret() }, () => "v1");
    const observed = observingFs(dir);
    let polls = 0;
    const sleep = async (ms: number): Promise<void> => {
      await time.sleep(ms);
      if (++polls === 3) controller.abort();
    };
    const code = await runSidecar({ config: config(), source: source(config(), controller.signal), clock: time.clock, sleep, fs: observed.fs, log: silentLog, signal: controller.signal });

    expect(code).toBe(0);
    expect(observed.directWrites).toStrictEqual([]);
    expect(await leftoverTempFiles(dir)).toStrictEqual([]);
    expect(statSync(path.join(dir, IDENTITY_FILES.privateKey)).mode & 0o777).toBe(0o600);
    expect(parseYaml(readFileSync(path.join(dir, IDENTITY_FILES.certificateSds), "utf8"))).toStrictEqual(certificateSdsDocument());
    expect(parseYaml(readFileSync(path.join(dir, IDENTITY_FILES.trustBundleSds), "utf8"))).toStrictEqual(trustBundleSdsDocument());
    expect(readFileSync(path.join(dir, IDENTITY_FILES.trustBundle), "utf8")).toBe(meshBundle);
    expect((await checkHealth({ dir, now: time.clock(), spiffeId: SPIFFE_X })).healthy).toBe(true);
    // Polls every 60 s; the value (private key) is read once, only when the version is new.
    expect(time.sleeps).toStrictEqual([60_000, 60_000, 60_000]);
    expect(sm.commandCalls(DESCRIBE)).toHaveLength(3);
    expect(sm.commandCalls(GET_VALUE)).toHaveLength(1);
    expect(sm.commandCalls(GET_VALUE)[0].args[0].input).toStrictEqual({ SecretId: SECRET_ARN_X, VersionId: "v1" });
  });

  it("re-syncs when the secret's AWSCURRENT version changes", async () => {
    const controller = new AbortController();
    const versions = { v1: await svidSecret(), v2: await svidSecret({ notBefore: T0 + HOUR, notAfter: T0 + 30 * HOUR }) };
    let current = "v1";
    simulateSecret(versions, () => current);
    const chains: string[] = [];
    let polls = 0;
    const sleep = async (ms: number): Promise<void> => {
      await time.sleep(ms);
      chains.push(readFileSync(path.join(dir, IDENTITY_FILES.certificateChain), "utf8"));
      polls += 1;
      if (polls === 60) current = "v2"; // the parent rotates after an hour
      if (polls === 62) controller.abort();
    };
    await runSidecar({ config: config(), source: source(config(), controller.signal), clock: time.clock, sleep, log: silentLog, signal: controller.signal });

    expect(new Set(chains).size).toBe(2);
    expect(chains[59]).toBe(chains[0]);
    expect(chains[60]).not.toBe(chains[0]);
    expect(chains[60]).toBe(JSON.parse(versions.v2).certificateChain);
    expect((await readStatus(dir)).origin).toBe("v2");
    expect(sm.commandCalls(GET_VALUE).map((c) => (c.args[0].input as { VersionId?: string }).VersionId)).toStrictEqual(["v1", "v2"]);
  });

  it("refuses a certificate whose URI SAN is another SPIFFE ID", async () => {
    simulateSecret({ v1: await svidSecret({ uris: [SPIFFE_Y] }) }, () => "v1");
    await expect(source().fetch(undefined)).rejects.toThrow(/version v1 refused: certificate URI SANs \[".*billing"\] are not exactly \[".*checkout"\]/);
  });

  it("refuses a certificate carrying the SPIFFE ID next to another one", async () => {
    simulateSecret({ v1: await svidSecret({ uris: [SPIFFE_X, SPIFFE_Y] }) }, () => "v1");
    await expect(source().fetch(undefined)).rejects.toThrow(/are not exactly/);
  });

  it("refuses a key that does not match the certificate", async () => {
    simulateSecret({ v1: await svidSecret({ foreignKey: true }) }, () => "v1");
    await expect(source().fetch(undefined)).rejects.toThrow(/private key does not match/);
  });

  it("refuses an expired certificate and malformed secrets", async () => {
    simulateSecret({ v1: await svidSecret({ notBefore: T0 - 48 * HOUR, notAfter: T0 - HOUR }) }, () => "v1");
    await expect(source().fetch(undefined)).rejects.toThrow(/expired/);
    expect(() => parseSvidSecret("-----BEGIN CERTIFICATE-----")).toThrow(/not JSON/);
    expect(() => parseSvidSecret(JSON.stringify({ certificateChain: "x" }))).toThrow(/privateKey/);
  });

  it("never installs a refused SVID and keeps the previous one when a bad version appears", async () => {
    const controller = new AbortController();
    let current = "v1";
    simulateSecret({ v1: await svidSecret(), v2: await svidSecret({ uris: [SPIFFE_Y] }) }, () => current);
    const before: string[] = [];
    let polls = 0;
    const sleep = async (ms: number): Promise<void> => {
      await time.sleep(ms);
      polls += 1;
      if (polls === 1) {
        before.push(readFileSync(path.join(dir, IDENTITY_FILES.certificateChain), "utf8"), readFileSync(path.join(dir, IDENTITY_FILES.privateKey), "utf8"));
        current = "v2";
      }
      if (polls === 4) controller.abort();
    };
    await runSidecar({ config: config(), source: source(config(), controller.signal), clock: time.clock, sleep, random: () => 0, log: silentLog, signal: controller.signal });

    expect(readFileSync(path.join(dir, IDENTITY_FILES.certificateChain), "utf8")).toBe(before[0]);
    expect(readFileSync(path.join(dir, IDENTITY_FILES.privateKey), "utf8")).toBe(before[1]);
    const status = await readStatus(dir);
    expect(status).toMatchObject({ state: "ready", origin: "v1" });
    expect(status.lastError).toMatch(/v2 refused/);
    expect((await checkHealth({ dir, now: time.clock() })).healthy).toBe(true);
  });

  it("with only a refused SVID available, installs nothing and exits 1 at the startup deadline", async () => {
    simulateSecret({ v1: await svidSecret({ foreignKey: true }) }, () => "v1");
    const code = await runSidecar({ config: config({ startupTimeoutSeconds: 60 }), source: source(config()), clock: time.clock, sleep: time.sleep, log: silentLog });
    expect(code).toBe(1);
    expect(readdirSync(dir)).toStrictEqual([STATUS_FILE]);
    expect((await readStatus(dir)).state).toBe("failed");
    expect((await checkHealth({ dir, now: time.clock() })).healthy).toBe(false);
  });

  it("exits 1 when the parent never rotates before expiry", async () => {
    simulateSecret({ v1: await svidSecret({ notAfter: T0 + 2 * HOUR }) }, () => "v1");
    const code = await runSidecar({ config: config(), source: source(config()), clock: time.clock, sleep: time.sleep, log: silentLog });
    expect(code).toBe(1);
    expect(time.now).toBe(T0 + 2 * HOUR);
    expect((await readStatus(dir)).state).toBe("expired");
    expect((await checkHealth({ dir, now: time.clock() })).healthy).toBe(false);
  });

  it("accepts the certificate and its intermediates as separate fields", () => {
    const parsed = parseSvidSecret(JSON.stringify({ certificate: "LEAF", certificateChain: "INTERMEDIATES", privateKey: "KEY" }));
    expect(parsed).toStrictEqual({ chainPem: "LEAF\nINTERMEDIATES\n", privateKeyPem: "KEY" });
  });
});
