/**
 * The reverse path: parent roles → private API in the acquisition's proxy account → egress
 * Farcar → the acquisition service, with the acquisition's native identity per upstream kind.
 */
import { HTTP_METHODS } from "../../modules/private-api/resource-policy";
import { TARGET_HEADER } from "../../envoy/bootstrap";
import { synthFleetFile } from "../support/synth";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const example = synthFleetFile();
const all = (tf: Json, type: string): Record<string, Json> => tf.resource[type] ?? {};
const find = (tf: Json, type: string, part: string): [string, Json][] => Object.entries(all(tf, type)).filter(([id]) => id.includes(part));
const one = (tf: Json, type: string, part: string): [string, Json] => {
  const found = find(tf, type, part);
  expect(found).toHaveLength(1);
  return found[0];
};
const containers = (tf: Json, service: string): Json[] => JSON.parse(one(tf, "aws_ecs_task_definition", `farcar-${service}_`)[1].container_definitions);
const envOf = (container: Json): Record<string, string> => Object.fromEntries((container.environment ?? []).map((e: Json) => [e.name, e.value]));

describe("egress stacks", () => {
  test("one per environment with outbound services, in the acquisition-side proxy account", () => {
    expect(example.stackNames.filter((s) => s.endsWith("-egress"))).toEqual([
      "afterpay-production-egress",
      "afterpay-staging-egress",
      "tidal-production-egress",
    ]);
    const tf = example.json("tidal-production-egress");
    expect(tf.provider.aws[0].assume_role[0].role_arn).toBe("arn:aws:iam::888888888888:role/OrganizationAccountAccessRole");
    expect(tf.data?.terraform_remote_state).toBeUndefined();
  });

  test("routes /S and /S/{proxy+} per outbound service, AWS_IAM, without a target header", () => {
    const tf = example.json("afterpay-production-egress");
    const paths = Object.values(all(tf, "aws_api_gateway_resource")).map((r) => r.path_part).sort();
    expect(paths).toEqual(["merchant-profile", "risk-scores", "{proxy+}", "{proxy+}"].sort());
    for (const m of Object.values(all(tf, "aws_api_gateway_method"))) expect(m.authorization).toBe("AWS_IAM");
    for (const i of Object.values(all(tf, "aws_api_gateway_integration"))) {
      expect(i.type).toBe("HTTP_PROXY");
      expect(Object.keys(i.request_parameters ?? {})).not.toContain(`integration.request.header.${TARGET_HEADER}`);
    }
  });

  test("the resource policy lets each outbound service's caller roles invoke only its paths", () => {
    const tf = example.json("afterpay-production-egress");
    const policy = JSON.parse(Object.values(all(tf, "aws_api_gateway_rest_api_policy"))[0].policy);
    const allows = policy.Statement.filter((s: Json) => s.Effect === "Allow");
    expect(allows.map((s: Json) => [s.Sid, s.Principal.AWS])).toEqual([
      ["InvokeRiskScores", ["arn:aws:iam::111111111111:role/fraud-engine"]],
      ["InvokeMerchantProfile", ["arn:aws:iam::111111111111:role/merchant-portal"]],
    ]);
    expect(allows[0].Resource).toHaveLength(HTTP_METHODS.length);
    expect(policy.Statement.find((s: Json) => s.Sid === "DenyProxyAccountPrincipals").Condition).toEqual({
      StringEquals: { "aws:PrincipalAccount": "555555555555" },
    });
  });

  test("sigv4 as the task role: Envoy alone, no identity permissions, the task role is the signer", () => {
    const tf = example.json("afterpay-staging-egress");
    expect(containers(tf, "risk-scores").map((c) => c.name)).toEqual(["envoy"]);
    expect(find(tf, "aws_iam_role_policy", "farcar-risk-scores_task-policy")).toEqual([]);
    const [roleId] = one(tf, "aws_iam_role", "farcar-risk-scores_task-role");
    expect(tf.output.upstream_signing_roles.value["risk-scores"]).toBe(`\${aws_iam_role.${roleId}.arn}`);
  });

  test("sigv4 with roleArn: the sidecar assumes exactly that role and serves it to Envoy", () => {
    const tf = example.json("afterpay-production-egress");
    const [sidecar, envoy] = containers(tf, "risk-scores");
    expect(sidecar.name).toBe("farcar-identity");
    expect(Object.values(envOf(sidecar))).toContain("arn:aws:iam::666666666666:role/farcar-risk-invoker");
    expect(envOf(envoy).AWS_CONTAINER_CREDENTIALS_FULL_URI).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    const policy = JSON.parse(one(tf, "aws_iam_role_policy", "farcar-risk-scores_task-policy")[1].policy);
    expect(policy.Statement).toEqual([expect.objectContaining({ Effect: "Allow", Action: "sts:AssumeRole", Resource: "arn:aws:iam::666666666666:role/farcar-risk-invoker" })]);
    expect(tf.output.upstream_signing_roles.value["risk-scores"]).toBe("arn:aws:iam::666666666666:role/farcar-risk-invoker");
  });

  test("mtls: a client-certificate secret only the Farcar reads, and the acquisition's CA bundle", () => {
    const tf = example.json("afterpay-production-egress");
    const [certId, cert] = one(tf, "aws_secretsmanager_secret", "identity-merchant-profile_client-certificate");
    expect(cert.name).toBe("farcar/afterpay/production/egress/merchant-profile/client-certificate");
    const [, bundle] = one(tf, "aws_secretsmanager_secret_version", "identity-merchant-profile_upstream-ca");
    expect(bundle.secret_string).toContain("-----BEGIN CERTIFICATE-----");
    const policy = JSON.parse(one(tf, "aws_iam_role_policy", "farcar-merchant-profile_task-policy")[1].policy);
    expect(policy.Statement.flatMap((s: Json) => [s.Resource].flat())).toEqual(expect.arrayContaining([`\${aws_secretsmanager_secret.${certId}.arn}`]));
    const [roleId] = one(tf, "aws_iam_role", "farcar-merchant-profile_task-role");
    const [, secretPolicy] = one(tf, "aws_secretsmanager_secret_policy", "merchant-profile");
    expect(JSON.parse(secretPolicy.policy).Statement[0].Condition).toEqual({ StringNotEquals: { "aws:PrincipalArn": `\${aws_iam_role.${roleId}.arn}` } });
    expect(tf.output.credential_secrets.value["merchant-profile"]).toBe(`\${aws_secretsmanager_secret.${certId}.name}`);
  });

  test("header: a credential secret the sidecar installs; its value is never in the Terraform", () => {
    const tf = example.json("tidal-production-egress");
    const [secretId] = one(tf, "aws_secretsmanager_secret", "identity-catalog_header-credential");
    expect(find(tf, "aws_secretsmanager_secret_version", "header-credential")).toEqual([]);
    const [sidecar] = containers(tf, "catalog");
    expect(Object.values(envOf(sidecar))).toContain(`\${aws_secretsmanager_secret.${secretId}.arn}`);
  });

  test("egress Farcars reach only the upstream port", () => {
    const tf = example.json("afterpay-production-egress");
    const rules = Object.values(all(tf, "aws_vpc_security_group_egress_rule")).filter((r) => String(r.description).startsWith("Upstream"));
    expect(rules.map((r) => r.from_port).sort()).toEqual([443, 8443]);
  });
});
