/**
 * egress mode (FARCAR_IDENTITY_SOURCE=egress): the trust bundle, the client certificate (mtls) and
 * the header credential, against a mocked Secrets Manager and a real local CA, through the real
 * filesystem and the real loop (clock and sleep faked).
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import * as x509 from "@peculiar/x509";
import { mockClient } from "aws-sdk-client-mock";
import { parse as parseYaml } from "yaml";
import { EGRESS_IDENTITY_FILES, headerCredentialSdsDocument } from "../../envoy/egress";
import { IDENTITY_FILES } from "../../envoy/identity-files";
import { certificateSdsDocument, trustBundleSdsDocument } from "../../envoy/sds";
import { ClientCertificateItem, HeaderCredentialItem, headerValueProblem } from "../../envoy/sidecar/egress-items";
import { checkEgressHealth, EgressStatus, egressItems, runEgressSidecar } from "../../envoy/sidecar/egress-run";
import type { EgressConfig } from "../../envoy/sidecar/env";
import { STATUS_FILE, TEMP_PREFIX } from "../../envoy/sidecar/files";
import type { LogLevel } from "../../envoy/sidecar/run";
import { cleanup, FakeTime, HOUR, leftoverTempFiles, observingFs, silentLog, T0, tempDir } from "./support/harness";
import { LocalCa } from "./support/local-ca";

/* See secrets-manager.test.ts: the mock's typings predate client-secrets-manager 3.1164's. */
type MockTarget = Parameters<typeof mockClient>[0];
const sm = mockClient(SecretsManagerClient as unknown as MockTarget);
const DESCRIBE = DescribeSecretCommand as unknown as Parameters<typeof sm.on>[0];
const GET_VALUE = GetSecretValueCommand as unknown as Parameters<typeof sm.on>[0];

const CERT_SECRET = "arn:aws:secretsmanager:us-east-1:444444444444:secret:farcar/afterpay/staging/egress/risk-scores/client-certificate-AbCdEf";
const HEADER_SECRET = "arn:aws:secretsmanager:us-east-1:444444444444:secret:farcar/afterpay/staging/egress/risk-scores/header-credential-AbCdEf";
/** What must never be seen outside the credential file. */
const HEADER_VALUE = "ak_live_7Hq2ZpX9-never-log-me";

let pki: LocalCa; // the acquisition's PKI
let upstreamCa: string; // the acquisition's CA bundle (trust bundle)
let dir: string;
let time: FakeTime;

beforeAll(async () => {
  pki = await LocalCa.create("Acquisition PKI");
  upstreamCa = pki.rootPem;
});

beforeEach(() => {
  sm.reset();
  dir = tempDir();
  time = new FakeTime();
});

afterEach(() => cleanup(dir));

function config(overrides: Partial<EgressConfig> = {}): EgressConfig {
  return { source: "egress", identityDir: dir, region: "us-east-1", startupTimeoutSeconds: 300, secretPollSeconds: 60, ...overrides };
}

/** Secrets whose AWSCURRENT version is `current()[secretId]`; values by secret and version. */
function simulateSecrets(values: Record<string, Record<string, string>>, current: () => Record<string, string>): void {
  sm.on(DESCRIBE).callsFake(async (input: { SecretId: string }) => {
    const versions = values[input.SecretId];
    if (!versions) throw Object.assign(new Error("Secrets Manager can't find the specified secret."), { name: "ResourceNotFoundException" });
    const stages: Record<string, string[]> = {};
    for (const id of Object.keys(versions)) stages[id] = id === current()[input.SecretId] ? ["AWSCURRENT"] : ["AWSPREVIOUS"];
    return { ARN: input.SecretId, VersionIdsToStages: stages };
  });
  sm.on(GET_VALUE).callsFake(async (input: { SecretId: string; VersionId?: string }) => {
    const id = input.VersionId ?? current()[input.SecretId];
    return { ARN: input.SecretId, VersionId: id, SecretString: values[input.SecretId][id] };
  });
}

