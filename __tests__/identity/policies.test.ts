/**
 * The Farcar task role's identity permissions, proven with an independent IAM evaluator
 * (@cloud-copilot/iam-simulate): X's role can obtain X's SVID and nothing else.
 */
import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
const API_PASSTHROUGH_TEMPLATE_ARN = "arn:aws:acm-pca:::template/EndEntityCertificate_APIPassthrough/V1";
import type { PolicyDocument } from "../../modules/iam/policy-document";
import { egressNeedsTaskPolicy, farcarEgressTaskPolicy, farcarTaskIdentityPolicy, farcarTrustBundleReadPolicy } from "../../modules/identity/policies";

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

const ISSUER = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:farcar-afterpay-staging-issuer`;
const ALIAS = Object.fromEntries(SERVICES.map((s) => [s, `${ISSUER}:farcar-${s}`])) as Record<(typeof SERVICES)[number], string>;
const invoke = (policy: PolicyDocument, service: string, resource: string): Promise<Decision> =>
  decide(policy, { principal: roleArn(service), action: "lambda:InvokeFunction", resource });

describe("farcarTaskIdentityPolicy (privateCa)", () => {
  const policy = farcarTaskIdentityPolicy({ issuerAliasArn: ALIAS.checkout });

  it("is exactly: InvokeFunction on the Farcar's own alias of the issuer", () => {
    expect(policy).toStrictEqual({
      Version: "2012-10-17",
      Statement: [{ Sid: "ObtainOwnSvidFromTheIssuer", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: ALIAS.checkout }],
    });
  });

  it("X's role may invoke alias X, but not alias Y, the unqualified issuer, $LATEST or a version", async () => {
    expect(await invoke(policy, "checkout", ALIAS.checkout)).toBe("Allowed");
    for (const other of [ALIAS.billing, ISSUER, `${ISSUER}:$LATEST`, `${ISSUER}:1`]) {
      expect(`${other}: ${await invoke(policy, "checkout", other)}`).toBe(`${other}: ImplicitlyDenied`);
    }
  });

  it("grants no acm-pca action at all (only the issuer's role issues)", async () => {
    for (const action of ["acm-pca:IssueCertificate", "acm-pca:GetCertificate", "acm-pca:RevokeCertificate", "acm-pca:PutPolicy"]) {
      expect(await decide(policy, { principal: roleArn("checkout"), action, resource: CA.checkout, context: { "acm-pca:TemplateArn": "arn:aws:acm-pca:::template/EndEntityCertificate_APIPassthrough/V1" } })).toBe("ImplicitlyDenied");
    }
  });

  it("grants nothing else on the issuer (no code, configuration or alias changes)", async () => {
    for (const action of ["lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:UpdateAlias", "lambda:CreateAlias", "lambda:AddPermission"]) {
      expect(await decide(policy, { principal: roleArn("checkout"), action, resource: ALIAS.checkout })).toBe("ImplicitlyDenied");
    }
  });

  it("across services, each role may invoke its own alias only (1:1)", async () => {
    const policies = Object.fromEntries(SERVICES.map((s) => [s, farcarTaskIdentityPolicy({ issuerAliasArn: ALIAS[s] })]));
    for (const caller of SERVICES) {
      for (const target of SERVICES) {
        const expected = caller === target ? "Allowed" : "ImplicitlyDenied";
        expect(`${caller}→${target}: ${await invoke(policies[caller], caller, ALIAS[target])}`).toBe(`${caller}→${target}: ${expected}`);
      }
    }
  });

  it("rejects a literal that is not an alias-qualified function ARN, and ambiguous input", () => {
    expect(() => farcarTaskIdentityPolicy({ issuerAliasArn: ISSUER })).toThrow(/issuerAliasArn/);
    expect(() => farcarTaskIdentityPolicy({ issuerAliasArn: `${ISSUER}:*` })).toThrow(/issuerAliasArn/);
    expect(() => farcarTaskIdentityPolicy({ issuerAliasArn: ALIAS.checkout, secretArn: secretArn("checkout") } as never)).toThrow(/exactly one/);
    expect(() => farcarTaskIdentityPolicy({} as never)).toThrow(/exactly one/);
  });

  it("accepts Terraform tokens (values known at apply time)", async () => {
    const { Token } = await import("cdktf");
    const token = Token.asString({ resolve: () => "x" });
    expect(farcarTaskIdentityPolicy({ issuerAliasArn: token }).Statement[0].Resource).toBe(token);
  });
});

describe("farcarTaskIdentityPolicy (secretsManager)", () => {
  const policy = farcarTaskIdentityPolicy({ secretArn: secretArn("checkout") });

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

describe("farcarEgressTaskPolicy", () => {
  const ACQUISITION = "333333333333";
  const egressSecret = (service: string, what: string): string => `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:farcar/afterpay/staging/egress/${service}/${what}-AbCdEf`;
  const CERT = egressSecret("risk-scores", "client-certificate");
  const HEADER = egressSecret("risk-scores", "header-credential");
  const UPSTREAM_ROLE = `arn:aws:iam::${ACQUISITION}:role/risk-scores-callers`;
  const TASK_ROLE = `arn:aws:iam::${ACCOUNT}:role/farcar-afterpay-staging-egress-risk-scores-task`;

  /** The role's trust policy on the acquisition's side: trusts exactly the Farcar's task role. */
  const trustPolicy = (principal: string): PolicyDocument => ({
    Version: "2012-10-17",
    Statement: [{ Sid: "TrustFarcar", Effect: "Allow", Principal: { AWS: principal }, Action: "sts:AssumeRole" }],
  });

  async function assume(policy: PolicyDocument, role: string): Promise<Decision> {
    const result = await runSimulation(
      {
        request: { principal: TASK_ROLE, action: "sts:AssumeRole", resource: { resource: role, accountId: ACQUISITION }, contextVariables: {} },
        identityPolicies: [{ name: "farcar-egress-identity", policy }],
        resourcePolicy: trustPolicy(TASK_ROLE),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    if (result.resultType === "error") throw new Error(`simulation rejected: ${JSON.stringify(result.errors)}`);
    return result.overallResult as Decision;
  }

  const read = (policy: PolicyDocument, resource: string, action = "secretsmanager:GetSecretValue"): Promise<Decision> =>
    decide(policy, { principal: TASK_ROLE, action, resource });

  it("is exactly: read the client certificate and header secrets, assume the upstream role", () => {
    expect(farcarEgressTaskPolicy({ clientCertificateSecretArn: CERT, headerSecretArn: HEADER, assumeRoleArn: UPSTREAM_ROLE })).toStrictEqual({
      Version: "2012-10-17",
      Statement: [
        { Sid: "ReadUpstreamClientCertificate", Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: CERT },
        { Sid: "ReadUpstreamHeaderCredential", Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: HEADER },
        { Sid: "AssumeUpstreamSigningRole", Effect: "Allow", Action: "sts:AssumeRole", Resource: UPSTREAM_ROLE },
      ],
    });
    expect(farcarEgressTaskPolicy({ headerSecretArn: HEADER }).Statement.map((s) => s.Sid)).toStrictEqual(["ReadUpstreamHeaderCredential"]);
  });

  it("mtls: the task role reads (and describes) its client certificate secret only, and changes nothing", async () => {
    const policy = farcarEgressTaskPolicy({ clientCertificateSecretArn: CERT });
    for (const action of ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]) {
      expect(await read(policy, CERT, action)).toBe("Allowed");
      expect(await read(policy, egressSecret("ledger-sync", "client-certificate"), action)).toBe("ImplicitlyDenied");
      expect(await read(policy, HEADER, action)).toBe("ImplicitlyDenied");
    }
    for (const action of ["secretsmanager:PutSecretValue", "secretsmanager:UpdateSecret", "secretsmanager:DeleteSecret", "secretsmanager:PutResourcePolicy"]) {
      expect(await read(policy, CERT, action)).toBe("ImplicitlyDenied");
    }
    expect(await assume(policy, UPSTREAM_ROLE)).toBe("ImplicitlyDenied");
  });

  it("header: the task role reads its header secret only", async () => {
    const policy = farcarEgressTaskPolicy({ headerSecretArn: HEADER });
    expect(await read(policy, HEADER)).toBe("Allowed");
    expect(await read(policy, CERT)).toBe("ImplicitlyDenied");
    expect(await read(policy, egressSecret("ledger-sync", "header-credential"))).toBe("ImplicitlyDenied");
  });

  it("sigv4 with roleArn: the task role may assume exactly that role (cross-account: with the role's trust policy), nothing else", async () => {
    const policy = farcarEgressTaskPolicy({ assumeRoleArn: UPSTREAM_ROLE });
    expect(await assume(policy, UPSTREAM_ROLE)).toBe("Allowed");
    expect(await assume(policy, `arn:aws:iam::${ACQUISITION}:role/admin`)).toBe("ImplicitlyDenied");
    expect(await assume(policy, `arn:aws:iam::${ACCOUNT}:role/risk-scores-callers`)).toBe("ImplicitlyDenied");
    // The trust policy alone does not let the task role in: cross-account needs the identity policy too.
    expect(await assume(farcarEgressTaskPolicy({ headerSecretArn: HEADER }), UPSTREAM_ROLE)).toBe("ImplicitlyDenied");
    expect(await read(policy, HEADER)).toBe("ImplicitlyDenied");
    for (const action of ["sts:TagSession", "iam:PassRole", "iam:UpdateAssumeRolePolicy"]) {
      expect(await decide(policy, { principal: TASK_ROLE, action, resource: UPSTREAM_ROLE })).toBe("ImplicitlyDenied");
    }
  });

  it("is needed (and built) only with a client certificate, a header secret or a role", () => {
    expect(egressNeedsTaskPolicy({})).toBe(false); // sigv4 as the task role, with or without a trust bundle
    expect(egressNeedsTaskPolicy({ clientCertificateSecretArn: undefined, headerSecretArn: undefined, assumeRoleArn: undefined })).toBe(false);
    expect(egressNeedsTaskPolicy({ headerSecretArn: HEADER })).toBe(true);
    expect(egressNeedsTaskPolicy({ assumeRoleArn: UPSTREAM_ROLE })).toBe(true);
    expect(() => farcarEgressTaskPolicy({})).toThrow(/needs no identity policy/);
  });

  it("rejects literals that are not full secret ARNs or role ARNs, and accepts Terraform tokens", async () => {
    expect(() => farcarEgressTaskPolicy({ headerSecretArn: "farcar/header" })).toThrow(/farcarEgressTaskPolicy: headerSecretArn/);
    expect(() => farcarEgressTaskPolicy({ clientCertificateSecretArn: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:*` })).toThrow(/clientCertificateSecretArn/);
    expect(() => farcarEgressTaskPolicy({ assumeRoleArn: `arn:aws:iam::${ACQUISITION}:user/bob` })).toThrow(/assumeRoleArn/);
    expect(() => farcarEgressTaskPolicy({ assumeRoleArn: `arn:aws:iam::${ACQUISITION}:role/*` })).toThrow(/assumeRoleArn/);
    const { Token } = await import("cdktf");
    const token = Token.asString({ resolve: () => "x" });
    expect(farcarEgressTaskPolicy({ headerSecretArn: token }).Statement[0].Resource).toBe(token);
  });
});
