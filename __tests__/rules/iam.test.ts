/**
 * IAM rules: FC-IAM-WILDCARD-PRINCIPAL (who a policy lets in) and FC-IAM-WILDCARD-ACTION (what an
 * identity may do), checked against the policies the modules really render.
 */
import { TerraformVariable, type TerraformStack } from "cdktf";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { ApiGatewayRestApiPolicy } from "@cdktf/provider-aws/lib/api-gateway-rest-api-policy";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { SecretsmanagerSecretPolicy } from "@cdktf/provider-aws/lib/secretsmanager-secret-policy";
import { VpcEndpointPolicy } from "@cdktf/provider-aws/lib/vpc-endpoint-policy";
import { ecsTasksTrustPolicy, farcarExecutionPolicy } from "../../modules/farcar-service/policies";
import { renderPolicy } from "../../modules/iam/policy-document";
import { secretReadableOnlyBy } from "../../modules/identity/service-identity";
import { executeApiEndpointPolicy } from "../../modules/network/acquisition-endpoint";
import { thisAccountOnlyEndpointPolicy } from "../../modules/network/proxy-vpc";
import { privateApiResourcePolicy } from "../../modules/private-api/resource-policy";
import { iamNoWildcardAction } from "../../modules/rules/iam-no-wildcard-action";
import { iamNoWildcardPrincipal, isSpecificResource } from "../../modules/rules/iam-no-wildcard-principal";
import { readPolicy } from "../../modules/rules/policy-documents";
import { compliant, configOf, evaluate, json, nonCompliant, notApplicable } from "./support";

const ROLE = "arn:aws:iam::333333333333:role/checkout-staging";
const api = (stack: TerraformStack) => new ApiGatewayRestApi(stack, "api", { name: "api", endpointConfiguration: { types: ["PRIVATE"] } });
const apiPolicy = (statement: object) => (stack: TerraformStack) =>
  new ApiGatewayRestApiPolicy(stack, "policy", {
    restApiId: "api",
    policy: json({
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Resource: `${api(stack).executionArn}/*`, ...statement }],
    }),
  });
const endpointPolicy = (statement: object) => (stack: TerraformStack) =>
  new VpcEndpointPolicy(stack, "endpoint-policy", {
    vpcEndpointId: "vpce-1",
    policy: json({
      Version: "2012-10-17",
      Statement: [{ Sid: "Invoke", Effect: "Allow", Principal: "*", Action: "execute-api:Invoke", ...statement }],
    }),
  });