/** A client certificate secret the acquisition's PKI would write: a DNS SAN, no URI SAN, no SPIFFE ID. */
async function clientCertSecret(opts: { notBefore?: number; notAfter?: number; issuer?: LocalCa; chain?: string; foreignKey?: boolean; eku?: string[]; ca?: boolean } = {}): Promise<string> {
  const issuer = opts.issuer ?? pki;
  const issued = await issuer.issueWithKey({
    uris: [],
    dns: ["parent-egress.afterpay.internal"],
    subject: "CN=parent-egress,O=Block",
    notBefore: new Date(opts.notBefore ?? T0 - HOUR),
    notAfter: new Date(opts.notAfter ?? T0 + 24 * HOUR),
    extendedKeyUsages: opts.eku,
    ca: opts.ca,
  });
  const privateKey = opts.foreignKey ? (await pki.issueWithKey({ uris: [], dns: ["x"], notBefore: new Date(T0), notAfter: new Date(T0 + HOUR) })).privateKeyPem : issued.privateKeyPem;
  return JSON.stringify({ certificateChain: issued.certificatePem + (opts.chain ?? issuer.chainPem), privateKey });
}

const read = (name: string): string => readFileSync(path.join(dir, name), "utf8");
const mode = (name: string): number => statSync(path.join(dir, name)).mode & 0o777;

/** Stops the loop after `n` sleeps, running `each(i)` after every sleep. */
function stopAfter(n: number, controller: AbortController, each?: (i: number) => void | Promise<void>): (ms: number) => Promise<void> {
  let i = 0;
  return async (ms) => {
    await time.sleep(ms);
    i += 1;
    await each?.(i);
    if (i >= n) controller.abort();
  };
}

async function run(cfg: EgressConfig, opts: { sleep?: (ms: number) => Promise<void>; controller?: AbortController; log?: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void; fs?: ReturnType<typeof observingFs>["fs"] } = {}): Promise<number> {
  const controller = opts.controller;
  const { items } = egressItems(cfg, { secrets: new SecretsManagerClient({ region: "us-east-1" }), clock: time.clock, fs: opts.fs, signal: controller?.signal });
  return runEgressSidecar({ config: cfg, items, clock: time.clock, sleep: opts.sleep ?? time.sleep, random: () => 0, fs: opts.fs, log: opts.log ?? silentLog, signal: controller?.signal });
}

