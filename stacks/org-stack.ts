/**
 * The `org` stack, in the management account: one proxy account per environment that asks for
 * one (`proxyAccount.email`), placed in the proxy OU and protected from destroy, plus guardrail
 * SCPs on the proxy OU and on every adopted proxy account (`proxyAccount.id`).
 */
import { TerraformOutput, TerraformStack, type TerraformBackend, type TerraformRemoteState } from "cdktf";
import * as path from "node:path";
import type { Construct } from "constructs";
import { OrganizationsAccount } from "@cdktf/provider-aws/lib/organizations-account";
import { OrganizationsPolicy } from "@cdktf/provider-aws/lib/organizations-policy";
import { OrganizationsPolicyAttachment } from "@cdktf/provider-aws/lib/organizations-policy-attachment";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { fleetRegions, type Fleet, type FleetEnvironment } from "../config/fleet";
import { accountIdOutputName, ISSUER_ROLE_PREFIX, ORG_STACK } from "../config/names";
import { SynthError } from "../config/errors";
import { policyDocument, renderPolicy, type ConditionBlock, type PolicyDocument, type PolicyStatement } from "../modules/iam/policy-document";
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

/** SCPs are limited to 5,120 characters (AWS Organizations quotas, "Maximum size of a policy document"). */
export const SCP_MAX_CHARACTERS = 5120;
/**
 * At most 5 SCPs may be attached to one root, OU or account, and an OU or account needs an Allow
 * (usually `FullAWSAccess`) attached at every level: Farcar uses at most 4 (AWS Organizations,
 * "Managing policies": maximum number you can attach to a root, OU, or account).
 */
export const SCP_MAX_PER_TARGET = 4;

/**
 * Name patterns of what the ingress stacks create in a proxy account (config/names.ts:
 * `resourcePrefix`, `limitedName(["farcar", …])`, the SVID secret `farcar/…`). The guardrails
 * protect exactly these; `npm run verify` checks every role, secret, cluster and security group
 * the stacks create against them.
 */
export const FARCAR_ROLE_PATTERN = "farcar-*";
export const FARCAR_SECRET_PATTERN = "farcar*";
export const FARCAR_ECS_PATTERN = "farcar-*";
/** The environments' SVID issuer roles (config/names.ts issuerRoleName): the only Farcar roles that may issue. */
export const FARCAR_ISSUER_ROLE_PATTERN = `${ISSUER_ROLE_PREFIX}-*`;
/** ECS resource types whose ARN starts with the cluster name or the task-definition family. */
const ECS_RESOURCE_TYPES = ["cluster", "service", "task", "task-set", "task-definition", "container-instance"];
/** Tag every proxy-stack resource carries (provider default tags); marks Farcar security groups. */
export const FARCAR_STACK_TAG = "farcar:stack";

/** `arn:*:iam::*:role/{name}`: matches the role in every account and partition (ArnLike). */
export function roleArnPattern(name: string): string {
  return `arn:*:iam::*:role/${name}`;
}

/** Who the guardrails exempt, from the fleet file alone (verify derives its expectation from the same fields). */
export interface GuardrailExemptions {
  /** Exempt from every guardrail except leaving the organization and test invoke: Control Tower / StackSets. */
  readonly platform: readonly string[];
  /** Exempt from the identity guardrails: the access role the stacks assume, the break-glass role, the platform roles. */
  readonly identity: readonly string[];
}

export function guardrailExemptions(fleet: Fleet): GuardrailExemptions {
  const g = fleet.organization.guardrails;
  const platform = [...g.exemptRoleNames];
  const identity = [fleet.organization.accountAccessRoleName, ...(g.breakGlassRoleName ? [g.breakGlassRoleName] : []), ...platform];
  return { platform, identity };
}

/** `ArnNotLike aws:PrincipalArn`: the statement applies to every principal but these roles. */
function exceptRoles(names: readonly string[]): ConditionBlock | undefined {
  if (!names.length) return undefined;
  return { ArnNotLike: { "aws:PrincipalArn": names.map(roleArnPattern) } };
}

/**
 * Baseline guardrails for every proxy account: stay in the organization, keep CloudTrail, no IAM
 * users or access keys, no test invoke, fleet regions only. Control Tower / StackSets execution
 * roles are exempt (they manage trails and deploy into every governed region) except from leaving
 * the organization and test invoke.
 */
export function proxyGuardrailPolicy(regions: readonly string[], platformExempt: readonly string[] = []): PolicyDocument {
  const except = exceptRoles(platformExempt);
  return policyDocument(
    { Sid: "DenyLeavingOrganization", Effect: "Deny", Action: "organizations:LeaveOrganization", Resource: "*" },
    {
      Sid: "DenyCloudTrailTampering",
      Effect: "Deny",
      Action: ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors"],
      Resource: "*",
      ...(except && { Condition: except }),
    },
    {
      Sid: "DenyIamUsersAndAccessKeys",
      Effect: "Deny",
      Action: ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"],
      Resource: "*",
      ...(except && { Condition: except }),
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
      Condition: { StringNotEquals: { "aws:RequestedRegion": [...regions] }, ...except },
    },
  );
}

