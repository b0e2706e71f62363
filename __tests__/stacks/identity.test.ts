/**
 * Farcar identity in the ingress stacks: per-service issuing CAs under the acquisition CA, SVID
 * secrets, the mesh trust bundle, and least-privilege IAM around them.
 */
import { Testing } from "cdktf";
import { AcmpcaCertificateAuthority } from "@cdktf/provider-aws/lib/acmpca-certificate-authority";
import { BASE_FLEET, fleetWith } from "../config/fleet-fixture";
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

  test("each inbound service gets its own short-lived issuing CA", () => {
    const cas = Object.entries(all(tf, "aws_acmpca_certificate_authority"));
    expect(cas.map(([id]) => id.replace(/_[A-F0-9]{8}$/, "")).sort()).toEqual([
      "identity-checkout_issuing-ca",
      "identity-disputes_issuing-ca",
      "identity-merchant-onboarding_issuing-ca",
    ]);
    const stack = example.stacks.ingress.find((s) => s.node.id === "afterpay-production-ingress")!;
    expect(Testing.synth(stack)).toHaveResourceWithProperties(AcmpcaCertificateAuthority, {
      type: "SUBORDINATE",
      usage_mode: "SHORT_LIVED_CERTIFICATE",
    });
  });

  test("service CAs are signed by the adopted CA as path-length-0 CAs and activated", () => {
    for (const cert of Object.values(all(tf, "aws_acmpca_certificate"))) {
      expect(cert.certificate_authority_arn).toBe(adopted);
      expect(cert.template_arn).toBe("arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1");
    }
    expect(Object.keys(all(tf, "aws_acmpca_certificate_authority_certificate"))).toHaveLength(3);
  });

  test("a task role may issue only from its own CA, only with the APIPassthrough template", () => {
    const [caId] = one(tf, "aws_acmpca_certificate_authority", "identity-checkout_");
    const policy = policyOf(tf, "farcar-checkout_task-policy");
    expect(policy.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: "Allow",
          Action: "acm-pca:IssueCertificate",
          Resource: `\${aws_acmpca_certificate_authority.${caId}.arn}`,
          Condition: { StringEquals: { "acm-pca:TemplateArn": "arn:aws:acm-pca:::template/EndEntityCertificate_APIPassthrough/V1" } },
        }),
      ]),
    );
    const resources = policy.Statement.flatMap((s: Json) => [s.Resource].flat());
    expect(resources.every((r: string) => r === `\${aws_acmpca_certificate_authority.${caId}.arn}`)).toBe(true);
  });

  test("the sidecar is told its own CA and SPIFFE ID, and gets the trust bundle from a secret", () => {
    const [caId] = one(tf, "aws_acmpca_certificate_authority", "identity-disputes_");
    const [, task] = one(tf, "aws_ecs_task_definition", "farcar-disputes_");
    const sidecar = JSON.parse(task.container_definitions)[0];
    const env = Object.fromEntries(sidecar.environment.map((e: Json) => [e.name, e.value]));
    expect(env).toMatchObject({
      FARCAR_IDENTITY_SOURCE: "privateCa",
      FARCAR_CA_ARN: `\${aws_acmpca_certificate_authority.${caId}.arn}`,
      FARCAR_SPIFFE_ID: "spiffe://block.example/acquisition/afterpay/production/disputes",
    });
    const [bundleId] = one(tf, "aws_secretsmanager_secret", "mesh-trust-bundle");
    expect(sidecar.secrets).toEqual([{ name: "FARCAR_TRUST_BUNDLE", valueFrom: `\${aws_secretsmanager_secret.${bundleId}.arn}` }]);
    const exec = policyOf(tf, "farcar-disputes_execution-policy");
    expect(exec.Statement.find((s: Json) => s.Sid === "ReadInjectedSecrets").Resource).toEqual([`\${aws_secretsmanager_secret.${bundleId}.arn}`]);
  });

  test("the mesh trust bundle secret holds the fleet's PEM", () => {
    const [, version] = one(tf, "aws_secretsmanager_secret_version", "mesh-trust-bundle");
    expect(version.secret_string).toBe(example.fleet.mesh.trustBundlePem);
  });
});

describe("privateCa with a created acquisition CA", () => {
  test("before the ceremony: the CA is created and its CSR output, service CAs wait, no tasks run", () => {
    const tf = synthFleet(fleetFromYaml(BASE_FLEET)).json("afterpay-staging-ingress");
    const [, ca] = one(tf, "aws_acmpca_certificate_authority", "acquisition-ca");
    expect(ca).toMatchObject({ type: "SUBORDINATE", usage_mode: "GENERAL_PURPOSE", lifecycle: { prevent_destroy: true } });
    expect(tf.output.acquisition_ca_csr.value).toMatch(/certificate_signing_request\}$/);
    expect(tf.resource.aws_acmpca_certificate).toBeUndefined();
    for (const svc of Object.values(all(tf, "aws_ecs_service"))) expect(svc.desired_count).toBe(0);
  });

  test("after the ceremony: the signed certificate is installed and service CAs are signed by it", () => {
    const tf = synthFleet(
      fleetFromYaml(fleetWith(["        network:", "        identity: { acquisitionCaCertificate: mesh/ca-bundle.pem }\n        network:"])),
    ).json("afterpay-staging-ingress");
    const [caId] = one(tf, "aws_acmpca_certificate_authority", "acquisition-ca");
    const [, installed] = one(tf, "aws_acmpca_certificate_authority_certificate", "acquisition-ca");
    expect(installed.certificate_authority_arn).toBe(`\${aws_acmpca_certificate_authority.${caId}.arn}`);
    expect(installed.certificate).toContain("-----BEGIN CERTIFICATE-----");
    for (const cert of Object.values(all(tf, "aws_acmpca_certificate"))) {
      expect(cert.certificate_authority_arn).toBe(`\${aws_acmpca_certificate_authority.${caId}.arn}`);
    }
    for (const svc of Object.values(all(tf, "aws_ecs_service"))) expect(svc.desired_count).toBe("${var.desired_count}");
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