describe("egress: trust bundle and client certificate (mtls)", () => {
  it("installs the acquisition's client certificate without a SPIFFE ID, the CA bundle and both SDS documents, atomically", async () => {
    const secret = await clientCertSecret();
    simulateSecrets({ [CERT_SECRET]: { v1: secret } }, () => ({ [CERT_SECRET]: "v1" }));
    const controller = new AbortController();
    const observed = observingFs(dir);
    const code = await run(config({ trustBundlePem: upstreamCa, clientCertificateSecretId: CERT_SECRET }), { controller, fs: observed.fs, sleep: stopAfter(2, controller) });

    expect(code).toBe(0);
    expect(observed.directWrites).toStrictEqual([]);
    expect(await leftoverTempFiles(dir)).toStrictEqual([]);
    // Every file arrived complete, with its final mode, by rename; key before chain, SDS after both.
    const order = observed.renames.map((r) => r.file).filter((f) => f !== STATUS_FILE);
    expect(order).toStrictEqual([IDENTITY_FILES.trustBundle, IDENTITY_FILES.trustBundleSds, IDENTITY_FILES.privateKey, IDENTITY_FILES.certificateChain, IDENTITY_FILES.certificateSds]);
    expect(observed.renames.find((r) => r.file === IDENTITY_FILES.privateKey)!.mode).toBe(0o600);
    expect(mode(IDENTITY_FILES.privateKey)).toBe(0o600);
    expect(mode(IDENTITY_FILES.certificateChain)).toBe(0o644);

    const { certificateChain, privateKey } = JSON.parse(secret) as { certificateChain: string; privateKey: string };
    expect(read(IDENTITY_FILES.privateKey)).toBe(privateKey);
    expect(read(IDENTITY_FILES.certificateChain)).toBe(certificateChain);
    expect(read(IDENTITY_FILES.trustBundle)).toBe(upstreamCa);
    expect(parseYaml(read(IDENTITY_FILES.certificateSds))).toStrictEqual(certificateSdsDocument());
    expect(parseYaml(read(IDENTITY_FILES.trustBundleSds))).toStrictEqual(trustBundleSdsDocument());

    const status = JSON.parse(read(STATUS_FILE)) as EgressStatus;
    expect(status).toMatchObject({ state: "ready", source: "egress", items: { trustBundle: { installed: true }, clientCertificate: { installed: true, origin: "v1", secretId: CERT_SECRET } } });
    expect(status.items.clientCertificate!.privateKey).toBeUndefined();
    expect(JSON.stringify(status)).not.toContain("PRIVATE KEY");
    expect((await checkEgressHealth({ config: config({ trustBundlePem: upstreamCa, clientCertificateSecretId: CERT_SECRET }), now: time.clock() })).healthy).toBe(true);
    // Polls every FARCAR_SECRET_POLL_SECONDS; the key is read only for a new version.
    expect(time.sleeps).toStrictEqual([60_000, 60_000]);
    expect(sm.commandCalls(GET_VALUE)).toHaveLength(1);
  });

  it("re-syncs the client certificate when the secret gets a new AWSCURRENT version", async () => {
    const v1 = await clientCertSecret();
    const v2 = await clientCertSecret({ notBefore: T0, notAfter: T0 + 48 * HOUR });
    let current = "v1";
    simulateSecrets({ [CERT_SECRET]: { v1, v2 } }, () => ({ [CERT_SECRET]: current }));
    const chains: string[] = [];
    const controller = new AbortController();
    await run(config({ trustBundlePem: upstreamCa, clientCertificateSecretId: CERT_SECRET }), {
      controller,
      sleep: stopAfter(5, controller, (i) => {
        chains.push(read(IDENTITY_FILES.certificateChain));
        if (i === 2) current = "v2";
      }),
    });
    expect(chains[0]).toBe(JSON.parse(v1).certificateChain);
    expect(chains[1]).toBe(chains[0]);
    expect(chains[2]).toBe(JSON.parse(v2).certificateChain);
    expect(read(IDENTITY_FILES.privateKey)).toBe(JSON.parse(v2).privateKey);
    expect(sm.commandCalls(GET_VALUE).map((c) => (c.args[0].input as { VersionId?: string }).VersionId)).toStrictEqual(["v1", "v2"]);
    expect((JSON.parse(read(STATUS_FILE)) as EgressStatus).items.clientCertificate).toMatchObject({ origin: "v2" });
  });

  describe("refuses a client certificate that Envoy could not use", () => {
    const fetchWith = async (secret: string): Promise<unknown> => {
      simulateSecrets({ [CERT_SECRET]: { v1: secret } }, () => ({ [CERT_SECRET]: "v1" }));
      const item = new ClientCertificateItem({ dir, clock: time.clock, secretId: CERT_SECRET, pollSeconds: 60, client: new SecretsManagerClient({ region: "us-east-1" }) });
      return item.sync();
    };

    it("a key that does not match the certificate", async () => {
      await expect(fetchWith(await clientCertSecret({ foreignKey: true }))).rejects.toThrow(/version v1 refused: private key does not match/);
    });

    it("a CA certificate", async () => {
      await expect(fetchWith(await clientCertSecret({ ca: true }))).rejects.toThrow(/is a CA certificate/);
    });

    it("a certificate outside its validity", async () => {
      await expect(fetchWith(await clientCertSecret({ notBefore: T0 - 48 * HOUR, notAfter: T0 - HOUR }))).rejects.toThrow(/expired at/);
      await expect(fetchWith(await clientCertSecret({ notBefore: T0 + HOUR }))).rejects.toThrow(/not valid before/);
    });

    it("a leaf not signed by the next certificate, and a chain broken further up", async () => {
      const other = await LocalCa.create("Other PKI");
      await expect(fetchWith(await clientCertSecret({ issuer: other, chain: pki.chainPem }))).rejects.toThrow(/not signed by the first certificate of its chain/);
      // Leaf and issuing CA fine, but followed by a root that did not sign that issuing CA.
      await expect(fetchWith(await clientCertSecret({ chain: `${pki.issuing.toString("pem")}\n${other.rootPem}` }))).rejects.toThrow(/chain certificate 2 is not signed by certificate 3/);
    });

    it("a certificate whose extended key usage excludes TLS client authentication", async () => {
      await expect(fetchWith(await clientCertSecret({ eku: [x509.ExtendedKeyUsage.serverAuth] }))).rejects.toThrow(/does not allow TLS client authentication/);
    });

    it("malformed secrets, without quoting them", async () => {
      await expect(fetchWith("-----BEGIN PRIVATE KEY-----\nMIIEvg")).rejects.toThrow(/secret is not JSON/);
      await expect(fetchWith("-----BEGIN PRIVATE KEY-----\nMIIEvg")).rejects.not.toThrow(/MIIEvg/);
    });

    it("and nothing is written for a refused version", async () => {
      await expect(fetchWith(await clientCertSecret({ foreignKey: true }))).rejects.toThrow();
      expect(readdirSync(dir)).toStrictEqual([]);
    });
  });

  it("keeps the installed certificate when a refused version appears, stays healthy, and reports why", async () => {
    const good = await clientCertSecret();
    let current = "v1";
    simulateSecrets({ [CERT_SECRET]: { v1: good, v2: await clientCertSecret({ foreignKey: true }) } }, () => ({ [CERT_SECRET]: current }));
    const controller = new AbortController();
    const cfg = config({ trustBundlePem: upstreamCa, clientCertificateSecretId: CERT_SECRET });
    await run(cfg, { controller, sleep: stopAfter(4, controller, (i) => void (i === 1 && (current = "v2"))) });
    expect(read(IDENTITY_FILES.certificateChain)).toBe(JSON.parse(good).certificateChain);
    expect(read(IDENTITY_FILES.privateKey)).toBe(JSON.parse(good).privateKey);
    const status = JSON.parse(read(STATUS_FILE)) as EgressStatus;
    expect(status.state).toBe("ready");
    expect(status.items.clientCertificate).toMatchObject({ origin: "v1", lastError: expect.stringMatching(/version v2 refused: private key does not match/) });
    expect((await checkEgressHealth({ config: cfg, now: time.clock() })).healthy).toBe(true);
  });

  it("exits 1 with status expired when the certificate expires without a new version", async () => {
    simulateSecrets({ [CERT_SECRET]: { v1: await clientCertSecret({ notAfter: T0 + 2 * HOUR }) } }, () => ({ [CERT_SECRET]: "v1" }));
    const cfg = config({ trustBundlePem: upstreamCa, clientCertificateSecretId: CERT_SECRET });
    expect(await run(cfg)).toBe(1);
    expect(time.now).toBe(T0 + 2 * HOUR); // never slept past the expiry
    expect((JSON.parse(read(STATUS_FILE)) as EgressStatus).state).toBe("expired");
    expect((await checkEgressHealth({ config: cfg, now: time.clock() })).healthy).toBe(false);
  });
});