/**
 * Identity guardrails: inside a proxy account, only the access role the stacks assume, the
 * break-glass role and the platform roles may change what carries a Farcar's identity. Everyone
 * else (an SSO administrator, a compromised task, …) is denied:
 *   - the private API, its policy, integrations, deployments, stages, and VPC links (a new API or
 *     integration through X's VPC link reaches Farcar X without X's role);
 *   - certificate issuance (except the environments' SVID issuers) and every CA change;
 *   - passing a Farcar role (a task definition, service or run-task with X's role is X);
 *     running, exec-ing into or changing Farcar ECS clusters, services, tasks, task definitions;
 *   - creating or changing Farcar roles and the exempt roles themselves (else anyone could create
 *     `stacksets-exec-me` or edit the access role's trust policy and become exempt);
 *   - Farcar secrets' values and policies, Farcar functions (the issuer: its code, configuration,
 *     aliases, versions and resource policy);
 *   - any EC2 action on a security group tagged `farcar:stack` (rules, attaching it to another
 *     network interface or instance, removing the tag).
 */
export function proxyIdentityGuardrailPolicy(exempt: readonly string[]): PolicyDocument {
  const except = exceptRoles(exempt);
  const guarded = (statement: Omit<PolicyStatement, "Effect" | "Condition">, condition: ConditionBlock = {}): PolicyStatement => ({
    ...statement,
    Effect: "Deny",
    ...((except || Object.keys(condition).length) && { Condition: { ...condition, ...except } }),
  });
  const protectedRoles = [FARCAR_ROLE_PATTERN, ...exempt].map(roleArnPattern);
  return policyDocument(
    guarded({
      Sid: "DenyApiChanges",
      Action: ["apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"],
      Resource: ["arn:*:apigateway:*::/restapis*", "arn:*:apigateway:*::/vpclinks*"],
    }),
    guarded({
      Sid: "DenyCaChanges",
      Action: ["acm-pca:Create*", "acm-pca:Delete*", "acm-pca:Update*", "acm-pca:Import*", "acm-pca:Put*", "acm-pca:Restore*", "acm-pca:Revoke*"],
      Resource: "*",
    }),
    {
      // Only the environment's SVID issuer issues (it writes the SAN from the caller's alias,
      // help/identity.md): a Farcar task role with an allow-all policy still cannot issue, so a
      // policy mistake in the proxy account cannot hand out any SPIFFE ID.
      Sid: "DenyCertificateIssuance",
      Effect: "Deny",
      Action: "acm-pca:IssueCertificate",
      Resource: "*",
      Condition: { ArnNotLike: { "aws:PrincipalArn": [...exempt, FARCAR_ISSUER_ROLE_PATTERN].map(roleArnPattern) } },
    },
    guarded({ Sid: "DenyPassingFarcarRoles", Action: "iam:PassRole", Resource: roleArnPattern(FARCAR_ROLE_PATTERN) }),
    guarded({
      Sid: "DenyRoleChanges",
      Action: [
        "iam:CreateRole",
        "iam:DeleteRole*",
        "iam:UpdateRole*",
        "iam:UpdateAssumeRolePolicy",
        "iam:PutRole*",
        "iam:AttachRolePolicy",
        "iam:DetachRolePolicy",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:AddRoleToInstanceProfile",
      ],
      Resource: protectedRoles,
    }),
    guarded({
      Sid: "DenyFarcarTaskChanges",
      Action: ["ecs:Run*", "ecs:Start*", "ecs:Stop*", "ecs:Execute*", "ecs:Create*", "ecs:Update*", "ecs:Delete*", "ecs:Register*", "ecs:Deregister*", "ecs:Put*", "ecs:Tag*", "ecs:Untag*"],
      // One ARN per ECS resource type: a wildcard in the resource-type part (`*/farcar-*`) is
      // "incorrect wildcard usage" (IAM User Guide, ARNs) and matches nothing — npm run verify
      // (iam-simulate) found exactly that. ECS also checks iam:PassRole on a task definition's
      // roles when it is registered (AccessDeniedException "not authorized to perform:
      // iam:PassRole" from RegisterTaskDefinition), which DenyPassingFarcarRoles covers.
      Resource: ECS_RESOURCE_TYPES.map((type) => `arn:*:ecs:*:*:${type}/${FARCAR_ECS_PATTERN}`),
    }),
    guarded({
      Sid: "DenyFarcarSecretChanges",
      Action: ["secretsmanager:Create*", "secretsmanager:Put*", "secretsmanager:Delete*", "secretsmanager:Update*", "secretsmanager:Restore*", "secretsmanager:Rotate*", "secretsmanager:Tag*", "secretsmanager:Untag*", "secretsmanager:Replicate*", "secretsmanager:Remove*"],
      Resource: `arn:*:secretsmanager:*:*:secret:${FARCAR_SECRET_PATTERN}`,
    }),
    guarded({
      // Covers the issuer's UpdateFunctionCode/Configuration, Create/Update/DeleteAlias,
      // PublishVersion, Add/RemovePermission (alias ARNs `function:farcar-…:alias` match too);
      // npm run verify probes each (verify/guardrails.ts).
      Sid: "DenyFarcarFunctionChanges",
      Action: ["lambda:Create*", "lambda:Update*", "lambda:Put*", "lambda:Delete*", "lambda:AddPermission", "lambda:RemovePermission", "lambda:Publish*"],
      Resource: `arn:*:lambda:*:*:function:${FARCAR_ROLE_PATTERN}`,
    }),
    guarded(
      { Sid: "DenyFarcarSecurityGroups", Action: "ec2:*", Resource: "arn:*:ec2:*:*:security-group/*" },
      { Null: { [`aws:ResourceTag/${FARCAR_STACK_TAG}`]: "false" } },
    ),
  );
}

