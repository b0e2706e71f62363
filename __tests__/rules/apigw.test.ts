/**
 * API Gateway rules: FC-APIGW-PRIVATE, FC-APIGW-IAM-AUTH, FC-APIGW-ACCESS-LOGS.
 */
import type { TerraformStack } from "cdktf";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { apigwAccessLogs } from "../../modules/rules/apigw-access-logs";
import { apigwIamAuthorization } from "../../modules/rules/apigw-iam-authorization";
import { apigwPrivateEndpoint } from "../../modules/rules/apigw-private-endpoint";
import { compliant, evaluate, nonCompliant, notApplicable } from "./support";

describe("FC-APIGW-PRIVATE", () => {
  test("passes a PRIVATE REST API bound to a VPC endpoint", () => {
    const result = evaluate(apigwPrivateEndpoint, (stack) => {
      const endpoint = new VpcEndpoint(stack, "endpoint", { vpcId: "vpc-1", serviceName: "com.amazonaws.us-east-1.execute-api" });
      return new ApiGatewayRestApi(stack, "api", {
        name: "api",
        endpointConfiguration: { types: ["PRIVATE"], vpcEndpointIds: [endpoint.id] },
      });
    });
    expect(result).toEqual(compliant);
  });

  test("fails a REGIONAL API", () => {
    const result = evaluate(
      apigwPrivateEndpoint,
      (stack) => new ApiGatewayRestApi(stack, "api", { name: "api", endpointConfiguration: { types: ["REGIONAL"] } })
    );
    expect(result).toEqual(
      nonCompliant('endpoint_configuration.types is ["REGIONAL"], not ["PRIVATE"]; endpoint_configuration.vpc_endpoint_ids is empty')
    );
  });

  test("fails an API without endpoint configuration (EDGE by default)", () => {
    const result = evaluate(apigwPrivateEndpoint, (stack) => new ApiGatewayRestApi(stack, "api", { name: "api" }));
    expect(result).toEqual(nonCompliant("endpoint_configuration is unset (API Gateway then creates an EDGE API)"));
  });

  test("fails a PRIVATE API bound to no endpoint", () => {
    const result = evaluate(
      apigwPrivateEndpoint,
      (stack) => new ApiGatewayRestApi(stack, "api", { name: "api", endpointConfiguration: { types: ["PRIVATE"] } })
    );
    expect(result).toEqual(nonCompliant("endpoint_configuration.vpc_endpoint_ids is empty"));
  });

  test("fails an HTTP API (API Gateway v2 has no private endpoint type)", () => {
    const result = evaluate(apigwPrivateEndpoint, (stack) => new Apigatewayv2Api(stack, "api", { name: "api", protocolType: "HTTP" }));
    expect(result).toEqual(nonCompliant('"HTTP" APIs (API Gateway v2) cannot be private'));
  });

  test("does not apply to other resources", () => {
    expect(evaluate(apigwPrivateEndpoint, (stack) => new VpcEndpoint(stack, "e", { vpcId: "vpc-1", serviceName: "s" }))).toEqual(
      notApplicable
    );
  });
});

describe("FC-APIGW-IAM-AUTH", () => {
  const method = (authorization: string) => (stack: TerraformStack) =>
    new ApiGatewayMethod(stack, "method", { restApiId: "api", resourceId: "r", httpMethod: "ANY", authorization });

  test("passes an AWS_IAM method", () => {
    expect(evaluate(apigwIamAuthorization, method("AWS_IAM"))).toEqual(compliant);
  });

  test.each(["NONE", "CUSTOM", "COGNITO_USER_POOLS"])("fails a %s method", (authorization) => {
    expect(evaluate(apigwIamAuthorization, method(authorization))).toEqual(
      nonCompliant(`method "ANY" has authorization "${authorization}"`)
    );
  });
});

describe("FC-APIGW-ACCESS-LOGS", () => {
  test("passes a stage with access log settings", () => {
    const result = evaluate(
      apigwAccessLogs,
      (stack) =>
        new ApiGatewayStage(stack, "stage", {
          restApiId: "api",
          deploymentId: "d",
          stageName: "prod",
          accessLogSettings: {
            destinationArn: "arn:aws:logs:us-east-1:222222222222:log-group:access",
            format: '{"requestId":"$context.requestId"}',
          },
        })
    );
    expect(result).toEqual(compliant);
  });

  test("fails a stage without access logs", () => {
    const result = evaluate(
      apigwAccessLogs,
      (stack) => new ApiGatewayStage(stack, "stage", { restApiId: "api", deploymentId: "d", stageName: "prod" })
    );
    expect(result).toEqual(nonCompliant('stage "prod" has no access_log_settings'));
  });

  test("fails an HTTP API stage without access logs", () => {
    const result = evaluate(apigwAccessLogs, (stack) => new Apigatewayv2Stage(stack, "stage", { apiId: "api", name: "$default" }));
    expect(result).toEqual(nonCompliant('stage "$default" has no access_log_settings'));
  });
});
