/**
 * FC-IAM-WILDCARD-PRINCIPAL: no policy the stack renders Allows everyone.
 *
 * VPC endpoint policies are the one place a wildcard principal is accepted, and only when every
 * Resource of the statement names specific resources, or when a condition limits the principals to
 * named accounts (`aws:PrincipalAccount` / `aws:PrincipalOrgID`, StringEquals, no wildcard) — the
 * form that keeps an endpoint from carrying other accounts' credentials out of a VPC. An endpoint
 * policy grants nothing by
 * itself (the target's resource policy and the caller's identity policy must still allow), so
 * its job is to limit *what* can be reached through the endpoint, not *who* — which is why
 * AWS's own examples use `"Principal": "*"` there. The same statement in a resource policy (the
 * REST API's, a secret's) would grant every AWS principal access, so there it always fails.
 */
import { NOT_APPLICABLE, defineRule, failIf, type ResourceConfig, type RuleResult } from "./rule";
import { embeddedPolicies, forEachStatement, isWildcardPrincipal, statementName, type Statement } from "./policy-documents";

export const iamNoWildcardPrincipal = defineRule({
  id: "FC-IAM-WILDCARD-PRINCIPAL",
  description:
    'No Allow statement for a wildcard principal ("*", {"AWS": "*"}) or with NotPrincipal, in any resource, trust or endpoint policy; ' +
    'an endpoint policy may use Principal "*" when every Resource names specific resources or a condition limits principals to named accounts',
  why:
    "Only X's roles may act as X. An Allow for everyone makes conditions the only gate: one missed condition opens the API, " +
    "secret or role to every AWS account. Endpoint policies only filter what passes the endpoint (the API's resource policy " +
    "still decides who), so there the wildcard is the normal form, provided the endpoint is limited to named resources",
  fix:
    'Name the principals (role ARNs, service principals) instead of "*"; in an endpoint policy, set Resource to the ' +
    'resources reached through it (e.g. `${execution_arn}/*` of the one API), never "*"',
  appliesTo: [
    "aws_api_gateway_rest_api",
    "aws_api_gateway_rest_api_policy",
    "aws_vpc_endpoint",
    "aws_vpc_endpoint_policy",
    "aws_secretsmanager_secret",
    "aws_secretsmanager_secret_policy",
    "aws_iam_role",
    "aws_s3_bucket_policy",
    "aws_sqs_queue",
    "aws_sqs_queue_policy",
    "aws_sns_topic",
    "aws_sns_topic_policy",
    "aws_kms_key",
    "aws_kms_key_policy",
    "aws_ecr_repository_policy",
    "aws_ecr_registry_policy",
    "aws_acmpca_policy",
    "aws_cloudwatch_log_resource_policy",
    "data.aws_iam_policy_document",
  ],
  evaluate(resource: ResourceConfig): RuleResult {
    const policies = embeddedPolicies(resource).filter((p) => p.kind !== "identity");
    if (!policies.length) return NOT_APPLICABLE;
    const reasons: string[] = [];
    forEachStatement(policies, reasons, (statement, i, policy) => {
      if (statement.Effect !== "Allow") return;
      const everyone = isWildcardPrincipal(statement.Principal)
        ? `Principal ${JSON.stringify(statement.Principal)}`
        : statement.NotPrincipal !== undefined
          ? "NotPrincipal (everyone but the principals listed)"
          : undefined;
      if (!everyone) return;
      if (policy.kind === "endpoint") {
        if (namesSpecificResources(statement) || limitsPrincipalsToAccounts(statement)) return;
        reasons.push(
          `${policy.attribute} ${statementName(statement, i)} allows ${everyone} on ${JSON.stringify(statement.Resource ?? statement.NotResource ?? "unset")}`,
        );
        return;
      }
      reasons.push(`${policy.attribute} ${statementName(statement, i)} allows ${everyone}`);
    });
    return failIf(reasons);
  },
});

/** A StringEquals condition on aws:PrincipalAccount or aws:PrincipalOrgID with concrete values. */
export function limitsPrincipalsToAccounts(statement: Statement): boolean {
  const condition = statement.Condition as Record<string, Record<string, unknown>> | undefined;
  const equals = condition?.StringEquals;
  if (!equals || typeof equals !== "object") return false;
  return Object.entries(equals).some(([key, value]) => {
    if (!/^aws:Principal(Account|OrgID)$/i.test(key)) return false;
    const values = [value].flat();
    return values.length > 0 && values.every((v) => typeof v === "string" && v !== "" && !v.includes("*") && !v.includes("?"));
  });
}

/** Every Resource names specific resources (and there is no NotResource). */
export function namesSpecificResources(statement: Statement): boolean {
  if (statement.NotResource !== undefined || !statement.Resource?.length) return false;
  return statement.Resource.every(isSpecificResource);
}

/**
 * A reference to a managed resource's attribute (`${aws_api_gateway_rest_api.api.execution_arn}/*`),
 * or an ARN with a concrete account (or none, as in S3) and a resource part that does not start
 * with a wildcard.
 */
export function isSpecificResource(resource: string): boolean {
  if (/^\$\{(data\.)?aws_[a-z0-9_]+\.[^}]+\}/.test(resource)) return true;
  const parts = resource.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return false;
  const account = parts[4];
  const rest = parts.slice(5).join(":");
  return account !== "*" && rest !== "" && !rest.startsWith("*");
}
