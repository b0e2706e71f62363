/**
 * FC-APIGW-ACCESS-LOGS: every API stage writes access logs (who called which route through which
 * endpoint).
 */
import { NOT_APPLICABLE, block, defineRule, failIf, type ResourceConfig, type RuleResult } from "./rule";

export const apigwAccessLogs = defineRule({
  id: "FC-APIGW-ACCESS-LOGS",
  description: "Every API Gateway stage has access_log_settings with a destination_arn and a format",
  why:
    "Access logs are the audit trail of the identity bridge: which role invoked which /X/Z route, through which VPC " +
    "endpoint, with what result. Without them an impersonation or a misrouted call leaves no trace",
  fix:
    "Set access_log_settings { destination_arn = <log group ARN>, format = <JSON line> } on the stage " +
    "(modules/private-api/private-rest-api.ts uses ACCESS_LOG_FORMAT)",
  appliesTo: ["aws_api_gateway_stage", "aws_apigatewayv2_stage"],
  evaluate(resource: ResourceConfig): RuleResult {
    if (resource.mode === "data" || !["aws_api_gateway_stage", "aws_apigatewayv2_stage"].includes(resource.type)) return NOT_APPLICABLE;
    const settings = block(resource.config.access_log_settings);
    const stage = `stage ${JSON.stringify(resource.config.stage_name ?? resource.config.name ?? "?")}`;
    if (!settings) return failIf([`${stage} has no access_log_settings`]);
    const reasons: string[] = [];
    if (!settings.destination_arn) reasons.push(`${stage} access_log_settings.destination_arn is unset`);
    if (!settings.format) reasons.push(`${stage} access_log_settings.format is unset`);
    return failIf(reasons);
  },
});
