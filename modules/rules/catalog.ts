/**
 * The security rules Farcar enforces at synth, in the order they are reported. Each rule's id,
 * intent, reason and fix live in its own file; help/security-rules.md is kept in step with this
 * list by __tests__/rules/catalog.test.ts.
 */
import { apigwAccessLogs } from "./apigw-access-logs";
import { apigwIamAuthorization } from "./apigw-iam-authorization";
import { apigwPrivateEndpoint } from "./apigw-private-endpoint";
import { ec2NoOpenEgress } from "./ec2-no-open-egress";
import { ec2NoOpenIngress } from "./ec2-no-open-ingress";
import { iamNoWildcardAction } from "./iam-no-wildcard-action";
import { iamNoWildcardPrincipal } from "./iam-no-wildcard-principal";
import { logsRetention } from "./logs-retention";
import { nlbSecurityGroups } from "./nlb-security-groups";
import { vpcNoPublicAccess } from "./vpc-no-public-access";
import { vpceS3Perimeter } from "./vpce-s3-perimeter";

export const SECURITY_RULES = [
  apigwPrivateEndpoint,
  apigwIamAuthorization,
  iamNoWildcardPrincipal,
  iamNoWildcardAction,
  ec2NoOpenIngress,
  ec2NoOpenEgress,
  vpcNoPublicAccess,
  vpceS3Perimeter,
  nlbSecurityGroups,
  apigwAccessLogs,
  logsRetention,
] as const;

export type SecurityRuleId = (typeof SECURITY_RULES)[number]["id"];

/** A rule as documented: what it requires, why, how to fix it, and what it looks at. */
export interface SecurityRuleSummary {
  readonly id: SecurityRuleId;
  readonly description: string;
  readonly why: string;
  readonly fix: string;
  readonly appliesTo: readonly string[];
}

/** Every rule, for documentation and tooling. */
export function listSecurityRules(): SecurityRuleSummary[] {
  return SECURITY_RULES.map(({ id, description, why, fix, appliesTo }) => ({ id, description, why, fix, appliesTo }));
}

export function isSecurityRuleId(id: string): id is SecurityRuleId {
  return SECURITY_RULES.some((r) => r.id === id);
}

/** The rule table of help/security-rules.md (Markdown). */
export function securityRulesTable(): string {
  const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  return [
    "| Rule | What | Why | Fix |",
    "| --- | --- | --- | --- |",
    ...listSecurityRules().map((r) => `| \`${r.id}\` | ${cell(r.description)} | ${cell(r.why)} | ${cell(r.fix)} |`),
  ].join("\n");
}
