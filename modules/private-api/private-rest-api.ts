/**
 * A PRIVATE REST API bound to one execute-api VPC endpoint. For each service X and each target Z
 * it may call: `/X/Z` and `/X/Z/{proxy+}`, method ANY with AWS_IAM authorization, integrated
 * HTTP_PROXY over X's VPC link to X's NLB. The integration URI carries the target: `/X/Z/{proxy+}`
 * goes to `http://{nlb}:{port}/Z/{proxy}` (targetPathPrefix), a prefix API Gateway writes and the
 * caller cannot add to or remove (the Farcar routes on it, refusing dot-segments and escaped slashes
 * in the caller's part). Targets X may not call have no resource at all.
 */
import { createHash } from "node:crypto";
import { Fn, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import { ApiGatewayMethodSettings } from "@cdktf/provider-aws/lib/api-gateway-method-settings";
import { ApiGatewayResource } from "@cdktf/provider-aws/lib/api-gateway-resource";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { ApiGatewayRestApiPolicy } from "@cdktf/provider-aws/lib/api-gateway-rest-api-policy";
import { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { API_GATEWAY_INTEGRATION_TIMEOUT_SEC, targetPathPrefix } from "../../envoy/bootstrap";
import { renderPolicy, type PolicyDocument } from "../iam/policy-document";

/**
 * One route family, integrated with the service's NLB:
 *  - with targets (ingress): `/X/Z` and `/X/Z/{proxy+}` per target Z, forwarded to `/Z/` and
 *    `/Z/{proxy}` on the NLB (targetPathPrefix);
 *  - without (egress, one upstream per service): `/X` and `/X/{proxy+}`.
 */
export interface ApiRoute {
  readonly service: string;
  /** @default - no target level: the service has a single upstream */
  readonly targets?: readonly string[];
  readonly vpcLinkId: string;
  /** `http://{nlb-dns}:{port}` of the service's Farcar NLB listener. */
  readonly backendBaseUrl: string;
}

export interface PrivateRestApiProps {
  readonly name: string;
  readonly description?: string;
  readonly stageName: string;
  readonly vpcEndpointId: string;
  readonly routes: readonly ApiRoute[];
  /** Built from the API's execution ARN (see privateApiResourcePolicy). */
  readonly policy: (executionArn: string) => PolicyDocument;
  readonly logRetentionDays: number;
  /**
   * The account's API Gateway CloudWatch role setting (`aws_api_gateway_account`,
   * modules/private-api/account-logging.ts). The stage (access logs) and the method settings
   * (execution logs) are created after it: API Gateway refuses logging settings while the account
   * has no CloudWatch role, and nothing else orders them on a first apply.
   * @default - no dependency (the role is managed outside this construct and already set)
   */
  readonly accountLogging?: ITerraformDependable;
  /**
   * Stage-wide default throttling.
   * @default - 500 requests per second, burst 1000
   */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
}

/** JSON access log line: who called which route, through which endpoint, with what result. */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  requestTime: "$context.requestTime",
  caller: "$context.identity.caller",
  userArn: "$context.identity.userArn",
  accountId: "$context.identity.accountId",
  sourceIp: "$context.identity.sourceIp",
  vpceId: "$context.identity.vpceId",
  httpMethod: "$context.httpMethod",
  resourcePath: "$context.resourcePath",
  path: "$context.path",
  status: "$context.status",
  responseLength: "$context.responseLength",
  integrationStatus: "$context.integration.status",
  integrationLatency: "$context.integration.latency",
  responseLatency: "$context.responseLatency",
  error: "$context.error.message",
  authorizeError: "$context.authorize.error",
});

export class PrivateRestApi extends Construct {
  public readonly restApi: ApiGatewayRestApi;
  public readonly policy: ApiGatewayRestApiPolicy;
  public readonly deployment: ApiGatewayDeployment;
  public readonly stage: ApiGatewayStage;
  public readonly accessLogGroup: CloudwatchLogGroup;
  /**
   * `API-Gateway-Execution-Logs_{api-id}/{stage}`: the group API Gateway writes execution logs to.
   * Created here, with the fleet's retention, before the stage: otherwise API Gateway creates it
   * itself on the first logged request, with retention "never expire", outside Terraform.
   */
  public readonly executionLogGroup: CloudwatchLogGroup;
  /** Methods by `X/Z` and `X/Z/{proxy+}`. */
  public readonly methods: Record<string, ApiGatewayMethod> = {};
  public readonly integrations: Record<string, ApiGatewayIntegration> = {};

