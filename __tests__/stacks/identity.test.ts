/**
 * Farcar identity in the ingress stacks: one CA per environment, the SVID issuer and its aliases,
 * SVID secrets, the mesh trust bundle, and least-privilege IAM around them.
 */
import { BASE_FLEET, fleetWith } from "../config/fleet-fixture";
import { SVID_WRITER_ARN, SVID_WRITER_FLEET } from "../config/fleet-variants";
import { fleetFromYaml, synthFleet, synthFleetFile } from "../support/synth";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const example = synthFleetFile();
const all = (tf: Json, type: string): Record<string, Json> => tf.resource[type] ?? {};
const one = (tf: Json, type: string, part: string): [string, Json] => {
  const found = Object.entries(all(tf, type)).filter(([id]) => id.includes(part));
  expect(found).toHaveLength(1);
  return found[0];
};
const policyOf = (tf: Json, rolePolicyPart: string) => JSON.parse(one(tf, "aws_iam_role_policy", rolePolicyPart)[1].policy);

describe("privateCa with an adopted acquisition CA", () => {
  const tf = example.json("afterpay-production-ingress");
  const adopted = "arn:aws:acm-pca:us-east-1:121212121212:certificate-authority/0f1e2d3c-4b5a-6978-8091-a2b3c4d5e6f7";

  test("no CA per service: the adopted CA is the environment's only CA, used by the issuer alone", () => {
    expect(tf.resource.aws_acmpca_certificate_authority).toBeUndefined();
    expect(tf.resource.aws_acmpca_certificate).toBeUndefined();
    const [, fn] = one(tf, "aws_lambda_function", "svid-issuer");
    expect(fn.environment.variables).toMatchObject({
      FARCAR_ISSUER_CA_ARN: adopted,
      FARCAR_ISSUER_TEMPLATE_ARN: "arn:aws:acm-pca:::template/EndEntityCertificate_APIPassthrough/V1",
      FARCAR_ISSUER_SPIFFE_ID_TEMPLATE: "spiffe://block.example/acquisition/afterpay/production/{service}",
    });
    const issuer = policyOf(tf, "svid-issuer_policy");
    expect(issuer.Statement[0]).toEqual({
      Sid: "IssueSvidsFromTheEnvironmentCa",
      Effect: "Allow",
      Action: "acm-pca:IssueCertificate",
      Resource: adopted,
      Condition: { StringEquals: { "acm-pca:TemplateArn": "arn:aws:acm-pca:::template/EndEntityCertificate_APIPassthrough/V1" } },
    });
  });

  test("one issuer alias per inbound service, named after it", () => {
    const aliases = Object.values(all(tf, "aws_lambda_alias")).map((a) => a.name).sort();
    expect(aliases).toEqual(["farcar-checkout", "farcar-disputes", "farcar-merchant-onboarding"]);
  });

  test("a task role may invoke its own issuer alias and nothing else; no acm-pca permission", () => {
    const [aliasId] = one(tf, "aws_lambda_alias", "alias-checkout_");
    const policy = policyOf(tf, "farcar-checkout_task-policy");
    expect(policy.Statement).toEqual([
      { Sid: "ObtainOwnSvidFromTheIssuer", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: `\${aws_lambda_alias.${aliasId}.arn}` },
    ]);
  });

  test("the sidecar is told its own issuer alias and SPIFFE ID, and gets the trust bundle from a secret", () => {
    const [aliasId] = one(tf, "aws_lambda_alias", "alias-disputes_");
    const [, task] = one(tf, "aws_ecs_task_definition", "farcar-disputes_");
    const sidecar = JSON.parse(task.container_definitions)[0];
    const env = Object.fromEntries(sidecar.environment.map((e: Json) => [e.name, e.value]));
    expect(env).toMatchObject({
      FARCAR_IDENTITY_SOURCE: "privateCa",
      FARCAR_ISSUER_ARN: `\${aws_lambda_alias.${aliasId}.arn}`,
      FARCAR_SPIFFE_ID: "spiffe://block.example/acquisition/afterpay/production/disputes",
    });
    const [bundleId] = one(tf, "aws_secretsmanager_secret", "mesh-trust-bundle");
    expect(sidecar.secrets).toEqual([{ name: "FARCAR_TRUST_BUNDLE", valueFrom: `\${aws_secretsmanager_secret.${bundleId}.arn}` }]);
    const exec = policyOf(tf, "farcar-disputes_execution-policy");
    expect(exec.Statement.find((s: Json) => s.Sid === "ReadInjectedSecrets").Resource).toEqual([`\${aws_secretsmanager_secret.${bundleId}.arn}`]);
  });

  test("the issuer's role is assumable by Lambda of this account only", () => {
    const [, role] = one(tf, "aws_iam_role", "svid-issuer_role");
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
      // The proxy account is created by the org stack: its ID comes from the org stack's outputs.
      expect.objectContaining({
        Principal: { Service: "lambda.amazonaws.com" },
        Condition: { StringEquals: { "aws:SourceAccount": "${data.terraform_remote_state.org-state.outputs.account_id_afterpay_production}" } },
      }),
    ]);
  });

  test("the mesh trust bundle secret holds the fleet's PEM", () => {
    const [, version] = one(tf, "aws_secretsmanager_secret_version", "mesh-trust-bundle");
    expect(version.secret_string).toBe(example.fleet.mesh.trustBundlePem);
  });
});

