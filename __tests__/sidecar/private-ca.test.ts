import { readFileSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import {
  ACMPCAClient,
  GetCertificateCommand,
  IssueCertificateCommand,
  type IssueCertificateCommandInput,
  RequestInProgressException,
} from "@aws-sdk/client-acm-pca";
import { InvokeCommand, LambdaClient, type InvokeCommandInput } from "@aws-sdk/client-lambda";
import * as x509 from "@peculiar/x509";
import { mockClient } from "aws-sdk-client-mock";
import { randomUUID } from "node:crypto";
import { parse as parseYaml } from "yaml";
import { IDENTITY_FILES } from "../../envoy/identity-files";
import { certificateSdsDocument, trustBundleSdsDocument } from "../../envoy/sds";
import { PrivateCaConfig } from "../../envoy/sidecar/env";
import { STATUS_FILE, TEMP_PREFIX } from "../../envoy/sidecar/files";
import { healthCommand } from "../../envoy/sidecar/main";
import { PrivateCaSource } from "../../envoy/sidecar/private-ca";
import { runSidecar } from "../../envoy/sidecar/run";
import { checkHealth, readStatus, writeStatus } from "../../envoy/sidecar/status";
import { issue, type IssuerConfig } from "../../issuer/handler";
import { CA_ARN_X, cleanup, FakeTime, HOUR, leftoverTempFiles, observingFs, silentLog, SPIFFE_X, SPIFFE_Y, tempDir } from "./support/harness";
import { LocalCa } from "./support/local-ca";

const pca = mockClient(ACMPCAClient);
// `as never`: client-lambda resolves a newer @smithy/types than aws-sdk-client-mock was typed with (runtime is compatible).
const lambda = mockClient(LambdaClient as never);

const ISSUER_FUNCTION = "farcar-afterpay-staging-issuer";
const ISSUER_ARN_X = `arn:aws:lambda:us-east-1:222222222222:function:${ISSUER_FUNCTION}:farcar-checkout`;
const ISSUER_ARN_Y = `arn:aws:lambda:us-east-1:222222222222:function:${ISSUER_FUNCTION}:farcar-billing`;
const ISSUER_CONFIG: IssuerConfig = {
  caArn: CA_ARN_X,
  templateArn: "arn:aws:acm-pca:::template/EndEntityCertificate_APIPassthrough/V1",
  signingAlgorithm: "SHA256WITHECDSA",
  spiffeIdTemplate: "spiffe://block.example/acquisition/afterpay/staging/{service}",
  maxTtlHours: 168,
};

/**
 * Lambda, running the REAL issuer (issuer/handler.ts) for each Invoke: the invoked ARN (alias
 * included) is what Lambda puts in context.invokedFunctionArn; errors come back as FunctionError
 * with Lambda's { errorType, errorMessage } payload.
 */
function simulateIssuer(): void {
  lambda.on(InvokeCommand as never).callsFake(async (input: InvokeCommandInput) => {
    const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    try {
      const out = await issue(
        { config: ISSUER_CONFIG, client: new ACMPCAClient({ region: "us-east-1" }), functionName: ISSUER_FUNCTION, clock: time.clock, sleep: (ms) => time.sleep(ms) },
        input.FunctionName!,
        JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array)),
        randomUUID(),
      );
      return { StatusCode: 200, Payload: encode(out) };
    } catch (err) {
      return { StatusCode: 200, FunctionError: "Unhandled", Payload: encode({ errorType: (err as Error).name, errorMessage: (err as Error).message }) };
    }
  });
}

/** ACM PCA's throttling error (a generic service exception in this SDK version). */
function throttling(): Error {
  return Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
}

function config(dir: string, overrides: Partial<PrivateCaConfig> = {}): PrivateCaConfig {
  return {
    source: "privateCa",
    spiffeId: SPIFFE_X,
    trustBundlePem: meshBundle,
    identityDir: dir,
    region: "us-east-1",
    startupTimeoutSeconds: 300,
    issuerArn: ISSUER_ARN_X,
    certTtlHours: 24,
    ...overrides,
  };
}