const trust = (principal: object) => (stack: TerraformStack) =>
  new IamRole(stack, "role", {
    name: "r",
    assumeRolePolicy: json({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" }] }),
  });

describe("FC-IAM-WILDCARD-PRINCIPAL", () => {
  test("passes the private API's resource policy (named roles; Deny statements for everyone)", () => {
    const result = evaluate(iamNoWildcardPrincipal, (stack) => {
      const restApi = api(stack);
      const doc = privateApiResourcePolicy({
        executionArn: restApi.executionArn,
        stage: "staging",
        proxyAccountId: "222222222222",
        vpcEndpointId: "vpce-1",
        services: [{ name: "checkout", roleArns: [ROLE] }],
      });
      return new ApiGatewayRestApiPolicy(stack, "policy", { restApiId: restApi.id, policy: renderPolicy(doc) });
    });
    expect(result).toEqual(compliant);
  });

  test('fails an API resource policy that Allows Principal "*", even scoped to the API', () => {
    expect(evaluate(iamNoWildcardPrincipal, apiPolicy({ Sid: "Everyone", Effect: "Allow", Principal: "*" }))).toEqual(
      nonCompliant('policy statement "Everyone" allows Principal "*"')
    );
  });

  test('fails {"AWS": "*"}, alone or in a list', () => {
    expect(evaluate(iamNoWildcardPrincipal, apiPolicy({ Effect: "Allow", Principal: { AWS: "*" } }))).toEqual(
      nonCompliant('policy statement #1 allows Principal {"AWS":"*"}')
    );
    expect(evaluate(iamNoWildcardPrincipal, apiPolicy({ Effect: "Allow", Principal: { AWS: [ROLE, "*"] } }))).toEqual(
      nonCompliant(`policy statement #1 allows Principal {"AWS":["${ROLE}","*"]}`)
    );
  });

  test("fails Allow with NotPrincipal (everyone but a few)", () => {
    expect(evaluate(iamNoWildcardPrincipal, apiPolicy({ Effect: "Allow", NotPrincipal: { AWS: ROLE } }))).toEqual(
      nonCompliant("policy statement #1 allows NotPrincipal (everyone but the principals listed)")
    );
  });

  test("passes the generated execute-api endpoint policy: Principal * limited to one API's execution ARN", () => {
    const result = evaluate(
      iamNoWildcardPrincipal,
      (stack) =>
        new VpcEndpointPolicy(stack, "endpoint-policy", {
          vpcEndpointId: "vpce-1",
          policy: renderPolicy(executeApiEndpointPolicy(api(stack).executionArn)),
        })
    );
    expect(result).toEqual(compliant);
  });

  test('fails an endpoint policy that Allows Principal "*" on Resource "*"', () => {
    expect(evaluate(iamNoWildcardPrincipal, endpointPolicy({ Resource: "*" }))).toEqual(
      nonCompliant('policy statement "Invoke" allows Principal "*" on ["*"]')
    );
  });

  test("fails an endpoint policy whose Resource is an ARN pattern for any account or any API", () => {
    expect(evaluate(iamNoWildcardPrincipal, endpointPolicy({ Resource: "arn:aws:execute-api:us-east-1:*:abc/*" }))).toEqual(
      nonCompliant('policy statement "Invoke" allows Principal "*" on ["arn:aws:execute-api:us-east-1:*:abc/*"]')
    );
    expect(evaluate(iamNoWildcardPrincipal, endpointPolicy({ Resource: "arn:aws:execute-api:us-east-1:222222222222:*" }))).toMatchObject({
      compliance: "non-compliant",
    });
  });

  test("passes an endpoint policy that limits principals to this account (the proxy VPC's endpoints)", () => {
    expect(
      evaluate(iamNoWildcardPrincipal, (stack) =>
        new VpcEndpointPolicy(stack, "endpoint-policy", { vpcEndpointId: "vpce-1", policy: renderPolicy(thisAccountOnlyEndpointPolicy("222222222222")) }),
      ),
    ).toEqual(compliant);
  });

  test("fails an endpoint policy whose account condition is a wildcard, or does not name principals", () => {
    expect(
      evaluate(iamNoWildcardPrincipal, endpointPolicy({ Resource: "*", Condition: { StringEquals: { "aws:PrincipalAccount": "*" } } })),
    ).toMatchObject({ compliance: "non-compliant" });
    expect(
      evaluate(iamNoWildcardPrincipal, endpointPolicy({ Resource: "*", Condition: { StringEquals: { "aws:SourceVpc": "vpc-1" } } })),
    ).toMatchObject({ compliance: "non-compliant" });
    expect(
      evaluate(iamNoWildcardPrincipal, endpointPolicy({ Resource: "*", Condition: { StringLike: { "aws:PrincipalAccount": "2222*" } } })),
    ).toMatchObject({ compliance: "non-compliant" });
  });

  test("passes a role trusted by a service principal, fails one trusted by everyone", () => {
    expect(
      evaluate(
        iamNoWildcardPrincipal,
        (stack) =>
          new IamRole(stack, "role", { name: "r", assumeRolePolicy: renderPolicy(ecsTasksTrustPolicy("aws", "us-east-1", "222222222222")) })
      )
    ).toEqual(compliant);
    expect(evaluate(iamNoWildcardPrincipal, trust({ AWS: "*" }))).toEqual(
      nonCompliant('assume_role_policy statement #1 allows Principal {"AWS":"*"}')
    );
  });

  test("passes the SVID secret policy (a Deny for everyone but the task role)", () => {
    const result = evaluate(
      iamNoWildcardPrincipal,
      (stack) =>
        new SecretsmanagerSecretPolicy(stack, "svid-policy", {
          secretArn: "arn:aws:secretsmanager:us-east-1:222222222222:secret:svid",
          policy: renderPolicy(secretReadableOnlyBy("arn:aws:iam::222222222222:role/task")),
        })
    );
    expect(result).toEqual(compliant);
  });

  test("fails a policy it cannot read (an expression, not a document)", () => {
    const result = evaluate(iamNoWildcardPrincipal, (stack) => {
      const policy = new TerraformVariable(stack, "policy", { type: "string" });
      return new VpcEndpointPolicy(stack, "endpoint-policy", { vpcEndpointId: "vpce-1", policy: policy.stringValue });
    });
    expect(result).toEqual(nonCompliant("policy cannot be checked: it is the expression ${var.policy}"));
  });

  test("checks an aws_iam_policy_document at its source, not where it is used", () => {
    let document!: DataAwsIamPolicyDocument;
    const user = evaluate(iamNoWildcardPrincipal, (stack) => {
      document = new DataAwsIamPolicyDocument(stack, "doc", {
        statement: [
          { effect: "Allow", principals: [{ type: "*", identifiers: ["*"] }], actions: ["execute-api:Invoke"], resources: ["*"] },
        ],
      });
      return new ApiGatewayRestApiPolicy(stack, "policy", { restApiId: "api", policy: document.json });
    });
    expect(user).toEqual(compliant);
    expect(iamNoWildcardPrincipal.evaluate(configOf(document))).toEqual(nonCompliant('document statement #1 allows Principal "*"'));
  });

  test("does not apply to identity policies", () => {
    expect(
      evaluate(
        iamNoWildcardPrincipal,
        (stack) => new IamRolePolicy(stack, "p", { role: "r", policy: json({ Version: "2012-10-17", Statement: [] }) })
      )
    ).toEqual(notApplicable);
  });

  test.each([
    ["${aws_api_gateway_rest_api.api.execution_arn}/*", true],
    ["arn:aws:s3:::farcar-artifacts/*", true],
    ["arn:aws:execute-api:us-east-1:222222222222:abcdef1234/*", true],
    ["*", false],
    ["arn:aws:execute-api:*:*:*", false],
    ["arn:aws:execute-api:us-east-1:*:abcdef1234/*", false],
    ["arn:aws:execute-api:us-east-1:222222222222:*", false],
    ["${var.resource}", false],
  ])("isSpecificResource(%s) is %s", (resource, expected) => {
    expect(isSpecificResource(resource)).toBe(expected);
  });
});

describe("FC-IAM-WILDCARD-ACTION", () => {
  const rolePolicy = (statement: object) => (stack: TerraformStack) =>
    new IamRolePolicy(stack, "policy", {
      role: "r",
      policy: json({ Version: "2012-10-17", Statement: [{ Effect: "Allow", ...statement }] }),
    });

  test("passes the Farcar execution policy (ecr:GetAuthorizationToken is a specific action on *)", () => {
    const result = evaluate(
      iamNoWildcardAction,
      (stack) =>
        new IamRolePolicy(stack, "policy", {
          role: "r",
          policy: renderPolicy(
            farcarExecutionPolicy({
              repositoryArns: ["arn:aws:ecr:us-east-1:222222222222:repository/farcar/envoy"],
              logGroupArn: "arn:aws:logs:us-east-1:222222222222:log-group:/farcar/x",
              secretArns: ["arn:aws:secretsmanager:us-east-1:222222222222:secret:bundle"],
            })
          ),
        })
    );
    expect(result).toEqual(compliant);
  });

  test('fails Action "*" on Resource "*"', () => {
    expect(evaluate(iamNoWildcardAction, rolePolicy({ Sid: "Admin", Action: "*", Resource: "*" }))).toEqual(
      nonCompliant('policy statement "Admin" allows Action "*" on Resource "*"')
    );
  });

  test('fails "service:*" on Resource "*", passes it on a named resource', () => {
    expect(evaluate(iamNoWildcardAction, rolePolicy({ Action: ["acm-pca:*", "logs:PutLogEvents"], Resource: "*" }))).toEqual(
      nonCompliant('policy statement #1 allows Action "acm-pca:*" on Resource "*"')
    );
    expect(
      evaluate(
        iamNoWildcardAction,
        rolePolicy({ Action: "acm-pca:*", Resource: "arn:aws:acm-pca:us-east-1:222222222222:certificate-authority/x" })
      )
    ).toEqual(compliant);
  });

  test("fails NotAction on NotResource", () => {
    expect(evaluate(iamNoWildcardAction, rolePolicy({ NotAction: "iam:*", NotResource: "arn:aws:s3:::x" }))).toEqual(
      nonCompliant('policy statement #1 allows NotAction ["iam:*"] on NotResource ["arn:aws:s3:::x"]')
    );
  });

  test("fails a role's inline policy and a managed policy", () => {
    expect(
      evaluate(
        iamNoWildcardAction,
        (stack) =>
          new IamRole(stack, "role", {
            name: "r",
            assumeRolePolicy: renderPolicy(ecsTasksTrustPolicy("aws", "us-east-1", "222222222222")),
            inlinePolicy: [
              { name: "all", policy: json({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }) },
            ],
          })
      )
    ).toEqual(nonCompliant('inline_policy[0].policy statement #1 allows Action "*" on Resource "*"'));
    expect(
      evaluate(
        iamNoWildcardAction,
        (stack) =>
          new IamPolicy(stack, "managed", {
            name: "m",
            policy: json({ Version: "2012-10-17", Statement: { Effect: "Allow", Action: "s3:*", Resource: "*" } }),
          })
      )
    ).toEqual(nonCompliant('policy statement #1 allows Action "s3:*" on Resource "*"'));
  });

  test("fails attaching AdministratorAccess, passes a narrow AWS managed policy", () => {
    const attach = (policyArn: string) => (stack: TerraformStack) => new IamRolePolicyAttachment(stack, "attach", { role: "r", policyArn });
    expect(evaluate(iamNoWildcardAction, attach("arn:aws:iam::aws:policy/AdministratorAccess"))).toEqual(
      nonCompliant("attaches arn:aws:iam::aws:policy/AdministratorAccess")
    );
    expect(evaluate(iamNoWildcardAction, attach("arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"))).toEqual(
      compliant
    );
  });

  test("fails an aws_iam_policy_document granting everything", () => {
    const result = evaluate(
      iamNoWildcardAction,
      (stack) => new DataAwsIamPolicyDocument(stack, "doc", { statement: [{ sid: "All", actions: ["*"], resources: ["*"] }] })
    );
    expect(result).toEqual(nonCompliant('document statement "All" allows Action "*" on Resource "*"'));
  });

  test("does not apply to resource policies", () => {
    expect(evaluate(iamNoWildcardAction, apiPolicy({ Effect: "Allow", Principal: { AWS: ROLE } }))).toEqual(notApplicable);
  });
});

describe("reading policies", () => {
  test("a document with quoted expressions inside still parses", () => {
    const read = readPolicy('{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"${lookup(var.arns, "bucket")}/*"}]}');
    expect(read).toEqual({
      status: "statements",
      statements: [expect.objectContaining({ Effect: "Allow", Action: ["s3:GetObject"], Resource: ["${lookup(var.arns, 'bucket')}/*"] })],
    });
  });

  test("invalid JSON is unreadable", () => {
    expect(readPolicy("{not json")).toEqual({ status: "unreadable", reason: "it is not valid JSON" });
  });
});
