/**
 * The `org` stack, in the management account: one proxy account per environment that asks for
 * one (`proxyAccount.email`), placed in the proxy OU and protected from destroy, plus guardrail
 * SCPs on the proxy OU.
 */
import { TerraformOutput, TerraformStack, type TerraformBackend, type TerraformRemoteState } from "cdktf";
import type { Construct } from "constructs";
import { OrganizationsAccount } from "@cdktf/provider-aws/lib/organizations-account";
import { OrganizationsPolicy } from "@cdktf/provider-aws/lib/organizations-policy";
import { OrganizationsPolicyAttachment } from "@cdktf/provider-aws/lib/organizations-policy-attachment";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { fleetRegions, type Fleet, type FleetEnvironment } from "../config/fleet";
import { accountIdOutputName, ORG_STACK } from "../config/names";
import { policyDocument, renderPolicy, type PolicyDocument } from "../modules/iam/policy-document";
import { configureBackend } from "./backend";

/** Global services exempt from the region guardrail (they are served from us-east-1). */
export const GLOBAL_SERVICE_ACTIONS = [
  "iam:*",
  "organizations:*",
  "sts:*",
  "support:*",
  "account:*",
  "budgets:*",
  "ce:*",
  "cloudfront:*",
  "route53:*",
  "route53domains:*",
  "health:*",
  "trustedadvisor:*",
  "waf:*",
  "globalaccelerator:*",
  "pricing:*",
  "tag:GetResources",
];

/** Guardrails for every account in the proxy OU (one SCP; SCPs are limited to 5120 characters). */
export function proxyGuardrailPolicy(regions: readonly string[]): PolicyDocument {
  return policyDocument(
    { Sid: "DenyLeavingOrganization", Effect: "Deny", Action: "organizations:LeaveOrganization", Resource: "*" },
    {
      Sid: "DenyCloudTrailTampering",
      Effect: "Deny",
      Action: ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors"],
      Resource: "*",
    },
    {
      Sid: "DenyIamUsersAndAccessKeys",
      Effect: "Deny",
      Action: ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"],
      Resource: "*",
    },
    {
      // TestInvokeMethod calls an integration without a signed request, bypassing the API's
      // resource policy: nobody in a proxy account may act as a Farcar's caller this way.
      Sid: "DenyApiGatewayTestInvoke",
      Effect: "Deny",
      Action: "apigateway:POST",
      Resource: "arn:*:apigateway:*::/restapis/*/resources/*/methods/*",
    },
    {
      Sid: "DenyRegionsOutsideFleet",
      Effect: "Deny",
      NotAction: GLOBAL_SERVICE_ACTIONS,
      Resource: "*",
      Condition: { StringNotEquals: { "aws:RequestedRegion": [...regions] } },
    },
  );
}

export interface OrgStackProps {
  readonly fleet: Fleet;
}

export class OrgStack extends TerraformStack {
  /** Created proxy accounts by `<acquisition>-<environment>`. */
  public readonly accounts: Record<string, OrganizationsAccount> = {};
  public readonly guardrails: OrganizationsPolicy;
  public readonly backend: TerraformBackend;
  private readonly remoteStates = new Map<TerraformStack, TerraformRemoteState>();

  constructor(scope: Construct, props: OrgStackProps) {
    super(scope, ORG_STACK);
    const { fleet } = props;
    this.backend = configureBackend(this, fleet, ORG_STACK);
    new AwsProvider(this, "aws", {
      region: fleet.region,
      allowedAccountIds: [fleet.organization.managementAccountId],
      defaultTags: [{ tags: { ...fleet.tags, "farcar:stack": ORG_STACK } }],
    });

    for (const env of fleet.environments) {
      if (env.proxyAccount.id) continue;
      const account = new OrganizationsAccount(this, `account-${env.key}`, {
        name: env.proxyAccount.name,
        email: env.proxyAccount.email!,
        parentId: fleet.organization.proxyOrganizationalUnitId,
        roleName: fleet.organization.accountAccessRoleName,
        closeOnDeletion: false,
        iamUserAccessToBilling: "DENY",
        tags: { "farcar:acquisition": env.acquisition, "farcar:environment": env.environment },
        // role_name is only used at creation and cannot be read back.
        lifecycle: { preventDestroy: true, ignoreChanges: ["role_name"] },
      });
      this.accounts[env.key] = account;
      new TerraformOutput(this, accountIdOutputName(env.acquisition, env.environment), {
        value: account.id,
        description: `Proxy account ID of ${env.acquisition}/${env.environment}`,
      });
    }

    this.guardrails = new OrganizationsPolicy(this, "proxy-guardrails", {
      name: "farcar-proxy-guardrails",
      description: "Farcar proxy accounts: stay in the org, keep CloudTrail, no IAM users, fleet regions only",
      type: "SERVICE_CONTROL_POLICY",
      content: renderPolicy(proxyGuardrailPolicy(fleetRegions(fleet))),
    });
    new OrganizationsPolicyAttachment(this, "proxy-guardrails-attachment", {
      policyId: this.guardrails.id,
      targetId: fleet.organization.proxyOrganizationalUnitId,
    });
  }

  /**
   * The ID of a proxy account this stack creates, read by another stack from this stack's state
   * (a `terraform_remote_state` data source in `consumer`, known at plan time).
   */
  public accountIdFor(consumer: TerraformStack, env: FleetEnvironment): string {
    if (!this.accounts[env.key]) throw new Error(`org stack creates no account for ${env.key}`);
    let state = this.remoteStates.get(consumer);
    if (!state) {
      state = this.backend.getRemoteStateDataSource(consumer, "org-state", ORG_STACK);
      this.remoteStates.set(consumer, state);
    }
    return state.getString(accountIdOutputName(env.acquisition, env.environment));
  }
}