describe("egress: header credential", () => {
  const cfg = (): EgressConfig => config({ headerSecretId: HEADER_SECRET });

  it("writes the value verbatim (0600, no trailing newline) and the header SDS document, atomically", async () => {
    simulateSecrets({ [HEADER_SECRET]: { v1: HEADER_VALUE } }, () => ({ [HEADER_SECRET]: "v1" }));
    const controller = new AbortController();
    const observed = observingFs(dir);
    expect(await run(cfg(), { controller, fs: observed.fs, sleep: stopAfter(1, controller) })).toBe(0);

    expect(observed.directWrites).toStrictEqual([]);
    expect(await leftoverTempFiles(dir)).toStrictEqual([]);
    expect(observed.renames.map((r) => r.file).filter((f) => f !== STATUS_FILE)).toStrictEqual([EGRESS_IDENTITY_FILES.headerCredential, EGRESS_IDENTITY_FILES.headerCredentialSds]);
    const rename = observed.renames.find((r) => r.file === EGRESS_IDENTITY_FILES.headerCredential)!;
    expect(rename).toMatchObject({ content: HEADER_VALUE, mode: 0o600 });
    expect(readFileSync(path.join(dir, EGRESS_IDENTITY_FILES.headerCredential))).toStrictEqual(Buffer.from(HEADER_VALUE, "utf8"));
    expect(mode(EGRESS_IDENTITY_FILES.headerCredential)).toBe(0o600);
    expect(parseYaml(read(EGRESS_IDENTITY_FILES.headerCredentialSds))).toStrictEqual(headerCredentialSdsDocument());
    expect(readdirSync(dir).sort()).toStrictEqual([EGRESS_IDENTITY_FILES.headerCredentialSds, STATUS_FILE, EGRESS_IDENTITY_FILES.headerCredential].sort());
    expect((await checkEgressHealth({ config: cfg(), now: time.clock() })).healthy).toBe(true);
  });

  it("re-syncs on a new secret version, replacing the file by rename", async () => {
    let current = "v1";
    simulateSecrets({ [HEADER_SECRET]: { v1: HEADER_VALUE, v2: `${HEADER_VALUE}-rotated` } }, () => ({ [HEADER_SECRET]: current }));
    const seen: string[] = [];
    const controller = new AbortController();
    const observed = observingFs(dir);
    await run(cfg(), {
      controller,
      fs: observed.fs,
      sleep: stopAfter(3, controller, (i) => {
        seen.push(read(EGRESS_IDENTITY_FILES.headerCredential));
        if (i === 1) current = "v2";
      }),
    });
    expect(seen).toStrictEqual([HEADER_VALUE, `${HEADER_VALUE}-rotated`, `${HEADER_VALUE}-rotated`]);
    const renames = observed.renames.filter((r) => r.file === EGRESS_IDENTITY_FILES.headerCredential);
    expect(renames.map((r) => [r.previous, r.content])).toStrictEqual([
      [undefined, HEADER_VALUE],
      [HEADER_VALUE, `${HEADER_VALUE}-rotated`],
    ]);
    // The SDS document is written once; Envoy watches the credential file itself.
    expect(observed.renames.filter((r) => r.file === EGRESS_IDENTITY_FILES.headerCredentialSds)).toHaveLength(1);
    expect((JSON.parse(read(STATUS_FILE)) as EgressStatus).items.headerCredential).toMatchObject({ origin: "v2" });
  });

  const BAD: Array<[string, string, RegExp]> = [
    ["empty", "", /is empty/],
    ["a trailing newline", `${HEADER_VALUE}\n`, /line break/],
    ["a CRLF header injection", `${HEADER_VALUE}\r\nx-admin: true`, /line break/],
    ["a bare CR", `${HEADER_VALUE}\rx`, /line break/],
    ["a NUL", `${HEADER_VALUE}\u0000`, /control character/],
    ["leading whitespace", ` ${HEADER_VALUE}`, /space or tab/],
    ["trailing tab", `${HEADER_VALUE}\t`, /space or tab/],
  ];

  it.each(BAD)("refuses a value with %s, writes nothing and does not quote it", async (_what, value, reason) => {
    simulateSecrets({ [HEADER_SECRET]: { v1: value } }, () => ({ [HEADER_SECRET]: "v1" }));
    const item = new HeaderCredentialItem({ dir, clock: time.clock, secretId: HEADER_SECRET, pollSeconds: 60, client: new SecretsManagerClient({ region: "us-east-1" }) });
    const error = await item.sync().then(
      () => undefined,
      (err: Error) => err,
    );
    expect(error?.message).toMatch(reason);
    expect(error?.message).toMatch(/header credential secret .* version v1 refused/);
    if (value.trim()) expect(error!.message).not.toContain(value.trim());
    expect(readdirSync(dir)).toStrictEqual([]);
    expect(item.installed()).toBe(false);
  });

  it("accepts what HTTP allows inside a value (inner spaces and tabs, punctuation, non-ASCII)", () => {
    for (const ok of ["Bearer abc.def-ghi_jkl~=", "a\tb c", "clé-ünïcode", "x"]) expect(headerValueProblem(ok)).toBeUndefined();
  });

  it("never lets the value reach the logs, status.json or error messages, whatever happens", async () => {
    let current = "v1";
    const badValue = `${HEADER_VALUE}-v2\n`;
    simulateSecrets({ [HEADER_SECRET]: { v1: HEADER_VALUE, v2: badValue, v3: `${HEADER_VALUE}-v3` } }, () => ({ [HEADER_SECRET]: current }));
    const logged: string[] = [];
    const statuses: string[] = [];
    const log = (level: LogLevel, message: string, fields?: Record<string, unknown>): void => void logged.push(JSON.stringify({ level, message, ...fields }));
    const controller = new AbortController();
    await run(cfg(), {
      controller,
      log,
      sleep: stopAfter(4, controller, (i) => {
        statuses.push(read(STATUS_FILE));
        if (i === 1) current = "v2";
        if (i === 2) current = "v3";
      }),
    });
    // The capture works: installs and the refusal were logged.
    expect(logged.filter((l) => l.includes("installed headerCredential"))).toHaveLength(2);
    expect(logged.some((l) => l.includes("v2 refused") && l.includes("line break"))).toBe(true);
    for (const text of [...logged, ...statuses]) {
      expect(text).not.toContain(HEADER_VALUE);
      expect(text).not.toContain("never-log-me");
    }
    expect(read(EGRESS_IDENTITY_FILES.headerCredential)).toBe(`${HEADER_VALUE}-v3`);
  });

  it("with only refused versions, installs nothing and exits 1 at the startup deadline", async () => {
    simulateSecrets({ [HEADER_SECRET]: { v1: `${HEADER_VALUE}\n` } }, () => ({ [HEADER_SECRET]: "v1" }));
    expect(await run(config({ headerSecretId: HEADER_SECRET, startupTimeoutSeconds: 60 }))).toBe(1);
    expect(time.now).toBe(T0 + 60_000);
    expect(readdirSync(dir)).toStrictEqual([STATUS_FILE]);
    const status = JSON.parse(read(STATUS_FILE)) as EgressStatus;
    expect(status).toMatchObject({ state: "failed", items: { headerCredential: { installed: false, lastError: expect.stringMatching(/line break/) } } });
    const health = await checkEgressHealth({ config: cfg(), now: time.clock() });
    expect(health).toMatchObject({ healthy: false, reason: expect.stringMatching(/state is failed .*headerCredential: .*line break/) });
  });
});

