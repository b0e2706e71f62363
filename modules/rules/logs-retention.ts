/**
 * FC-LOGS-RETENTION: every log group says how long it keeps logs.
 */
import { NOT_APPLICABLE, defineRule, failIf, isExpression, type ResourceConfig, type RuleResult } from "./rule";

export const logsRetention = defineRule({
  id: "FC-LOGS-RETENTION",
  description: "Every aws_cloudwatch_log_group has retention_in_days set (and not 0, which means never expire)",
  why:
    "Access and Envoy logs carry caller identities and request paths: keep them as long as the audit policy requires and " +
    "no longer (unbounded retention is unbounded cost and exposure); an unset retention is a decision nobody made",
  fix: "Set retention_in_days (the fleet file's farcar.logRetentionDays feeds the Farcar and API log groups)",
  appliesTo: ["aws_cloudwatch_log_group"],
  evaluate(resource: ResourceConfig): RuleResult {
    if (resource.mode === "data" || resource.type !== "aws_cloudwatch_log_group") return NOT_APPLICABLE;
    const days = resource.config.retention_in_days;
    const name = JSON.stringify(resource.config.name ?? resource.config.name_prefix ?? "?");
    if (days === undefined || days === null) return failIf([`log group ${name} has no retention_in_days (kept forever)`]);
    if (isExpression(days)) return failIf([]);
    return failIf(Number(days) > 0 ? [] : [`log group ${name} has retention_in_days = ${JSON.stringify(days)} (kept forever)`]);
  },
});