let ca: LocalCa;
let meshBundle: string;
let dir: string;
let time: FakeTime;

interface IssueCall {
  at: number;
  input: IssueCertificateCommandInput;
  csrPem: string;
}

/**
 * Simulates AWS Private CA on top of the real local CA: IssueCertificate records the request and
 * signs the CSR (SANs from ApiPassthrough, not-before −60 min, not-after from ABSOLUTE validity);
 * GetCertificate answers RequestInProgressException `inProgress` times per certificate first.
 */
function simulatePca(opts: { inProgress?: number; sanOverride?: string[]; failFromCall?: number; onIssue?: (n: number) => void | Promise<void> } = {}): IssueCall[] {
  simulateIssuer();
  const calls: IssueCall[] = [];
  const issued = new Map<string, { pem: string; pending: number }>();
  pca.on(IssueCertificateCommand).callsFake(async (input: IssueCertificateCommandInput) => {
    const n = calls.length + 1;
    const csrPem = new TextDecoder().decode(input.Csr);
    calls.push({ at: time.now, input, csrPem });
    await opts.onIssue?.(n);
    if (opts.failFromCall !== undefined && n >= opts.failFromCall) {
      throw throttling();
    }
    const uris = opts.sanOverride ?? input.ApiPassthrough!.Extensions!.SubjectAlternativeNames!.map((s) => s.UniformResourceIdentifier!);
    const pem = await ca.issueFromCsr(csrPem, {
      uris,
      notBefore: new Date(time.now - HOUR),
      notAfter: new Date(Number(input.Validity!.Value) * 1000),
    });
    const arn = `${input.CertificateAuthorityArn}/certificate/${n.toString(16).padStart(32, "0")}`;
    issued.set(arn, { pem, pending: opts.inProgress ?? 1 });
    return { CertificateArn: arn };
  });
  pca.on(GetCertificateCommand).callsFake(async (input: { CertificateArn: string; CertificateAuthorityArn: string }) => {
    expect(input.CertificateAuthorityArn).toBe(CA_ARN_X);
    const cert = issued.get(input.CertificateArn);
    if (!cert) throw new Error(`unknown certificate ${input.CertificateArn}`);
    if (cert.pending > 0) {
      cert.pending -= 1;
      throw new RequestInProgressException({ message: "The request is in progress", $metadata: {} });
    }
    return { Certificate: cert.pem, CertificateChain: ca.chainPem };
  });
  return calls;
}

function source(cfg: PrivateCaConfig, signal?: AbortSignal): PrivateCaSource {
  return new PrivateCaSource({ config: cfg, client: new LambdaClient({ region: "us-east-1" }), clock: time.clock, sleep: time.sleep, signal });
}

beforeAll(async () => {
  ca = await LocalCa.create("Acquisition checkout");
  meshBundle = (await LocalCa.create("Parent mesh")).rootPem;
});

beforeEach(() => {
  pca.reset();
  lambda.reset();
  dir = tempDir();
  time = new FakeTime();
});

afterEach(() => cleanup(dir));