describe("egress: loop and health", () => {
  it("retries a failing item with backoff while the others stay installed, and is ready only when all are", async () => {
    let failing = true;
    simulateSecrets({ [CERT_SECRET]: { v1: await clientCertSecret() } }, () => ({ [CERT_SECRET]: "v1" }));
    sm.on(DESCRIBE, { SecretId: HEADER_SECRET } as never).callsFake(async () => {
      if (failing) throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
      return { VersionIdsToStages: { h1: ["AWSCURRENT"] } };
    });
    sm.on(GET_VALUE, { SecretId: HEADER_SECRET } as never).resolves({ VersionId: "h1", SecretString: HEADER_VALUE } as never);
    const cfg = config({ trustBundlePem: upstreamCa, clientCertificateSecretId: CERT_SECRET, headerSecretId: HEADER_SECRET });
    const states: string[] = [];
    const health: boolean[] = [];
    const controller = new AbortController();
    await run(cfg, {
      controller,
      sleep: stopAfter(4, controller, async (i) => {
        states.push((JSON.parse(read(STATUS_FILE)) as EgressStatus).state);
        health.push((await checkEgressHealth({ config: cfg, now: time.clock() })).healthy);
        if (i === 2) failing = false;
      }),
    });
    expect(states).toStrictEqual(["starting", "starting", "ready", "ready"]);
    expect(health).toStrictEqual([false, false, true, true]);
    // First two waits are the header's backoff (1 s, then 2 s with random() = 0 → half of it).
    expect(time.sleeps.slice(0, 2)).toStrictEqual([500, 1_000]);
    expect(read(IDENTITY_FILES.certificateChain)).toContain("BEGIN CERTIFICATE");
  });

  it("is unhealthy when a file Envoy needs is missing, the certificate expired, or status.json is not egress", async () => {
    simulateSecrets({ [CERT_SECRET]: { v1: await clientCertSecret({ notAfter: T0 + 10 * HOUR }) }, [HEADER_SECRET]: { v1: HEADER_VALUE } }, () => ({ [CERT_SECRET]: "v1", [HEADER_SECRET]: "v1" }));
    const cfg = config({ trustBundlePem: upstreamCa, clientCertificateSecretId: CERT_SECRET, headerSecretId: HEADER_SECRET });
    const controller = new AbortController();
    await run(cfg, { controller, sleep: stopAfter(1, controller) });
    expect(await checkEgressHealth({ config: cfg, now: time.clock() })).toMatchObject({ healthy: true, reason: expect.stringMatching(/trust bundle, client certificate until .*, header credential/) });

    expect((await checkEgressHealth({ config: cfg, now: new Date(T0 + 10 * HOUR) })).reason).toMatch(/client certificate expired/);
    // Health checks exactly what the environment enables: a header the status lacks is not "ready".
    writeFileSync(path.join(dir, EGRESS_IDENTITY_FILES.headerCredential), "");
    expect((await checkEgressHealth({ config: cfg, now: time.clock() })).reason).toMatch(/upstream-header-credential is empty/);
    writeFileSync(path.join(dir, STATUS_FILE), JSON.stringify({ state: "ready", source: "secretsManager" }));
    expect((await checkEgressHealth({ config: cfg, now: time.clock() })).reason).toMatch(/written by the secretsManager source/);
  });

  it("removes temp files a crashed run left behind", async () => {
    writeFileSync(path.join(dir, `${TEMP_PREFIX}upstream-header-credential.abc`), "partial");
    simulateSecrets({ [HEADER_SECRET]: { v1: HEADER_VALUE } }, () => ({ [HEADER_SECRET]: "v1" }));
    const controller = new AbortController();
    await run(config({ headerSecretId: HEADER_SECRET }), { controller, sleep: stopAfter(1, controller) });
    expect(await leftoverTempFiles(dir)).toStrictEqual([]);
  });
});
