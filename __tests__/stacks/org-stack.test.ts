import { Testing } from "cdktf";
import { OrganizationsAccount } from "@cdktf/provider-aws/lib/organizations-account";
import { OrganizationsPolicy } from "@cdktf/provider-aws/lib/organizations-policy";
import { OrganizationsPolicyAttachment } from "@cdktf/provider-aws/lib/organizations-policy-attachment";
import { synthFleetFile } from "../support/synth";

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

  test("guards the proxy OU with an SCP", () => {
    expect(org).toHaveResourceWithProperties(OrganizationsPolicy, { type: "SERVICE_CONTROL_POLICY" });
    expect(org).toHaveResourceWithProperties(OrganizationsPolicyAttachment, { target_id: "ou-ab12-proxies01" });
    const policy = JSON.parse(orgJson.resource.aws_organizations_policy["proxy-guardrails"].content);
    const bySid = Object.fromEntries(policy.Statement.map((st: { Sid: string }) => [st.Sid, st]));
    expect(bySid.DenyLeavingOrganization.Action).toBe("organizations:LeaveOrganization");
    expect(bySid.DenyCloudTrailTampering.Action).toContain("cloudtrail:StopLogging");
    expect(bySid.DenyIamUsersAndAccessKeys.Action).toEqual(expect.arrayContaining(["iam:CreateUser", "iam:CreateAccessKey"]));
    expect(bySid.DenyApiGatewayTestInvoke).toMatchObject({ Action: "apigateway:POST", Resource: "arn:*:apigateway:*::/restapis/*/resources/*/methods/*" });
    expect(bySid.DenyRegionsOutsideFleet.Condition).toEqual({ StringNotEquals: { "aws:RequestedRegion": ["us-east-1"] } });
    expect(policy.Statement.every((st: { Effect: string }) => st.Effect === "Deny")).toBe(true);
    expect(orgJson.resource.aws_organizations_policy["proxy-guardrails"].content.length).toBeLessThanOrEqual(5120);
  });

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