describe("privateCa issuance request", () => {
  it("invokes its own issuer alias with a CSR whose only extension is a critical SAN with exactly the SPIFFE ID; the issuer writes exactly that APIPassthrough SAN", async () => {
    const calls = simulatePca();
    const svid = await source(config(dir)).fetch();

    expect(calls).toHaveLength(1);
    expect(lambda.commandCalls(InvokeCommand as never).map((c) => (c.args[0].input as InvokeCommandInput).FunctionName)).toStrictEqual([ISSUER_ARN_X]);
    const { input, csrPem } = calls[0];
    expect(input.CertificateAuthorityArn).toBe(CA_ARN_X);
    expect(input.TemplateArn).toBe("arn:aws:acm-pca:::template/EndEntityCertificate_APIPassthrough/V1");
    expect(input.SigningAlgorithm).toBe("SHA256WITHECDSA");
    expect(input.ApiPassthrough).toStrictEqual({ Extensions: { SubjectAlternativeNames: [{ UniformResourceIdentifier: SPIFFE_X }] } });
    expect(input.Validity).toStrictEqual({ Type: "ABSOLUTE", Value: calls[0].at / 1000 + 24 * 3600 });
    expect(input.IdempotencyToken).toMatch(/^[0-9a-f-]{36}$/);

    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    expect(await csr.verify()).toBe(true);
    expect(csr.subject).toBe("");
    expect(csr.extensions).toHaveLength(1);
    const san = new x509.SubjectAlternativeNameExtension(csr.extensions[0].rawData);
    expect(san.type).toBe("2.5.29.17");
    expect(san.critical).toBe(true);
    expect(san.names.toJSON()).toStrictEqual([{ type: "url", value: SPIFFE_X }]);
    expect(csr.publicKey.algorithm).toMatchObject({ name: "ECDSA", namedCurve: "P-256" });

    // The installed key is the one the CSR was made for.
    expect(svid.notAfter.getTime()).toBe(calls[0].at + 24 * HOUR);
    expect(svid.chainPem).toContain(ca.issuing.toString("pem").split("\n")[1]);
  });

  it("polls GetCertificate with backoff while the CA answers RequestInProgressException", async () => {
    simulatePca({ inProgress: 3 });
    await source(config(dir)).fetch();
    expect(pca.commandCalls(GetCertificateCommand)).toHaveLength(4);
    expect(time.sleeps).toStrictEqual([200, 400, 800]);
  });

  it("refuses a certificate whose SAN is not the requested SPIFFE ID (a misbehaving CA)", async () => {
    simulatePca({ sanOverride: [SPIFFE_Y] });
    await expect(source(config(dir)).fetch()).rejects.toThrow(/URI SANs .*billing.* are not exactly/);
    simulatePca({ sanOverride: [SPIFFE_X, SPIFFE_Y] });
    await expect(source(config(dir)).fetch()).rejects.toThrow(/are not exactly/);
  });

  it("fails, naming both, when its alias stands for another identity than FARCAR_SPIFFE_ID (a miswired task definition)", async () => {
    simulatePca();
    await expect(source(config(dir, { issuerArn: ISSUER_ARN_Y })).fetch()).rejects.toThrow(/may only be spiffe:.*billing.*CSR asks for url:spiffe:.*checkout/);
    expect(pca.commandCalls(IssueCertificateCommand)).toHaveLength(0);
  });
});