/** One guardrail SCP as the org stack creates it. */
export interface GuardrailPolicy {
  /** Construct ID (stable: part of the Terraform address). */
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly document: PolicyDocument;
}

/**
 * Every guardrail SCP for `fleet`: the baseline policy, and the identity guardrails packed in
 * statement order into as few policies as fit the 5,120-character quota (one with the default
 * exemptions; a long exemption list spills into `…-2`). Fails at synth when a single statement
 * cannot fit or more than SCP_MAX_PER_TARGET policies would be needed.
 */
export function guardrailPolicies(fleet: Fleet): GuardrailPolicy[] {
  const exempt = guardrailExemptions(fleet);
  const tooBig = (what: string, size: number) =>
    new SynthError(
      `${path.basename(fleet.file)}: organization.guardrails: ${what} would be ${size} characters; an SCP may have ${SCP_MAX_CHARACTERS}. ` +
        "Use fewer or shorter exemptRoleNames / breakGlassRoleName (each is repeated in every guardrail statement).",
    );
  const baseline = proxyGuardrailPolicy(fleetRegions(fleet), exempt.platform);
  const baselineSize = renderPolicy(baseline).length;
  if (baselineSize > SCP_MAX_CHARACTERS) throw tooBig("the baseline guardrail SCP", baselineSize);
  const policies: GuardrailPolicy[] = [
    {
      id: "proxy-guardrails",
      name: "farcar-proxy-guardrails",
      description: "Farcar proxy accounts: stay in the org, keep CloudTrail, no IAM users, no test invoke, fleet regions only",
      document: baseline,
    },
  ];
  const groups: PolicyStatement[][] = [];
  for (const statement of proxyIdentityGuardrailPolicy(exempt.identity).Statement) {
    const last = groups[groups.length - 1];
    if (last && renderPolicy(policyDocument(...last, statement)).length <= SCP_MAX_CHARACTERS) last.push(statement);
    else {
      const alone = renderPolicy(policyDocument(statement)).length;
      if (alone > SCP_MAX_CHARACTERS) throw tooBig(`the guardrail statement ${statement.Sid}`, alone);
      groups.push([statement]);
    }
  }
  groups.forEach((statements, i) => {
    const suffix = i === 0 ? "" : `-${i + 1}`;
    policies.push({
      id: `proxy-identity-guardrails${suffix}`,
      name: `farcar-proxy-identity-guardrails${suffix}`,
      description: `Farcar proxy accounts: only the access, break-glass and platform roles may ${statements.map((st) => st.Sid.replace(/^Deny/, "")).join(", ")}`.slice(0, 512),
      document: policyDocument(...statements),
    });
  });
  if (policies.length > SCP_MAX_PER_TARGET) {
    throw new SynthError(
      `${path.basename(fleet.file)}: organization.guardrails: the guardrails would need ${policies.length} SCPs per account; at most ${SCP_MAX_PER_TARGET} fit next to FullAWSAccess. Shorten exemptRoleNames.`,
    );
  }
  return policies;
}

export interface OrgStackProps {
  readonly fleet: Fleet;
}

export class OrgStack extends TerraformStack {
  /** Created proxy accounts by `<acquisition>-<environment>`. */
  public readonly accounts: Record<string, OrganizationsAccount> = {};
  /** Guardrail SCPs, attached to the proxy OU and to every adopted proxy account. */
  public readonly guardrails: OrganizationsPolicy[] = [];
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

    // Every guardrail SCP on the proxy OU (created accounts are placed there) and on every adopted
    // proxy account directly: an adopted account may sit in any OU, and synth cannot look it up
    // (no AWS calls at plan time). Attaching to an account that is also in the proxy OU is harmless.
    for (const policy of guardrailPolicies(fleet)) {
      const scp = new OrganizationsPolicy(this, policy.id, {
        name: policy.name,
        description: policy.description,
        type: "SERVICE_CONTROL_POLICY",
        content: renderPolicy(policy.document),
      });
      this.guardrails.push(scp);
      new OrganizationsPolicyAttachment(this, `${policy.id}-attachment`, {
        policyId: scp.id,
        targetId: fleet.organization.proxyOrganizationalUnitId,
      });
      for (const env of fleet.environments) {
        if (!env.proxyAccount.id) continue;
        new OrganizationsPolicyAttachment(this, `${policy.id}-${env.key}`, { policyId: scp.id, targetId: env.proxyAccount.id });
      }
    }
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