describe("privateCa with a created acquisition CA", () => {
  test("before the ceremony: one short-lived CA is created and its CSR output, no tasks run", () => {
    const tf = synthFleet(fleetFromYaml(BASE_FLEET)).json("afterpay-staging-ingress");
    const [, ca] = one(tf, "aws_acmpca_certificate_authority", "acquisition-ca");
    expect(ca).toMatchObject({ type: "SUBORDINATE", usage_mode: "SHORT_LIVED_CERTIFICATE", lifecycle: { prevent_destroy: true } });
    expect(Object.keys(all(tf, "aws_acmpca_certificate_authority"))).toHaveLength(1);
    expect(tf.output.acquisition_ca_csr.value).toMatch(/certificate_signing_request\}$/);
    expect(tf.resource.aws_acmpca_certificate_authority_certificate).toBeUndefined();
    for (const svc of Object.values(all(tf, "aws_ecs_service"))) expect(svc.desired_count).toBe(0);
  });

  test("after the ceremony: the signed certificate is installed, and the issuer and every ECS service depend on it (issue 11 item 7)", () => {
    const tf = synthFleet(
      fleetFromYaml(fleetWith(["        network:", "        identity: { acquisitionCaCertificate: mesh/ca-bundle.pem }\n        network:"])),
    ).json("afterpay-staging-ingress");
    const [caId] = one(tf, "aws_acmpca_certificate_authority", "acquisition-ca");
    const [installedId, installed] = one(tf, "aws_acmpca_certificate_authority_certificate", "acquisition-ca");
    expect(installed.certificate_authority_arn).toBe(`\${aws_acmpca_certificate_authority.${caId}.arn}`);
    expect(installed.certificate).toContain("-----BEGIN CERTIFICATE-----");
    const [, fn] = one(tf, "aws_lambda_function", "svid-issuer");
    expect(fn.depends_on).toContain(`aws_acmpca_certificate_authority_certificate.${installedId}`);
    const services = Object.entries(all(tf, "aws_ecs_service"));
    expect(services.length).toBeGreaterThan(0);
    for (const [id, svc] of services) {
      expect(svc.desired_count).toBe("${var.desired_count}");
      expect(`${id}: ${svc.depends_on}`).toContain(`aws_acmpca_certificate_authority_certificate.${installedId}`);
      expect(svc.depends_on.some((d: string) => d.startsWith("aws_lambda_alias."))).toBe(true);
    }
  });
});