describe("privateCa loop", () => {
  it("writes key (0600) then chain, bundle and SDS documents atomically, and reports ready", async () => {
    const controller = new AbortController();
    simulatePca({ onIssue: (n) => void (n === 2 && controller.abort()) });
    const observed = observingFs(dir);
    writeFileSync(path.join(dir, `${TEMP_PREFIX}svid.pem.deadbeef`), "-----BEGIN CERT"); // left by a crashed run
    const code = await runSidecar({ config: config(dir), source: source(config(dir), controller.signal), clock: time.clock, sleep: time.sleep, fs: observed.fs, log: silentLog, signal: controller.signal });
    expect(code).toBe(0);

    // Every file reached its final name through rename of a complete temp file; none was written in place.
    expect(observed.directWrites).toStrictEqual([]);
    expect(await leftoverTempFiles(dir)).toStrictEqual([]);
    const order = observed.renames.map((r) => r.file);
    expect(order.indexOf(IDENTITY_FILES.privateKey)).toBeLessThan(order.indexOf(IDENTITY_FILES.certificateChain));
    for (const file of [IDENTITY_FILES.privateKey, IDENTITY_FILES.certificateChain, IDENTITY_FILES.trustBundle, IDENTITY_FILES.certificateSds, IDENTITY_FILES.trustBundleSds, STATUS_FILE]) {
      const last = observed.renames.filter((r) => r.file === file).at(-1);
      expect(last).toBeDefined();
      expect(readFileSync(path.join(dir, file), "utf8")).toBe(last!.content);
      expect(last!.mode).toBe(file === IDENTITY_FILES.privateKey ? 0o600 : 0o644);
    }
    expect(statSync(path.join(dir, IDENTITY_FILES.privateKey)).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, IDENTITY_FILES.certificateChain)).mode & 0o777).toBe(0o644);

    // The pair on disk is consistent and is the SPIFFE ID's SVID.
    const chain = readFileSync(path.join(dir, IDENTITY_FILES.certificateChain), "utf8");
    const leaf = new x509.X509Certificate(chain);
    const { X509Certificate, createPrivateKey } = await import("node:crypto");
    expect(new X509Certificate(chain).checkPrivateKey(createPrivateKey(readFileSync(path.join(dir, IDENTITY_FILES.privateKey), "utf8")))).toBe(true);
    expect(new x509.SubjectAlternativeNameExtension(leaf.getExtension("2.5.29.17")!.rawData).names.toJSON()).toStrictEqual([{ type: "url", value: SPIFFE_X }]);
    expect(readFileSync(path.join(dir, IDENTITY_FILES.trustBundle), "utf8")).toBe(meshBundle);

    // SDS documents are exactly the shared contract.
    expect(parseYaml(readFileSync(path.join(dir, IDENTITY_FILES.certificateSds), "utf8"))).toStrictEqual(certificateSdsDocument());
    expect(parseYaml(readFileSync(path.join(dir, IDENTITY_FILES.trustBundleSds), "utf8"))).toStrictEqual(trustBundleSdsDocument());

    const status = await readStatus(dir);
    expect(status).toMatchObject({ state: "ready", spiffeId: SPIFFE_X, source: "privateCa" });
    expect((await checkHealth({ dir, now: time.clock(), spiffeId: SPIFFE_X })).healthy).toBe(true);
    expect((await checkHealth({ dir, now: time.clock(), spiffeId: SPIFFE_Y })).healthy).toBe(false);
  });

  it("renews at half of the certificate's lifetime, with a new key each time", async () => {
    const controller = new AbortController();
    const calls = simulatePca({ onIssue: (n) => void (n === 4 && controller.abort()) });
    const keys: string[] = [];
    const observed = observingFs(dir);
    const fsWithKeyLog = {
      ...observed.fs,
      rename: async (from: string, to: string) => {
        await observed.fs.rename(from, to);
        if (path.basename(to) === IDENTITY_FILES.privateKey) keys.push(readFileSync(to, "utf8"));
      },
    } as typeof observed.fs;
    const start = time.now;
    await runSidecar({ config: config(dir), source: source(config(dir), controller.signal), clock: time.clock, sleep: time.sleep, fs: fsWithKeyLog, log: silentLog, signal: controller.signal });

    // PCA backdates not-before by 1 h: lifetime 25 h, renewal 12.5 h after not-before = 11.5 h after issuance.
    const issuedAt = calls.map((c) => c.at - start);
    expect(issuedAt[0]).toBe(0);
    const gaps = issuedAt.slice(1).map((t, i) => t - issuedAt[i]);
    for (const gap of gaps) expect(Math.abs(gap - 11.5 * HOUR)).toBeLessThanOrEqual(1000);
    expect(calls).toHaveLength(4);
    expect(new Set(keys).size).toBe(3);
    expect(new Set(calls.map((c) => c.input.IdempotencyToken)).size).toBe(4);
  });

  it("retries a failed renewal with jittered exponential backoff and recovers", async () => {
    const controller = new AbortController();
    let failures = 0;
    const calls = simulatePca({
      onIssue: (n) => {
        if (n >= 2 && n <= 5) {
          failures += 1;
          throw throttling();
        }
        if (n === 7) controller.abort();
      },
    });
    await runSidecar({
      config: config(dir),
      source: source(config(dir), controller.signal),
      clock: time.clock,
      sleep: time.sleep,
      random: () => 0.5,
      log: silentLog,
      signal: controller.signal,
      backoff: { baseMs: 1000, maxMs: 300_000 },
    });
    expect(failures).toBe(4);
    const afterRenewalDue = calls.slice(1, 6).map((c, i, all) => (i === 0 ? 0 : c.at - all[i - 1].at));
    // equal jitter with random()=0.5: 0.75 × 1 s, 2 s, 4 s, 8 s (+ one 250 ms in-progress poll after the last)
    expect(afterRenewalDue.slice(1)).toStrictEqual([750, 1500, 3000, 6000]);
    expect((await readStatus(dir)).lastError).toBeUndefined();
  });

  it("becomes unhealthy and exits 1 when the certificate expires without renewal", async () => {
    let healthyWhileRetrying: boolean | undefined;
    const calls = simulatePca({
      failFromCall: 2,
      onIssue: async (n) => {
        if (n === 2) healthyWhileRetrying = (await checkHealth({ dir, now: time.clock(), spiffeId: SPIFFE_X })).healthy;
      },
    });
    const code = await runSidecar({ config: config(dir), source: source(config(dir)), clock: time.clock, sleep: time.sleep, log: silentLog });

    expect(code).toBe(1);
    expect(healthyWhileRetrying).toBe(true); // a failing renewal alone does not make the task unhealthy
    expect(calls.length).toBeGreaterThan(10); // it kept retrying until the end
    const status = await readStatus(dir);
    expect(status.state).toBe("expired");
    expect(status.lastError).toMatch(/ThrottlingException/);
    expect(time.now).toBe(Date.parse(status.notAfter!));
    expect(await checkHealth({ dir, now: time.clock() })).toMatchObject({ healthy: false });
    const stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await healthCommand({ FARCAR_IDENTITY_DIR: dir }, time.clock())).toBe(1);
    } finally {
      stderr.mockRestore();
    }
  });

  it("health fails for an installed certificate past notAfter even if the status still says ready", async () => {
    const controller = new AbortController();
    simulatePca({ onIssue: (n) => void (n === 2 && controller.abort()) });
    await runSidecar({ config: config(dir), source: source(config(dir), controller.signal), clock: time.clock, sleep: time.sleep, log: silentLog, signal: controller.signal });
    const notAfter = Date.parse((await readStatus(dir)).notAfter!);
    const stdout = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    const stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await healthCommand({ FARCAR_IDENTITY_DIR: dir, FARCAR_SPIFFE_ID: SPIFFE_X }, new Date(notAfter - 1))).toBe(0);
      expect(await healthCommand({ FARCAR_IDENTITY_DIR: dir, FARCAR_SPIFFE_ID: SPIFFE_X }, new Date(notAfter))).toBe(1);
      // ... and a valid certificate is not enough when the sidecar itself reports a terminal state.
      await writeStatus(dir, { ...(await readStatus(dir)), state: "failed" });
      expect(await healthCommand({ FARCAR_IDENTITY_DIR: dir, FARCAR_SPIFFE_ID: SPIFFE_X }, new Date(notAfter - 1))).toBe(1);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  });

  it("exits 1 when no certificate can be obtained before the startup deadline, writing nothing but status", async () => {
    simulatePca({ sanOverride: [SPIFFE_Y] });
    const code = await runSidecar({ config: config(dir, { startupTimeoutSeconds: 120 }), source: source(config(dir)), clock: time.clock, sleep: time.sleep, log: silentLog });
    expect(code).toBe(1);
    expect((await readStatus(dir)).state).toBe("failed");
    const { readdirSync } = await import("node:fs");
    expect(readdirSync(dir)).toStrictEqual([STATUS_FILE]);
    expect(time.now - Date.parse("2030-01-01T00:00:00Z")).toBe(120_000);
  });

  it("stops cleanly (exit 0) when aborted while waiting", async () => {
    const controller = new AbortController();
    simulatePca();
    const sleep = async (ms: number): Promise<void> => {
      await time.sleep(ms);
      if (ms > HOUR) controller.abort(); // SIGTERM during the long wait for renewal
    };
    const code = await runSidecar({ config: config(dir), source: source(config(dir), controller.signal), clock: time.clock, sleep, log: silentLog, signal: controller.signal });
    expect(code).toBe(0);
    expect(pca.commandCalls(IssueCertificateCommand)).toHaveLength(1);
  });
});
