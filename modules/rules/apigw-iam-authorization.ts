/**
 * FC-APIGW-IAM-AUTH: every method authorizes with IAM (SigV4), the identity Farcar maps 1:1 to a
 * mesh identity.
 */
import { NOT_APPLICABLE, defineRule, failIf, show, type ResourceConfig, type RuleResult } from "./rule";

export const apigwIamAuthorization = defineRule({
  id: "FC-APIGW-IAM-AUTH",
  description: 'Every aws_api_gateway_method has authorization = "AWS_IAM"',
  why:
    "The caller's IAM role is what makes it X: the resource policy allows X's roles on /X/* only, and that is evaluated " +
    "only for SigV4-signed (AWS_IAM) methods. A NONE, CUSTOM or COGNITO method bypasses the 1:1 identity mapping",
  fix: 'Set authorization = "AWS_IAM" on the method; callers sign requests with SigV4 (service execute-api)',
  appliesTo: ["aws_api_gateway_method"],
  evaluate(resource: ResourceConfig): RuleResult {
    if (resource.mode === "data" || resource.type !== "aws_api_gateway_method") return NOT_APPLICABLE;
    const { authorization, http_method } = resource.config;
    return failIf(authorization === "AWS_IAM" ? [] : [`method ${show(http_method)} has authorization ${show(authorization)}`]);
  },
});