describe("secretsManager", () => {
  const tf = example.json("tidal-production-ingress");

  test("one SVID secret per service and no CA", () => {
    expect(tf.resource.aws_acmpca_certificate_authority).toBeUndefined();
    const names = Object.values(all(tf, "aws_secretsmanager_secret")).map((s) => s.name).sort();
    expect(names).toEqual([
      "farcar/tidal/production/ingress/mesh-trust-bundle",
      "farcar/tidal/production/payouts/svid",
      "farcar/tidal/production/royalties/svid",
    ]);
  });

  test("only the service's task role may read its SVID secret", () => {
    const [secretId] = one(tf, "aws_secretsmanager_secret", "identity-payouts_svid");
    const [roleId] = one(tf, "aws_iam_role", "farcar-payouts_task-role");
    const [, secretPolicy] = one(tf, "aws_secretsmanager_secret_policy", "identity-payouts");
    expect(JSON.parse(secretPolicy.policy).Statement).toEqual([
      {
        Sid: "OnlyItsFarcarReadsThisSecret",
        Effect: "Deny",
        Principal: "*",
        Action: "secretsmanager:GetSecretValue",
        Resource: "*",
        Condition: { StringNotEquals: { "aws:PrincipalArn": `\${aws_iam_role.${roleId}.arn}` } },
      },
    ]);
    const taskPolicy = policyOf(tf, "farcar-payouts_task-policy");
    const resources = taskPolicy.Statement.flatMap((s: Json) => [s.Resource].flat());
    expect(resources).toEqual([`\${aws_secretsmanager_secret.${secretId}.arn}`]);
    expect(taskPolicy.Statement.flatMap((s: Json) => [s.Action].flat())).not.toContain("acm-pca:IssueCertificate");
  });

  test("task roles can be assumed by ECS tasks of this account only", () => {
    const [, role] = one(tf, "aws_iam_role", "farcar-payouts_task-role");
    expect(JSON.parse(role.assume_role_policy).Statement[0]).toMatchObject({
      Principal: { Service: "ecs-tasks.amazonaws.com" },
      Condition: { StringEquals: { "aws:SourceAccount": "777777777777" }, ArnLike: { "aws:SourceArn": "arn:aws:ecs:us-east-1:777777777777:*" } },
    });
  });
});

describe("secretsManager with a writer in another account (issue 11 item 13)", () => {
  const WRITER = SVID_WRITER_ARN;
  const yaml = SVID_WRITER_FLEET;
  const synthesized = synthFleet(fleetFromYaml(yaml));
  const tf = synthesized.json("afterpay-staging-ingress");

  test("SVID secrets use one customer managed key of the environment", () => {
    const [keyId, key] = one(tf, "aws_kms_key", "svid-key");
    expect(key.enable_key_rotation).toBe(true);
    for (const secret of Object.values(all(tf, "aws_secretsmanager_secret")).filter((s) => s.name.endsWith("/svid"))) {
      expect(secret.kms_key_id).toBe(`\${aws_kms_key.${keyId}.arn}`);
    }
  });

  test("the writer may put the secret's value but not read it; everyone but the task role is denied reading", () => {
    const [roleId] = one(tf, "aws_iam_role", "farcar-checkout_task-role");
    const [, policy] = one(tf, "aws_secretsmanager_secret_policy", "identity-checkout");
    expect(JSON.parse(policy.policy).Statement).toEqual([
      expect.objectContaining({ Sid: "OnlyItsFarcarReadsThisSecret", Effect: "Deny", Condition: { StringNotEquals: { "aws:PrincipalArn": `\${aws_iam_role.${roleId}.arn}` } } }),
      {
        Sid: "ParentIdentitySystemWritesTheSvid",
        Effect: "Allow",
        Principal: { AWS: WRITER },
        Action: ["secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage", "secretsmanager:DescribeSecret"],
        Resource: "*",
      },
    ]);
  });

  test("the key policy: the writer generates data keys via Secrets Manager only; each task role decrypts its own secret only", () => {
    const [, keyPolicy] = one(tf, "aws_kms_key_policy", "svid-key");
    const statements = JSON.parse(keyPolicy.policy).Statement as Json[];
    expect(statements.find((s) => s.Sid === "ParentIdentitySystemWritesSvids")).toEqual({
      Sid: "ParentIdentitySystemWritesSvids",
      Effect: "Allow",
      Principal: { AWS: WRITER },
      Action: "kms:GenerateDataKey",
      Resource: "*",
      Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } },
    });
    const [roleId] = one(tf, "aws_iam_role", "farcar-checkout_task-role");
    const [secretId] = one(tf, "aws_secretsmanager_secret", "identity-checkout_svid");
    expect(statements).toContainEqual(
      expect.objectContaining({
        Principal: { AWS: `\${aws_iam_role.${roleId}.arn}` },
        Action: "kms:Decrypt",
        Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com", "kms:EncryptionContext:SecretARN": `\${aws_secretsmanager_secret.${secretId}.arn}` } },
      }),
    );
    expect(statements.filter((s) => s.Action === "kms:Decrypt")).toHaveLength(2);
  });

  test("is refused with privateCa, located", () => {
    expect(() => fleetFromYaml(fleetWith(["        network:", `        identity: { svidWriterArn: "${WRITER}" }\n        network:`]))).toThrow(
      /identity\.svidWriterArn: only applies with source: secretsManager/,
    );
  });

  // Planned for real against the provider schema: terraform/variants.test.ts ("svid-writer").
});
