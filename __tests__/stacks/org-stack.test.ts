import { Testing } from "cdktf";
import { OrganizationsAccount } from "@cdktf/provider-aws/lib/organizations-account";
import { OrganizationsPolicy } from "@cdktf/provider-aws/lib/organizations-policy";
import { OrganizationsPolicyAttachment } from "@cdktf/provider-aws/lib/organizations-policy-attachment";
import { SCP_MAX_CHARACTERS, SCP_MAX_PER_TARGET } from "../../stacks/org-stack";
import { fleetFromYaml, synthFleet, synthFleetFile } from "../support/synth";
import { fleetWith } from "../config/fleet-fixture";
import "../support/cdktf-matchers";

const s = synthFleetFile();
const org = Testing.synth(s.stacks.org);
const orgJson = s.json("org");

describe("org stack", () => {
  test("creates an account only for environments without an id, in the proxy OU, never closed", () => {
    expect(Object.keys(orgJson.resource.aws_organizations_account).sort()).toEqual(["account-afterpay-production", "account-afterpay-staging"]);
    expect(org).toHaveResourceWithProperties(OrganizationsAccount, {
      name: "farcar-afterpay-staging",
      email: "aws+afterpay-staging@block.example",
      parent_id: "ou-ab12-proxies01",
      close_on_deletion: false,
      role_name: "OrganizationAccountAccessRole",
      lifecycle: { prevent_destroy: true, ignore_changes: ["role_name"] },
    });
  });

  test("outputs each created account's id under a stable name", () => {
    expect(orgJson.output.account_id_afterpay_staging.value).toBe("${aws_organizations_account.account-afterpay-staging.id}");
    expect(orgJson.output.account_id_tidal_production).toBeUndefined();
  });

  test("guards the proxy OU and every adopted proxy account with every guardrail SCP", () => {
    const policies = Object.keys(orgJson.resource.aws_organizations_policy).sort();
    expect(policies).toEqual(["proxy-guardrails", "proxy-identity-guardrails"]);
    const attachments = Object.values(orgJson.resource.aws_organizations_policy_attachment) as { policy_id: string; target_id: string }[];
    for (const id of policies) {
      const targets = attachments.filter((a) => a.policy_id === `\${aws_organizations_policy.${id}.id}`).map((a) => a.target_id);
      // the OU, and tidal/production's adopted account 777777777777 directly (it may sit in any OU)
      expect(targets.sort()).toEqual(["777777777777", "ou-ab12-proxies01"]);
    }
    expect(org).toHaveResourceWithProperties(OrganizationsPolicy, { type: "SERVICE_CONTROL_POLICY" });
    expect(org).toHaveResourceWithProperties(OrganizationsPolicyAttachment, { target_id: "ou-ab12-proxies01" });
  });

  test("keeps every SCP within the 5,120-character quota, minified as AWS counts it", () => {
    for (const p of Object.values(orgJson.resource.aws_organizations_policy) as { content: string }[]) {
      expect(p.content.length).toBeLessThanOrEqual(SCP_MAX_CHARACTERS);
      expect(p.content).toBe(JSON.stringify(JSON.parse(p.content)));
    }
  });

  test("baseline guardrails: stay in the org, keep CloudTrail, no IAM users, no test invoke, fleet regions; platform roles exempt", () => {
    const bySid = sids("proxy-guardrails");
    const platform = { "aws:PrincipalArn": ["arn:*:iam::*:role/AWSControlTowerExecution", "arn:*:iam::*:role/stacksets-exec-*", "arn:*:iam::*:role/AWSCloudFormationStackSetExecutionRole"] };
    expect(bySid.DenyLeavingOrganization).toEqual({ Sid: "DenyLeavingOrganization", Effect: "Deny", Action: "organizations:LeaveOrganization", Resource: "*" });
    expect(bySid.DenyCloudTrailTampering.Action).toContain("cloudtrail:StopLogging");
    expect(bySid.DenyCloudTrailTampering.Condition).toEqual({ ArnNotLike: platform });
    expect(bySid.DenyIamUsersAndAccessKeys.Action).toEqual(expect.arrayContaining(["iam:CreateUser", "iam:CreateAccessKey"]));
    expect(bySid.DenyApiGatewayTestInvoke).toEqual({
      Sid: "DenyApiGatewayTestInvoke",
      Effect: "Deny",
      Action: "apigateway:POST",
      Resource: "arn:*:apigateway:*::/restapis/*/resources/*/methods/*",
    });
    expect(bySid.DenyRegionsOutsideFleet.Condition).toEqual({ StringNotEquals: { "aws:RequestedRegion": ["us-east-1"] }, ArnNotLike: platform });
  });

  test("identity guardrails: every statement denies all but the deploy role and the platform roles", () => {
    const bySid = sids("proxy-identity-guardrails");
    const exempt = ["OrganizationAccountAccessRole", "AWSControlTowerExecution", "stacksets-exec-*", "AWSCloudFormationStackSetExecutionRole"].map((n) => `arn:*:iam::*:role/${n}`);
    expect(Object.keys(bySid)).toEqual([
      "DenyApiChanges",
      "DenyCaChanges",
      "DenyCertificateIssuance",
      "DenyPassingFarcarRoles",
      "DenyRoleChanges",
      "DenyFarcarTaskChanges",
      "DenyFarcarSecretChanges",
      "DenyFarcarFunctionChanges",
      "DenyFarcarSecurityGroups",
    ]);
    for (const [sid, st] of Object.entries(bySid)) {
      expect(st.Effect).toBe("Deny");
      // only the environments' SVID issuer roles issue, not every Farcar role
      const except = sid === "DenyCertificateIssuance" ? [...exempt, "arn:*:iam::*:role/farcar-issuer-*"] : exempt;
      expect([sid, st.Condition.ArnNotLike]).toEqual([sid, { "aws:PrincipalArn": except }]);
    }
    expect(bySid.DenyApiChanges.Resource).toEqual(["arn:*:apigateway:*::/restapis*", "arn:*:apigateway:*::/vpclinks*"]);
    expect(bySid.DenyPassingFarcarRoles).toMatchObject({ Action: "iam:PassRole", Resource: "arn:*:iam::*:role/farcar-*" });
    // the exempt roles are protected as well: otherwise anyone could create stacksets-exec-me
    expect(bySid.DenyRoleChanges.Resource).toEqual(["arn:*:iam::*:role/farcar-*", ...exempt]);
    expect(bySid.DenyFarcarSecurityGroups.Condition.Null).toEqual({ "aws:ResourceTag/farcar:stack": "false" });
    // no wildcard in an ARN's resource-type part: IAM matches nothing with `*/farcar-*`
    expect(bySid.DenyFarcarTaskChanges.Resource).toContain("arn:*:ecs:*:*:task/farcar-*");
    const allResources = Object.values(bySid).flatMap((st) => [st.Resource].flat());
    expect(allResources.filter((r: string) => /^arn:[^:]*:[^:]*:[^:]*:[^:]*:\*\//.test(r))).toEqual([]);
  });
});

describe("guardrail settings", () => {
  const orgOf = (guardrails: string) =>
    synthFleet(fleetFromYaml(fleetWith(["  proxyOrganizationalUnitId: ou-ab12-proxies01\n", `  proxyOrganizationalUnitId: ou-ab12-proxies01\n  guardrails: ${guardrails}\n`]))).json("org");
  const content = (tf: Record<string, any>, id: string) => JSON.parse(tf.resource.aws_organizations_policy[id].content); // eslint-disable-line @typescript-eslint/no-explicit-any

  test("a break-glass role is exempt from the identity guardrails and protected like the deploy role", () => {
    const tf = orgOf("{ breakGlassRoleName: FarcarBreakGlass, exemptRoleNames: [] }");
    const identity = content(tf, "proxy-identity-guardrails");
    const api = identity.Statement.find((st: { Sid: string }) => st.Sid === "DenyApiChanges");
    expect(api.Condition.ArnNotLike["aws:PrincipalArn"]).toEqual(["arn:*:iam::*:role/OrganizationAccountAccessRole", "arn:*:iam::*:role/FarcarBreakGlass"]);
    // no platform roles: the baseline guardrails exempt nobody
    const baseline = content(tf, "proxy-guardrails");
    expect(baseline.Statement.every((st: { Condition?: Record<string, unknown> }) => !st.Condition?.ArnNotLike)).toBe(true);
  });

  test("long exemption lists spill into a second identity SCP, each within the quota", () => {
    const names = Array.from({ length: 8 }, (_, i) => `PlatformAutomationRoleWithAVeryLongName-${i}-*`);
    const tf = orgOf(`{ exemptRoleNames: [${names.join(", ")}] }`);
    expect(Object.keys(tf.resource.aws_organizations_policy).sort()).toEqual(["proxy-guardrails", "proxy-identity-guardrails", "proxy-identity-guardrails-2"]);
    const sidsOf = (id: string) => content(tf, id).Statement.map((st: { Sid: string }) => st.Sid);
    expect([...sidsOf("proxy-identity-guardrails"), ...sidsOf("proxy-identity-guardrails-2")]).toHaveLength(9);
    for (const p of Object.values(tf.resource.aws_organizations_policy) as { content: string }[]) expect(p.content.length).toBeLessThanOrEqual(SCP_MAX_CHARACTERS);
  });

  test("the largest exemptions the schema allows still fit: at most 4 SCPs per target, each within the quota", () => {
    // 8 names of 64 characters and a 64-character break-glass role: the schema's limits
    const names = Array.from({ length: 8 }, (_, i) => `${"R".repeat(62)}${i}*`);
    const tf = orgOf(`{ breakGlassRoleName: ${"B".repeat(64)}, exemptRoleNames: [${names.join(", ")}] }`);
    const policies = Object.values(tf.resource.aws_organizations_policy) as { content: string }[];
    expect(policies.length).toBeLessThanOrEqual(SCP_MAX_PER_TARGET);
    for (const p of policies) expect(p.content.length).toBeLessThanOrEqual(SCP_MAX_CHARACTERS);
    expect(() => orgOf(`{ exemptRoleNames: [${[...names, "Ninth"].join(", ")}] }`)).toThrow(/organization\.guardrails\.exemptRoleNames: at most 8 exempt role names/);
  });

  test("the schema refuses a role name with a path or a wildcard in the middle", () => {
    expect(() => fleetFromYaml(fleetWith(["  proxyOrganizationalUnitId: ou-ab12-proxies01\n", "  proxyOrganizationalUnitId: ou-ab12-proxies01\n  guardrails: { breakGlassRoleName: ops/BreakGlass, exemptRoleNames: [a*b] }\n"]))).toThrow(
      /organization\.guardrails\.breakGlassRoleName: expected an IAM role name[\s\S]*organization\.guardrails\.exemptRoleNames\[0\]: expected an IAM role name, optionally ending in \*/,
    );
  });
});

function sids(policyId: string): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const policy = JSON.parse(orgJson.resource.aws_organizations_policy[policyId].content);
  return Object.fromEntries(policy.Statement.map((st: { Sid: string }) => [st.Sid, st]));
}

describe("org stack provider", () => {
  test("runs in the management account only", () => {
    expect(orgJson.provider.aws[0].allowed_account_ids).toEqual(["111111111111"]);
  });
});

describe("ingress stack provider", () => {
  test("assumes the access role in an adopted account by literal id", () => {
    const tf = s.json("tidal-production-ingress");
    expect(tf.provider.aws[0].assume_role[0].role_arn).toBe("arn:aws:iam::777777777777:role/OrganizationAccountAccessRole");
    expect(tf.data?.terraform_remote_state).toBeUndefined();
  });

  test("reads a created account's id from the org stack's state", () => {
    const tf = s.json("afterpay-staging-ingress");
    expect(tf.provider.aws[0].assume_role[0].role_arn).toBe(
      "arn:aws:iam::${data.terraform_remote_state.org-state.outputs.account_id_afterpay_staging}:role/OrganizationAccountAccessRole",
    );
    expect(tf.data.terraform_remote_state["org-state"].config.path).toBe("../../../terraform.org.tfstate");
  });

  test("tags every resource with the fleet tags plus acquisition and environment", () => {
    const tf = s.json("afterpay-production-ingress");
    // extra_tags (a deploy-time variable) < fleet tags < farcar:* tags
    expect(tf.provider.aws[0].default_tags[0].tags).toBe(
      '${merge(var.extra_tags, {"cost-center" = "platform", "owner" = "platform-mesh"}, ' +
        '{"farcar:acquisition" = "afterpay", "farcar:environment" = "production", "farcar:stack" = "afterpay-production-ingress"})}',
    );
    expect(tf.variable.extra_tags).toMatchObject({ type: "map(string)", default: {} });
  });
});
