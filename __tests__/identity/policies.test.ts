/**
 * The Farcar task role's identity permissions, proven with an independent IAM evaluator
 * (@cloud-copilot/iam-simulate): X's role can obtain X's SVID and nothing else.
 */
import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import { API_PASSTHROUGH_TEMPLATE_ARN } from "../../envoy/sidecar/env";
import type { PolicyDocument } from "../../modules/iam/policy-document";
import { farcarTaskIdentityPolicy, farcarTrustBundleReadPolicy } from "../../modules/identity/policies";

const ACCOUNT = "222222222222";
const caArn = (n: number): string => `arn:aws:acm-pca:us-east-1:${ACCOUNT}:certificate-authority/${String(n).padStart(8, "0")}-2222-3333-4444-555555555555`;
const secretArn = (name: string): string => `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:farcar/afterpay/staging/${name}/svid-AbCdEf`;
const roleArn = (name: string): string => `arn:aws:iam::${ACCOUNT}:role/farcar-afterpay-staging-${name}-task`;

const SERVICES = ["checkout", "billing", "refunds"] as const;
const CA = Object.fromEntries(SERVICES.map((s, i) => [s, caArn(i + 1)])) as Record<(typeof SERVICES)[number], string>;

type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

async function decide(policy: PolicyDocument, request: { principal: string; action: string; resource: string; context?: Record<string, string> }): Promise<Decision> {
  const simulation: Simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: ACCOUNT },
      contextVariables: request.context ?? {},
    },
    identityPolicies: [{ name: "farcar-identity", policy }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === "error") throw new Error(`simulation rejected: ${JSON.stringify(result.errors)}`);
  return result.overallResult as Decision;
}

const issue = (policy: PolicyDocument, service: string, ca: string, template?: string): Promise<Decision> =>
  decide(policy, {
    principal: roleArn(service),
    action: "acm-pca:IssueCertificate",
    resource: ca,
    context: template === undefined ? {} : { "acm-pca:TemplateArn": template },
  });

describe("farcarTaskIdentityPolicy (privateCa)", () => {
  const policy = farcarTaskIdentityPolicy({ caArn: CA.checkout });

  it("is exactly: IssueCertificate on the service's CA with the APIPassthrough template, GetCertificate on it", () => {
    expect(policy).toStrictEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "IssueOwnSvidFromOwnCa",
          Effect: "Allow",
          Action: "acm-pca:IssueCertificate",
          Resource: CA.checkout,
          Condition: { StringEquals: { "acm-pca:TemplateArn": "arn:aws:acm-pca:::template/EndEntityCertificate_APIPassthrough/V1" } },
        },
        { Sid: "RetrieveOwnSvid", Effect: "Allow", Action: "acm-pca:GetCertificate", Resource: CA.checkout },
      ],
    });
  });

  it("X's role may issue from X's CA with the APIPassthrough template", async () => {
    expect(await issue(policy, "checkout", CA.checkout, API_PASSTHROUGH_TEMPLATE_ARN)).toBe("Allowed");
    expect(await decide(policy, { principal: roleArn("checkout"), action: "acm-pca:GetCertificate", resource: CA.checkout })).toBe("Allowed");
  });

  it("X's role may not issue from, or read certificates of, Y's CA", async () => {
    expect(await issue(policy, "checkout", CA.billing, API_PASSTHROUGH_TEMPLATE_ARN)).toBe("ImplicitlyDenied");
    expect(await decide(policy, { principal: roleArn("checkout"), action: "acm-pca:GetCertificate", resource: CA.billing })).toBe("ImplicitlyDenied");
  });

  it("X's role may not issue from its own CA without a template or with another template", async () => {
    expect(await issue(policy, "checkout", CA.checkout)).toBe("ImplicitlyDenied");
    for (const other of [
      "arn:aws:acm-pca:::template/EndEntityCertificate/V1",
      "arn:aws:acm-pca:::template/BlankEndEntityCertificate_APIPassthrough/V1",
      "arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0_APIPassthrough/V1",
      "arn:aws:acm-pca:::template/CodeSigningCertificate_APIPassthrough/V1",
    ]) {
      expect(await issue(policy, "checkout", CA.checkout, other)).toBe("ImplicitlyDenied");
    }
  });

  it("grants nothing else on the CA", async () => {
    for (const action of ["acm-pca:RevokeCertificate", "acm-pca:GetCertificateAuthorityCsr", "acm-pca:ImportCertificateAuthorityCertificate", "acm-pca:PutPolicy", "acm-pca:UpdateCertificateAuthority", "acm-pca:DeleteCertificateAuthority"]) {
      expect(await decide(policy, { principal: roleArn("checkout"), action, resource: CA.checkout })).toBe("ImplicitlyDenied");
    }
  });

  it("across services, each role may issue from its own CA only (1:1)", async () => {
    const policies = Object.fromEntries(SERVICES.map((s) => [s, farcarTaskIdentityPolicy({ caArn: CA[s], templateArn: API_PASSTHROUGH_TEMPLATE_ARN })]));
    for (const caller of SERVICES) {
      for (const target of SERVICES) {
        const expected = caller === target ? "Allowed" : "ImplicitlyDenied";
        expect(`${caller}→${target}: ${await issue(policies[caller], caller, CA[target], API_PASSTHROUGH_TEMPLATE_ARN)}`).toBe(`${caller}→${target}: ${expected}`);
      }
    }
  });

  it("rejects a literal that is not a CA ARN or not an APIPassthrough template, and ambiguous input", () => {
    expect(() => farcarTaskIdentityPolicy({ caArn: "arn:aws:acm-pca:us-east-1:222222222222:certificate-authority/*" })).toThrow(/caArn/);
    expect(() => farcarTaskIdentityPolicy({ caArn: CA.checkout, templateArn: "arn:aws:acm-pca:::template/EndEntityCertificate/V1" })).toThrow(/templateArn/);
    expect(() => farcarTaskIdentityPolicy({ caArn: CA.checkout, secretArn: secretArn("checkout") } as never)).toThrow(/exactly one/);
    expect(() => farcarTaskIdentityPolicy({} as never)).toThrow(/exactly one/);
  });

  it("accepts Terraform tokens (values known at apply time)", async () => {
    const { Token } = await import("cdktf");
    const token = Token.asString({ resolve: () => "x" });
    expect(farcarTaskIdentityPolicy({ caArn: token }).Statement[0].Resource).toBe(token);
  });
});

