import { IDENTITY_DIR } from "../../envoy/identity-files";
import { sidecarContainerEnvironment, sidecarHealthCheck, sidecarHealthCheckCommand, SIDECAR_ENTRYPOINT } from "../../envoy/sidecar/container";
import { parseSidecarEnv, SIDECAR_ENV, spiffeIdProblem } from "../../envoy/sidecar/env";
import { main } from "../../envoy/sidecar/main";
import { envProblems, SECRET_ARN_X, SPIFFE_X } from "./support/harness";
import { LocalCa } from "./support/local-ca";

let bundle: string;
beforeAll(async () => {
  bundle = (await LocalCa.create("Mesh")).rootPem;
});

const ISSUER_ARN_X = "arn:aws:lambda:us-east-1:222222222222:function:farcar-afterpay-staging-issuer:farcar-checkout";

const privateCaEnv = (): Record<string, string> => ({
  FARCAR_IDENTITY_SOURCE: "privateCa",
  FARCAR_SPIFFE_ID: SPIFFE_X,
  FARCAR_ISSUER_ARN: ISSUER_ARN_X,
  FARCAR_TRUST_BUNDLE: bundle,
});

describe("parseSidecarEnv", () => {
  it("applies the documented defaults in privateCa mode", () => {
    expect(parseSidecarEnv(privateCaEnv())).toStrictEqual({
      source: "privateCa",
      spiffeId: SPIFFE_X,
      trustBundlePem: bundle,
      identityDir: IDENTITY_DIR,
      region: "us-east-1", // from the issuer ARN
      startupTimeoutSeconds: 300,
      issuerArn: ISSUER_ARN_X,
      certTtlHours: 24,
    });
  });

  it("parses secretsManager mode", () => {
    const config = parseSidecarEnv({ FARCAR_IDENTITY_SOURCE: "secretsManager", FARCAR_SPIFFE_ID: SPIFFE_X, FARCAR_SECRET_ID: SECRET_ARN_X, FARCAR_TRUST_BUNDLE: bundle, FARCAR_SECRET_POLL_SECONDS: "30" });
    expect(config).toMatchObject({ source: "secretsManager", secretId: SECRET_ARN_X, secretPollSeconds: 30, region: "us-east-1" });
  });

  it("rejects a TTL beyond the 7 days of a short-lived CA, and a non-integer TTL", () => {
    expect(envProblems({ ...privateCaEnv(), FARCAR_CERT_TTL_HOURS: "169" })).toEqual([expect.stringMatching(/FARCAR_CERT_TTL_HOURS=169 must be an integer between 1 and 168/)]);
    expect(envProblems({ ...privateCaEnv(), FARCAR_CERT_TTL_HOURS: "1.5" })).toHaveLength(1);
    expect(parseSidecarEnv({ ...privateCaEnv(), FARCAR_CERT_TTL_HOURS: "168" })).toMatchObject({ certTtlHours: 168 });
  });

  it("lists every problem at once", () => {
    const found = envProblems({ FARCAR_IDENTITY_SOURCE: "privateCa", FARCAR_SPIFFE_ID: "https://x", FARCAR_ISSUER_ARN: "arn:aws:lambda:us-east-1:222222222222:function:farcar-afterpay-staging-issuer", FARCAR_TRUST_BUNDLE: "not pem" });
    expect(found).toEqual([
      expect.stringMatching(/FARCAR_SPIFFE_ID=https:\/\/x is not a valid SPIFFE ID/),
      expect.stringMatching(/FARCAR_TRUST_BUNDLE contains no PEM CERTIFICATE/),
      expect.stringMatching(/FARCAR_ISSUER_ARN=.* is not an alias-qualified Lambda function ARN/),
      expect.stringMatching(/AWS_REGION is required/),
    ]);
  });

  it("rejects an unknown source, variables of the other mode, and a region that is not the resource's", () => {
    expect(envProblems({ ...privateCaEnv(), FARCAR_IDENTITY_SOURCE: "vault" })[0]).toMatch(/FARCAR_IDENTITY_SOURCE must be one of privateCa, secretsManager, egress \(got 'vault'\)/);
    expect(envProblems({ ...privateCaEnv(), FARCAR_SECRET_ID: SECRET_ARN_X })).toEqual([expect.stringMatching(/FARCAR_SECRET_ID is not used when FARCAR_IDENTITY_SOURCE=privateCa/)]);
    expect(envProblems({ ...privateCaEnv(), AWS_REGION: "eu-west-1" })).toEqual([expect.stringMatching(/differs from the region of the ARN/)]);
  });

  it("validates SPIFFE IDs per the SPIFFE-ID spec", () => {
    expect(spiffeIdProblem(SPIFFE_X)).toBeUndefined();
    for (const bad of ["spiffe://block.example", "spiffe://block.example/", "spiffe://Block.example/a", "spiffe://block.example/a//b", "spiffe://block.example/a/../b", "spiffe://block.example/a?b", "spiffe://u@block.example/a", "spiffe://block.example:8443/a"]) {
      expect(spiffeIdProblem(bad)).toBeDefined();
    }
  });

  it("main exits 2 with a clear message on an invalid environment", async () => {
    const stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await main([], { FARCAR_IDENTITY_SOURCE: "privateCa" })).toBe(2);
      const written = stderr.mock.calls.map((c) => String(c[0])).join("");
      expect(written).toMatch(/invalid identity sidecar configuration/);
      expect(written).toMatch(/FARCAR_SPIFFE_ID is required/);
      expect(await main(["frobnicate"], {})).toBe(2);
    } finally {
      stderr.mockRestore();
    }
  });
});

describe("container contract", () => {
  it("health check runs the bundled program's health subcommand", () => {
    expect(sidecarHealthCheckCommand()).toStrictEqual(["CMD", "node", SIDECAR_ENTRYPOINT, "health"]);
    expect(sidecarHealthCheck()).toMatchObject({ command: sidecarHealthCheckCommand(), interval: 10, retries: 3 });
  });

  it.each([
    { source: "privateCa" as const, issuerArn: ISSUER_ARN_X, certTtlHours: 12 },
    { source: "secretsManager" as const, secretArn: SECRET_ARN_X },
  ])("the task-definition environment ($source) is exactly what the sidecar parses", (mode) => {
    const { environment, secrets } = sidecarContainerEnvironment({ ...mode, spiffeId: SPIFFE_X, region: "us-east-1", trustBundleSecretArn: "arn:aws:secretsmanager:us-east-1:222222222222:secret:mesh-bundle-AbCdEf" });
    const names = new Set<string>(Object.values(SIDECAR_ENV));
    for (const { name } of [...environment, ...secrets]) expect(names).toContain(name);
    expect(secrets).toStrictEqual([{ name: "FARCAR_TRUST_BUNDLE", valueFrom: "arn:aws:secretsmanager:us-east-1:222222222222:secret:mesh-bundle-AbCdEf" }]);
    const env = Object.fromEntries(environment.map((e) => [e.name, e.value]));
    const config = parseSidecarEnv({ ...env, FARCAR_TRUST_BUNDLE: bundle });
    expect(config.source).toBe(mode.source);
    expect(config.identityDir).toBe(IDENTITY_DIR);
    if (config.source === "privateCa") expect(config).toMatchObject({ issuerArn: ISSUER_ARN_X, certTtlHours: 12 });
  });
});
