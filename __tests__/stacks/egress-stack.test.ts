/**
 * The reverse path: parent roles → private API in the acquisition's proxy account → egress
 * Farcar → the acquisition service, with the acquisition's native identity per upstream kind.
 */
import { HTTP_METHODS } from "../../modules/private-api/resource-policy";
import { TARGET_HEADER } from "../../envoy/bootstrap";
import { readFileSync } from "node:fs";
import { AnnotationMetadataEntryType } from "cdktf";
import { parseFleet } from "../../config/load";
import { EXAMPLE_FLEET, synthFleet, synthFleetFile } from "../support/synth";

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
    const policies = Object.entries(all(tf, "aws_api_gateway_rest_api_policy"));
    const allowsOf = (service: string) => {
      const [[, res]] = policies.filter(([id]) => id.startsWith(`api-${service}_policy_`));
      const policy = JSON.parse(res.policy);
      expect(policy.Statement.find((s: Json) => s.Sid === "DenyProxyAccountPrincipals").Condition).toEqual({
        StringEquals: { "aws:PrincipalAccount": "555555555555" },
      });
      return policy.Statement.filter((s: Json) => s.Effect === "Allow").map((s: Json) => [s.Sid, s.Principal.AWS, s.Resource.length]);
    };
    // One API per outbound service, its policy naming only that service's caller roles.
    expect(policies).toHaveLength(2);
    expect(allowsOf("risk-scores")).toEqual([["InvokeRiskScores", ["arn:aws:iam::111111111111:role/fraud-engine"], HTTP_METHODS.length]]);
    expect(allowsOf("merchant-profile")).toEqual([["InvokeMerchantProfile", ["arn:aws:iam::111111111111:role/merchant-portal"], HTTP_METHODS.length]]);
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
    // ... and only in the acquisition's upstream CIDRs (egressNetwork.upstreamRouting), never 0.0.0.0/0.
    expect(new Set(rules.map((r) => r.cidr_ipv4))).toEqual(new Set(["10.201.0.0/16"]));
    for (const r of Object.values(all(tf, "aws_vpc_security_group_egress_rule"))) expect(r.cidr_ipv4).not.toBe("0.0.0.0/0");
  });

  test("the egress proxy VPC resolves upstream names with egressNetwork.upstreamDns and routes to the upstreams", () => {
    const afterpay = example.json("afterpay-production-egress");
    const [, vpc] = one(afterpay, "aws_vpc", "proxy-network");
    expect(vpc.cidr_block).toBe("10.64.16.0/20");
    const [vpcId] = one(afterpay, "aws_vpc", "proxy-network");
    expect(Object.values(all(afterpay, "aws_route53_zone_association"))).toEqual([
      expect.objectContaining({ zone_id: "Z0A1B2C3D4E5F6AFTERPAY", vpc_id: `\${aws_vpc.${vpcId}.id}`, vpc_region: "us-east-1" }),
    ]);
    const tidal = example.json("tidal-production-egress");
    expect(Object.values(all(tidal, "aws_route53_resolver_rule_association")).map((a) => a.resolver_rule_id)).toEqual(["rslvr-rr-0c1d2e3f4a5b69788"]);
    const routes = Object.values(all(afterpay, "aws_route")).map((r) => [r.destination_cidr_block, r.transit_gateway_id]).sort();
    expect(routes).toEqual([
      ["10.1.0.0/16", "tgw-0a1b2c3d4e5f60718"], // back to the parent callers, from the caller VPC
      ["10.201.0.0/16", "tgw-0f1e2d3c4b5a69788"], // to the acquisition's upstreams, from the egress proxy VPC
    ]);
    expect(afterpay.output.caller_vpc_id.value).toMatch(/^\$\{aws_vpc\.caller-network_vpc_[A-F0-9]+\.id\}$/);
  });

  test("warns when an upstream host is a DNS name and egressNetwork.upstreamDns is not set", () => {
    const text = readFileSync(EXAMPLE_FLEET, "utf8").replace(/\n {10}upstreamDns: \{ resolverRuleIds: \[rslvr-rr-0c1d2e3f4a5b69788\] \}[^\n]*/, "");
    const synth = synthFleet(parseFleet(text, EXAMPLE_FLEET));
    const stack = synth.stacks.egress.find((s) => s.node.id === "tidal-production-egress")!;
    const warnings = stack.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => String(m.data));
    expect(warnings).toEqual([
      "tidal-production-egress: catalog.tidal.internal is a DNS name and egressNetwork.upstreamDns is not set: the proxy VPC resolves only public " +
        "names (and zones associated outside Farcar); set egressNetwork.upstreamDns.resolverRuleIds or .hostedZoneIds (help/fleet-file.md)",
    ]);
    // The example itself, fully configured, synthesizes without a warning.
    for (const s of [...example.stacks.ingress, ...example.stacks.egress]) {
      expect(s.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN)).toEqual([]);
    }
  });
});