describe("farcarTaskIdentityPolicy (secretsManager)", () => {
  const policy = farcarTaskIdentityPolicy({ secretArn: secretArn("checkout"), templateArn: API_PASSTHROUGH_TEMPLATE_ARN });

  it("is exactly GetSecretValue + DescribeSecret on the service's secret", () => {
    expect(policy.Statement).toStrictEqual([
      { Sid: "ReadOwnSvidSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: secretArn("checkout") },
    ]);
  });

  it("X's role may read X's secret but not Y's, and may not change its own", async () => {
    for (const action of ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]) {
      expect(await decide(policy, { principal: roleArn("checkout"), action, resource: secretArn("checkout") })).toBe("Allowed");
      expect(await decide(policy, { principal: roleArn("checkout"), action, resource: secretArn("billing") })).toBe("ImplicitlyDenied");
    }
    for (const action of ["secretsmanager:PutSecretValue", "secretsmanager:UpdateSecret", "secretsmanager:PutResourcePolicy", "secretsmanager:DeleteSecret"]) {
      expect(await decide(policy, { principal: roleArn("checkout"), action, resource: secretArn("checkout") })).toBe("ImplicitlyDenied");
    }
  });

  it("grants no certificate issuance at all", async () => {
    expect(await issue(policy, "checkout", CA.checkout, API_PASSTHROUGH_TEMPLATE_ARN)).toBe("ImplicitlyDenied");
  });
});

describe("farcarTrustBundleReadPolicy", () => {
  it("lets the execution role read the mesh bundle secret only", async () => {
    const bundle = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:farcar/mesh-trust-bundle-AbCdEf`;
    const policy = farcarTrustBundleReadPolicy({ trustBundleSecretArn: bundle });
    const execution = `arn:aws:iam::${ACCOUNT}:role/farcar-execution`;
    expect(await decide(policy, { principal: execution, action: "secretsmanager:GetSecretValue", resource: bundle })).toBe("Allowed");
    expect(await decide(policy, { principal: execution, action: "secretsmanager:GetSecretValue", resource: secretArn("checkout") })).toBe("ImplicitlyDenied");
    expect(() => farcarTrustBundleReadPolicy({ trustBundleSecretArn: "farcar/mesh-trust-bundle" })).toThrow(/full secret ARN/);
  });
});
