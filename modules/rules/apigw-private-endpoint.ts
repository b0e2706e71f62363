/**
 * FC-APIGW-PRIVATE: every API is a PRIVATE REST API bound to named execute-api VPC endpoints.
 */
import { NOT_APPLICABLE, block, defineRule, failIf, isExpression, show, strings, type ResourceConfig, type RuleResult } from "./rule";

export const apigwPrivateEndpoint = defineRule({
  id: "FC-APIGW-PRIVATE",
  description:
    'REST APIs have endpoint_configuration types = ["PRIVATE"] with vpc_endpoint_ids; no HTTP or WebSocket APIs (they cannot be private)',
  why:
    "A Farcar API is the only door into the mesh as X: it must be reachable only through the acquisition's execute-api " +
    "endpoint, never from the internet (EDGE, REGIONAL) or through any other endpoint",
  fix:
    'Set endpoint_configuration { types = ["PRIVATE"], vpc_endpoint_ids = [<the environment\'s execute-api endpoint>] } ' +
    "(modules/private-api/private-rest-api.ts does); use a REST API, not aws_apigatewayv2_api",
  appliesTo: ["aws_api_gateway_rest_api", "aws_apigatewayv2_api"],
  evaluate(resource: ResourceConfig): RuleResult {
    if (resource.mode === "data") return NOT_APPLICABLE;
    if (resource.type === "aws_apigatewayv2_api") {
      return failIf([`${show(resource.config.protocol_type ?? "HTTP")} APIs (API Gateway v2) cannot be private`]);
    }
    if (resource.type !== "aws_api_gateway_rest_api") return NOT_APPLICABLE;
    const endpoint = block(resource.config.endpoint_configuration);
    if (!endpoint) return failIf(["endpoint_configuration is unset (API Gateway then creates an EDGE API)"]);
    const reasons: string[] = [];
    const types = strings(endpoint.types);
    if (types.length !== 1 || types[0] !== "PRIVATE")
      reasons.push(`endpoint_configuration.types is ${show(endpoint.types)}, not ["PRIVATE"]`);
    const ids = endpoint.vpc_endpoint_ids;
    if (!isExpression(ids) && strings(ids).length === 0) reasons.push("endpoint_configuration.vpc_endpoint_ids is empty");
    return failIf(reasons);
  },
});