  constructor(scope: Construct, id: string, props: PrivateRestApiProps) {
    super(scope, id);
    this.restApi = new ApiGatewayRestApi(this, "api", {
      name: props.name,
      description: props.description,
      endpointConfiguration: { types: ["PRIVATE"], vpcEndpointIds: [props.vpcEndpointId] },
    });
    const policyDoc = props.policy(this.restApi.executionArn);
    this.policy = new ApiGatewayRestApiPolicy(this, "policy", {
      restApiId: this.restApi.id,
      policy: renderPolicy(policyDoc),
    });

    const apiId = this.restApi.id;
    for (const route of props.routes) {
      const serviceResource = new ApiGatewayResource(this, `r-${route.service}`, {
        restApiId: apiId,
        parentId: this.restApi.rootResourceId,
        pathPart: route.service,
      });
      if (!route.targets?.length) {
        const proxyResource = new ApiGatewayResource(this, `r-${route.service}-proxy`, {
          restApiId: apiId,
          parentId: serviceResource.id,
          pathPart: "{proxy+}",
        });
        this.addRoute(route.service, serviceResource, route, undefined, false);
        this.addRoute(`${route.service}/{proxy+}`, proxyResource, route, undefined, true);
        continue;
      }
      for (const target of route.targets) {
        const targetResource = new ApiGatewayResource(this, `r-${route.service}-${target}`, {
          restApiId: apiId,
          parentId: serviceResource.id,
          pathPart: target,
        });
        const proxyResource = new ApiGatewayResource(this, `r-${route.service}-${target}-proxy`, {
          restApiId: apiId,
          parentId: targetResource.id,
          pathPart: "{proxy+}",
        });
        this.addRoute(`${route.service}/${target}`, targetResource, route, target, false);
        this.addRoute(`${route.service}/${target}/{proxy+}`, proxyResource, route, target, true);
      }
    }

    // A new deployment whenever routes, integrations or the policy change (a policy change takes
    // effect only with a new deployment). The route fingerprint is computed here from names only;
    // the policy and the integrations' identities are hashed by Terraform, so the trigger is
    // stable across synths and changes exactly when what is deployed changes.
    const routeFingerprint = createHash("sha256")
      .update(JSON.stringify({ routes: props.routes.map((r) => ({ service: r.service, targets: r.targets })), targetIn: "path" }))
      .digest("hex");
    this.deployment = new ApiGatewayDeployment(this, "deployment", {
      restApiId: apiId,
      description: "Farcar routes",
      triggers: {
        routes: routeFingerprint,
        policy: Fn.sha1(this.policy.policy),
        integrations: Fn.sha1(
          Fn.jsonencode(
            Object.values(this.integrations).map((i) => [i.id, i.uri, i.connectionId, i.requestParameters]),
          ),
        ),
      },
      lifecycle: { createBeforeDestroy: true },
      dependsOn: [this.policy, ...Object.values(this.methods), ...Object.values(this.integrations)],
    });

    this.accessLogGroup = new CloudwatchLogGroup(this, "access-logs", {
      name: `/aws/apigateway/${props.name}/access`,
      retentionInDays: props.logRetentionDays,
    });
    // Name fixed by API Gateway: "API-Gateway-Execution-Logs_{rest-api-id}/{stage-name}" (API
    // Gateway developer guide, "Set up CloudWatch logging for REST APIs in API Gateway").
    this.executionLogGroup = new CloudwatchLogGroup(this, "execution-logs", {
      name: `API-Gateway-Execution-Logs_${apiId}/${props.stageName}`,
      retentionInDays: props.logRetentionDays,
    });
    const accountLogging = props.accountLogging ? [props.accountLogging] : [];
    this.stage = new ApiGatewayStage(this, "stage", {
      restApiId: apiId,
      stageName: props.stageName,
      deploymentId: this.deployment.id,
      xrayTracingEnabled: true,
      accessLogSettings: { destinationArn: this.accessLogGroup.arn, format: ACCESS_LOG_FORMAT },
      dependsOn: [...accountLogging, this.executionLogGroup],
    });
    const throttle = props.throttle ?? { rateLimit: 500, burstLimit: 1000 };
    new ApiGatewayMethodSettings(this, "stage-settings", {
      restApiId: apiId,
      stageName: this.stage.stageName,
      dependsOn: [...accountLogging, this.executionLogGroup],
      methodPath: "*/*",
      settings: {
        metricsEnabled: true,
        loggingLevel: "ERROR",
        dataTraceEnabled: false,
        throttlingRateLimit: throttle.rateLimit,
        throttlingBurstLimit: throttle.burstLimit,
      },
    });
  }

  private addRoute(key: string, resource: ApiGatewayResource, route: ApiRoute, target: string | undefined, greedy: boolean): void {
    const idBase = `m-${key.replace(/[{}+]/g, "").replace(/\//g, "-")}`;
    const method = new ApiGatewayMethod(this, idBase, {
      restApiId: this.restApi.id,
      resourceId: resource.id,
      httpMethod: "ANY",
      authorization: "AWS_IAM",
      requestParameters: greedy ? { "method.request.path.proxy": true } : undefined,
    });
    const integration = new ApiGatewayIntegration(this, `${idBase}-integration`, {
      restApiId: this.restApi.id,
      resourceId: resource.id,
      httpMethod: method.httpMethod,
      type: "HTTP_PROXY",
      integrationHttpMethod: "ANY",
      connectionType: "VPC_LINK",
      connectionId: route.vpcLinkId,
      uri: integrationUri(route.backendBaseUrl, target, greedy),
      timeoutMilliseconds: API_GATEWAY_INTEGRATION_TIMEOUT_SEC * 1000,
      requestParameters: greedy ? { "integration.request.path.proxy": "method.request.path.proxy" } : {},
    });
    this.methods[key] = method;
    this.integrations[key] = integration;
  }
}

/**
 * The integration URI of a route: the Farcar's base URL, then — ingress — the target's path prefix,
 * which API Gateway writes and the caller cannot change, then the caller's `{proxy}` path. The bare
 * `/X/Z` (no `{proxy}`) forwards to the prefix itself, `/Z/`.
 */
export function integrationUri(backendBaseUrl: string, target: string | undefined, greedy: boolean): string {
  const prefix = target === undefined ? "/" : targetPathPrefix(target);
  return `${backendBaseUrl}${prefix}${greedy ? "{proxy}" : ""}`;
}
