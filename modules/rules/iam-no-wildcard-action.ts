/**
 * FC-IAM-WILDCARD-ACTION: no identity policy grants every action (or every action of a service)
 * on every resource. A specific action on `"*"` is fine — some actions have no resource-level
 * permissions (`ecr:GetAuthorizationToken` in the execution role).
 */
import { NOT_APPLICABLE, defineRule, failIf, qualifiedType, strings, type ResourceConfig, type RuleResult } from "./rule";
import { embeddedPolicies, forEachStatement, statementName, type Statement } from "./policy-documents";

/** AWS managed policies that grant service-wide (or all) actions on all resources. */
const BROAD_MANAGED_POLICY = /^arn:[^:]+:iam::aws:policy\/(?:[\w+=,.@-]+\/)*(AdministratorAccess|PowerUserAccess|\w*FullAccess)$/;

const ATTACHMENTS = [
  "aws_iam_role_policy_attachment",
  "aws_iam_user_policy_attachment",
  "aws_iam_group_policy_attachment",
  "aws_iam_policy_attachment",
];

const APPLIES_TO = [
  "aws_iam_role",
  "aws_iam_role_policy",
  "aws_iam_policy",
  "aws_iam_user_policy",
  "aws_iam_group_policy",
  ...ATTACHMENTS,
  "data.aws_iam_policy_document",
];

export const iamNoWildcardAction = defineRule({
  id: "FC-IAM-WILDCARD-ACTION",
  description:
    'No identity policy Allows Action "*" or "<service>:*" (or NotAction) on Resource "*" (or NotResource); ' +
    "no attachment of AWS managed AdministratorAccess, PowerUserAccess or *FullAccess policies",
  why:
    "A Farcar task role is an identity in the mesh: if it may do everything in a service, a compromised task can issue " +
    "certificates from other CAs, read other services' secrets or change the API, and so act as someone else",
  fix:
    "List the actions the role needs and scope Resource to its own resources (its CA, its secret, its log group); " +
    'a specific action on "*" is fine where the action has no resource-level permissions',
  appliesTo: APPLIES_TO,
  evaluate(resource: ResourceConfig): RuleResult {
    const type = qualifiedType(resource);
    if (!APPLIES_TO.includes(type)) return NOT_APPLICABLE;
    const reasons: string[] = [];
    if (ATTACHMENTS.includes(type)) {
      const arn = resource.config.policy_arn;
      if (typeof arn === "string" && BROAD_MANAGED_POLICY.test(arn)) reasons.push(`attaches ${arn}`);
    }
    if (type === "aws_iam_role") {
      for (const arn of strings(resource.config.managed_policy_arns)) {
        if (BROAD_MANAGED_POLICY.test(arn)) reasons.push(`managed_policy_arns includes ${arn}`);
      }
    }
    const identityPolicies = embeddedPolicies(resource).filter((p) => p.kind === "identity" || p.kind === "any");
    forEachStatement(identityPolicies, reasons, (statement, i, policy) => {
      // Statements with a principal belong to a resource policy (FC-IAM-WILDCARD-PRINCIPAL).
      if (statement.Effect !== "Allow" || statement.Principal !== undefined || statement.NotPrincipal !== undefined) return;
      const actions = broadActions(statement);
      const resources = allResources(statement);
      if (actions && resources) reasons.push(`${policy.attribute} ${statementName(statement, i)} allows ${actions} on ${resources}`);
    });
    return failIf(reasons);
  },
});

/** `*`, `service:*` or NotAction, rendered for the reason; undefined when the actions are specific. */
function broadActions(statement: Statement): string | undefined {
  if (statement.NotAction !== undefined) return `NotAction ${JSON.stringify(statement.NotAction)}`;
  const broad = (statement.Action ?? []).filter((a) => a === "*" || /^[A-Za-z0-9-]+:\*$/.test(a) || a === "*:*");
  return broad.length ? `Action ${JSON.stringify(broad.length === 1 ? broad[0] : broad)}` : undefined;
}

function allResources(statement: Statement): string | undefined {
  if (statement.NotResource !== undefined) return `NotResource ${JSON.stringify(statement.NotResource)}`;
  return (statement.Resource ?? []).includes("*") ? 'Resource "*"' : undefined;
}
