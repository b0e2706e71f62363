/**
 * API Gateway's account-level CloudWatch role (per account and region). Stage access logs and
 * execution logs need it; the proxy account belongs to Farcar, so the stack owns this setting.
 * A stage with access logging, and method settings with a logging level, are refused until the
 * account has the role ("CloudWatch Logs role ARN must be set in account settings to enable
 * logging"): PrivateRestApi makes both depend on `account` (its `accountLogging` prop).
 */
import { Construct } from "constructs";
import { ApiGatewayAccount } from "@cdktf/provider-aws/lib/api-gateway-account";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { policyDocument, renderPolicy } from "../iam/policy-document";

export interface ApiGatewayLoggingProps {
  readonly partition: string;
  readonly accountId: string;
  readonly roleName: string;
}

export class ApiGatewayLogging extends Construct {
  public readonly role: IamRole;
  public readonly account: ApiGatewayAccount;

  constructor(scope: Construct, id: string, props: ApiGatewayLoggingProps) {
    super(scope, id);
    this.role = new IamRole(this, "role", {
      name: props.roleName,
      description: "API Gateway writes access and execution logs to CloudWatch Logs",
      assumeRolePolicy: renderPolicy(
        policyDocument({
          Sid: "ApiGatewayOfThisAccount",
          Effect: "Allow",
          Principal: { Service: "apigateway.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": props.accountId } },
        }),
      ),
    });
    const pushToLogs = new IamRolePolicyAttachment(this, "push-to-logs", {
      role: this.role.name,
      policyArn: `arn:${props.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs`,
    });
    // API Gateway checks the role when the setting is made ("The role ARN does not have required
    // permissions set to API Gateway"): set it once the role can write logs.
    this.account = new ApiGatewayAccount(this, "settings", { cloudwatchRoleArn: this.role.arn, dependsOn: [pushToLogs] });
  }
}
