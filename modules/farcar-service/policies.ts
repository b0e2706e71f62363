/**
 * IAM documents of a Farcar task, as data: who may assume its roles and what the execution role
 * (ECS agent: pull images, write logs, read the trust bundle) may do. The task role's identity
 * permissions come from modules/identity/policies.ts.
 */
import { policyDocument, type PolicyDocument } from "../iam/policy-document";

/** Trust policy of task and execution roles: ECS tasks of this account and region only. */
export function ecsTasksTrustPolicy(partition: string, region: string, accountId: string): PolicyDocument {
  return policyDocument({
    Sid: "EcsTasksOfThisAccount",
    Effect: "Allow",
    Principal: { Service: "ecs-tasks.amazonaws.com" },
    Action: "sts:AssumeRole",
    Condition: {
      StringEquals: { "aws:SourceAccount": accountId },
      ArnLike: { "aws:SourceArn": `arn:${partition}:ecs:${region}:${accountId}:*` },
    },
  });
}

export interface ExecutionPolicyInput {
  /** ECR repositories the task pulls from (empty when images come from elsewhere). */
  readonly repositoryArns: readonly string[];
  /** The task's log group ARN. */
  readonly logGroupArn: string;
  /** Secrets injected into containers by ECS (the mesh trust bundle). */
  readonly secretArns: readonly string[];
}

/** The execution role: exactly its images, its log group and its injected secrets. */
export function farcarExecutionPolicy(input: ExecutionPolicyInput): PolicyDocument {
  const statements = [];
  if (input.repositoryArns.length) {
    statements.push(
      // GetAuthorizationToken has no resource-level permissions.
      { Sid: "EcrLogin", Effect: "Allow" as const, Action: "ecr:GetAuthorizationToken", Resource: "*" },
      {
        Sid: "PullFarcarImages",
        Effect: "Allow" as const,
        Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
        Resource: [...input.repositoryArns],
      },
    );
  }
  statements.push({
    Sid: "WriteOwnLogs",
    Effect: "Allow" as const,
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: `${input.logGroupArn}:*`,
  });
  if (input.secretArns.length) {
    statements.push({
      Sid: "ReadInjectedSecrets",
      Effect: "Allow" as const,
      Action: "secretsmanager:GetSecretValue",
      Resource: [...input.secretArns],
    });
  }
  return policyDocument(...statements);
}
