/**
 * egress mode's configuration: the strict environment parser, the task-definition helper
 * (egressSidecarContainerEnvironment, round-tripped through the parser for every upstream auth kind
 * of envoy/egress.ts) and the `health` subcommand's dispatch.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { EGRESS_AWS_CREDENTIALS_ENDPOINT, egressIdentityNeeds, egressRoleSessionName, type EgressUpstreamAuth } from "../../envoy/egress";
import { IDENTITY_DIR } from "../../envoy/identity-files";
import { egressSidecarContainerEnvironment, type EgressSidecarInput } from "../../envoy/sidecar/container";
import { parseSidecarEnv, SIDECAR_ENV } from "../../envoy/sidecar/env";
import { healthCommand } from "../../envoy/sidecar/main";
import { envProblems, ISSUER_ARN_X, SECRET_ARN_X, SPIFFE_X } from "./support/harness";
import { LocalCa } from "./support/local-ca";

const ACCOUNT = "444444444444";
const secret = (name: string, region = "ap-southeast-2"): string => `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:farcar/afterpay/staging/egress/risk-scores/${name}-AbCdEf`;
const CERT = secret("client-certificate");
const HEADER = secret("header-credential");
const BUNDLE_SECRET = secret("upstream-ca-bundle");
const ROLE = "arn:aws:iam::333333333333:role/risk-scores-callers";
const SESSION = egressRoleSessionName({ acquisition: "afterpay", environment: "staging", service: "risk-scores" });

let bundle: string;
beforeAll(async () => {
  bundle = (await LocalCa.create("Acquisition")).rootPem;
});

const egress = (extra: Record<string, string>): Record<string, string> => ({ FARCAR_IDENTITY_SOURCE: "egress", ...extra });

describe("parseSidecarEnv (egress)", () => {
  it("parses every item, with the documented defaults and the fixed credentials endpoint", () => {
    expect(
      parseSidecarEnv(
        egress({ FARCAR_TRUST_BUNDLE: bundle, FARCAR_CLIENT_CERT_SECRET_ID: CERT, FARCAR_HEADER_SECRET_ID: HEADER, FARCAR_ASSUME_ROLE_ARN: ROLE, FARCAR_ROLE_SESSION_NAME: SESSION }),
      ),
    ).toStrictEqual({
      source: "egress",
      identityDir: IDENTITY_DIR,
      region: "ap-southeast-2", // from the secret ARNs
      startupTimeoutSeconds: 300,
      secretPollSeconds: 60,
      trustBundlePem: bundle,
      clientCertificateSecretId: CERT,
      headerSecretId: HEADER,
      assumeRole: { roleArn: ROLE, sessionName: SESSION, endpoint: EGRESS_AWS_CREDENTIALS_ENDPOINT },
    });
  });

  it("each item alone is a valid configuration (a role needs AWS_REGION: its ARN has none)", () => {
    expect(parseSidecarEnv(egress({ FARCAR_TRUST_BUNDLE: bundle, AWS_REGION: "us-east-1" }))).toStrictEqual({
      source: "egress",
      identityDir: IDENTITY_DIR,
      region: "us-east-1",
      startupTimeoutSeconds: 300,
      secretPollSeconds: 60,
      trustBundlePem: bundle,
    });
    expect(parseSidecarEnv(egress({ FARCAR_HEADER_SECRET_ID: HEADER, FARCAR_SECRET_POLL_SECONDS: "30" }))).toMatchObject({ headerSecretId: HEADER, secretPollSeconds: 30 });
    expect(parseSidecarEnv(egress({ FARCAR_ASSUME_ROLE_ARN: ROLE, FARCAR_ROLE_SESSION_NAME: SESSION, AWS_REGION: "us-east-1" }))).toMatchObject({ assumeRole: { roleArn: ROLE } });
    expect(envProblems(egress({ FARCAR_ASSUME_ROLE_ARN: ROLE, FARCAR_ROLE_SESSION_NAME: SESSION }))).toEqual([expect.stringMatching(/AWS_REGION is required/)]);
  });

  it("refuses an egress sidecar with nothing to do", () => {
    expect(envProblems(egress({ AWS_REGION: "us-east-1" }))).toEqual([
      expect.stringMatching(/FARCAR_IDENTITY_SOURCE=egress needs at least one of FARCAR_TRUST_BUNDLE, FARCAR_CLIENT_CERT_SECRET_ID, FARCAR_HEADER_SECRET_ID, FARCAR_ASSUME_ROLE_ARN/),
    ]);
  });

  it("requires the acquisition's CA bundle with a client certificate (mtls verifies the upstream with it)", () => {
    expect(envProblems(egress({ FARCAR_CLIENT_CERT_SECRET_ID: CERT }))).toEqual([expect.stringMatching(/FARCAR_CLIENT_CERT_SECRET_ID needs FARCAR_TRUST_BUNDLE/)]);
    expect(envProblems(egress({ FARCAR_CLIENT_CERT_SECRET_ID: CERT, FARCAR_TRUST_BUNDLE: "not pem" }))).toEqual([expect.stringMatching(/FARCAR_TRUST_BUNDLE contains no PEM CERTIFICATE/)]);
  });

  it("pairs the role ARN with its session name and checks both", () => {
    const base = { AWS_REGION: "us-east-1" };
    expect(envProblems(egress({ ...base, FARCAR_ASSUME_ROLE_ARN: ROLE }))).toEqual([expect.stringMatching(/FARCAR_ROLE_SESSION_NAME is required with FARCAR_ASSUME_ROLE_ARN/)]);
    expect(envProblems(egress({ ...base, FARCAR_TRUST_BUNDLE: bundle, FARCAR_ROLE_SESSION_NAME: SESSION }))).toEqual([expect.stringMatching(/FARCAR_ROLE_SESSION_NAME is only used with FARCAR_ASSUME_ROLE_ARN/)]);
    expect(envProblems(egress({ ...base, FARCAR_ASSUME_ROLE_ARN: "arn:aws:iam::333333333333:user/bob", FARCAR_ROLE_SESSION_NAME: SESSION }))).toEqual([expect.stringMatching(/is not an IAM role ARN/)]);
    expect(envProblems(egress({ ...base, FARCAR_ASSUME_ROLE_ARN: ROLE, FARCAR_ROLE_SESSION_NAME: "farcar afterpay" }))).toEqual([expect.stringMatching(/FARCAR_ROLE_SESSION_NAME=farcar afterpay must be 2 to 64/)]);
    expect(envProblems(egress({ ...base, FARCAR_ASSUME_ROLE_ARN: ROLE, FARCAR_ROLE_SESSION_NAME: "x".repeat(65) }))).toHaveLength(1);
    expect(parseSidecarEnv(egress({ ...base, FARCAR_ASSUME_ROLE_ARN: "arn:aws:iam::333333333333:role/path/to/role", FARCAR_ROLE_SESSION_NAME: "x".repeat(64) }))).toMatchObject({ source: "egress" });
  });

  it("rejects the ingress variables in egress mode, and the egress variables in ingress modes", () => {
    expect(envProblems(egress({ FARCAR_HEADER_SECRET_ID: HEADER, FARCAR_SPIFFE_ID: SPIFFE_X, FARCAR_SECRET_ID: SECRET_ARN_X, FARCAR_ISSUER_ARN: ISSUER_ARN_X }))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/FARCAR_SPIFFE_ID is not used when FARCAR_IDENTITY_SOURCE=egress/),
        expect.stringMatching(/FARCAR_SECRET_ID is not used when FARCAR_IDENTITY_SOURCE=egress/),
        expect.stringMatching(/FARCAR_ISSUER_ARN is not used when FARCAR_IDENTITY_SOURCE=egress/),
      ]),
    );
    const privateCa = { FARCAR_IDENTITY_SOURCE: "privateCa", FARCAR_SPIFFE_ID: SPIFFE_X, FARCAR_ISSUER_ARN: ISSUER_ARN_X, FARCAR_TRUST_BUNDLE: bundle };
    for (const name of [SIDECAR_ENV.clientCertSecretId, SIDECAR_ENV.headerSecretId, SIDECAR_ENV.assumeRoleArn, SIDECAR_ENV.roleSessionName]) {
      expect(envProblems({ ...privateCa, [name]: name === SIDECAR_ENV.assumeRoleArn ? ROLE : name === SIDECAR_ENV.roleSessionName ? SESSION : CERT.replace("ap-southeast-2", "us-east-1") })).toEqual([
        expect.stringMatching(new RegExp(`${name} is not used when FARCAR_IDENTITY_SOURCE=privateCa`)),
      ]);
      expect(envProblems({ FARCAR_IDENTITY_SOURCE: "secretsManager", FARCAR_SPIFFE_ID: SPIFFE_X, FARCAR_SECRET_ID: SECRET_ARN_X, FARCAR_TRUST_BUNDLE: bundle, [name]: "x1" })).toEqual([
        expect.stringMatching(new RegExp(`${name} is not used when FARCAR_IDENTITY_SOURCE=secretsManager`)),
      ]);
    }
  });

  it("reads both secrets in one region, the region given or derived", () => {
    expect(envProblems(egress({ FARCAR_TRUST_BUNDLE: bundle, FARCAR_CLIENT_CERT_SECRET_ID: CERT, FARCAR_HEADER_SECRET_ID: secret("header", "us-east-1") }))).toEqual([
      expect.stringMatching(/secret ARNs are in different regions \(ap-southeast-2, us-east-1\)/),
    ]);
    expect(envProblems(egress({ FARCAR_HEADER_SECRET_ID: HEADER, AWS_REGION: "us-east-1" }))).toEqual([expect.stringMatching(/differs from the region of the ARN \(ap-southeast-2\)/)]);
    expect(envProblems(egress({ FARCAR_HEADER_SECRET_ID: "arn:aws:secretsmanager:us-east-1:1:secret:x" }))).toEqual(
      expect.arrayContaining([expect.stringMatching(/FARCAR_HEADER_SECRET_ID=.* is not a Secrets Manager secret ARN/)]),
    );
    expect(parseSidecarEnv(egress({ FARCAR_HEADER_SECRET_ID: "farcar/header", AWS_REGION: "eu-west-1" }))).toMatchObject({ headerSecretId: "farcar/header", region: "eu-west-1" });
  });

  it("rejects a poll interval when no secret is polled, and out of range", () => {
    expect(envProblems(egress({ FARCAR_TRUST_BUNDLE: bundle, AWS_REGION: "us-east-1", FARCAR_SECRET_POLL_SECONDS: "30" }))).toEqual([
      expect.stringMatching(/FARCAR_SECRET_POLL_SECONDS is not used when FARCAR_IDENTITY_SOURCE=egress/),
    ]);
    expect(envProblems(egress({ FARCAR_HEADER_SECRET_ID: HEADER, FARCAR_SECRET_POLL_SECONDS: "1" }))).toEqual([expect.stringMatching(/between 5 and 3600/)]);
  });
});

describe("egressSidecarContainerEnvironment", () => {
  /** The stack's input for one outbound service, derived the way modules/identity/egress-identity.ts does. */
  function inputFor(auth: EgressUpstreamAuth, upstreamCa: "system" | "trustBundle"): EgressSidecarInput {
    const needs = egressIdentityNeeds(auth, { upstreamCa });
    return {
      region: "ap-southeast-2",
      trustBundleSecretArn: needs.trustBundle ? BUNDLE_SECRET : undefined,
      clientCertificateSecretArn: needs.clientCertificate ? CERT : undefined,
      headerSecretArn: needs.headerSecret ? HEADER : undefined,
      assumeRoleArn: needs.sigv4AssumeRoleArn,
      roleSessionName: needs.sigv4AssumeRoleArn ? SESSION : undefined,
    };
  }

  it.each([
    { kind: "mtls", auth: { kind: "mtls" } as EgressUpstreamAuth, upstreamCa: "trustBundle" as const, items: ["trustBundlePem", "clientCertificateSecretId"] },
    { kind: "header", auth: { kind: "header", name: "X-Api-Key" } as EgressUpstreamAuth, upstreamCa: "system" as const, items: ["headerSecretId"] },
    { kind: "header + private CA", auth: { kind: "header", name: "X-Api-Key" } as EgressUpstreamAuth, upstreamCa: "trustBundle" as const, items: ["trustBundlePem", "headerSecretId"] },
    { kind: "sigv4 + roleArn", auth: { kind: "sigv4", service: "execute-api", region: "ap-southeast-2", roleArn: ROLE } as EgressUpstreamAuth, upstreamCa: "system" as const, items: ["assumeRole"] },
    { kind: "sigv4 (task role) + private CA", auth: { kind: "sigv4", service: "execute-api", region: "ap-southeast-2" } as EgressUpstreamAuth, upstreamCa: "trustBundle" as const, items: ["trustBundlePem"] },
  ])("$kind: the task-definition environment is exactly what the sidecar parses", ({ auth, upstreamCa, items }) => {
    const { environment, secrets } = egressSidecarContainerEnvironment(inputFor(auth, upstreamCa));
    const names = new Set<string>(Object.values(SIDECAR_ENV));
    for (const { name } of [...environment, ...secrets]) expect(names).toContain(name);
    expect(secrets).toStrictEqual(items.includes("trustBundlePem") ? [{ name: "FARCAR_TRUST_BUNDLE", valueFrom: BUNDLE_SECRET }] : []);
    expect(environment.every((e) => e.value !== "" && e.value !== "undefined")).toBe(true);
    const env = Object.fromEntries(environment.map((e) => [e.name, e.value]));
    const config = parseSidecarEnv({ ...env, ...(secrets.length > 0 && { FARCAR_TRUST_BUNDLE: bundle }) });
    expect(config.source).toBe("egress");
    if (config.source !== "egress") return;
    expect(config.identityDir).toBe(IDENTITY_DIR);
    expect(config.region).toBe("ap-southeast-2");
    const enabled = (["trustBundlePem", "clientCertificateSecretId", "headerSecretId", "assumeRole"] as const).filter((k) => config[k] !== undefined);
    expect(enabled).toStrictEqual(items);
    if (config.assumeRole) expect(config.assumeRole).toMatchObject({ roleArn: ROLE, sessionName: SESSION });
  });

  it("refuses inputs the sidecar would reject, instead of deploying a crash-looping task", () => {
    expect(() => egressSidecarContainerEnvironment({ region: "us-east-1" })).toThrow(/nothing to provide/);
    expect(() => egressSidecarContainerEnvironment({ region: "us-east-1", assumeRoleArn: ROLE })).toThrow(/roleSessionName/);
    expect(() => egressSidecarContainerEnvironment({ region: "us-east-1", headerSecretArn: HEADER, roleSessionName: SESSION })).toThrow(/roleSessionName/);
    expect(() => egressSidecarContainerEnvironment({ region: "us-east-1", clientCertificateSecretArn: CERT })).toThrow(/needs the acquisition's CA bundle/);
  });
});

describe("health subcommand (egress)", () => {
  it("is unhealthy with an invalid environment, and without anything installed", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "farcar-egress-health-"));
    const stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await healthCommand({ FARCAR_IDENTITY_SOURCE: "egress", FARCAR_IDENTITY_DIR: dir })).toBe(1);
      expect(stderr.mock.calls.map((c) => String(c[0])).join("")).toMatch(/unhealthy: invalid identity sidecar configuration/);
      expect(await healthCommand({ FARCAR_IDENTITY_SOURCE: "egress", FARCAR_IDENTITY_DIR: dir, FARCAR_HEADER_SECRET_ID: HEADER })).toBe(1);
      expect(stderr.mock.calls.map((c) => String(c[0])).join("")).toMatch(/unhealthy: no readable status.json/);
    } finally {
      stderr.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
