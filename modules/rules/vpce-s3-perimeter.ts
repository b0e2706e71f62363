/**
 * FC-VPCE-S3-PERIMETER: the proxy VPC's S3 gateway endpoint is a data perimeter. It lets this
 * account's principals through, and makes exactly one exception: reading ECR image layers from the
 * region's AWS-owned layer bucket (`prod-<region>-starport-layer-bucket`), which ECR serves with
 * URLs presigned by an AWS account, so no account condition can match them (AWS ECR user guide,
 * "Minimum Amazon S3 bucket permissions for Amazon ECR"; modules/network/proxy-vpc.ts).
 *
 * FC-IAM-WILDCARD-PRINCIPAL accepts any Principal "*" endpoint statement limited to specific
 * resources — right for execute-api endpoints, too loose for S3, where a "specific" bucket can be
 * anyone's (a compromised task could write its credentials to an outside bucket through the
 * endpoint). So an S3 endpoint policy is held to the account condition plus this one exception.
 */
import { NOT_APPLICABLE, defineRule, failIf, strings, type ResourceConfig, type RuleResult } from "./rule";
import { embeddedPolicies, forEachStatement, statementName, type Statement } from "./policy-documents";
import { limitsPrincipalsToAccounts } from "./iam-no-wildcard-principal";

/** `com.amazonaws.<region>.s3` (or `cn.com.amazonaws.<region>.s3`): the S3 service of one region. */
const S3_SERVICE = /^(?:cn\.)?com\.amazonaws\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.s3$/;
/** The ECR layer bucket's objects, for `region` (or any region when the endpoint's is not known). */
const layerBucketObjects = (region = "[a-z]{2}(?:-gov)?-[a-z]+-\\d") =>
  new RegExp(`^arn:aws(?:-cn|-us-gov)?:s3:::prod-${region}-starport-layer-bucket/\\*$`);

export const vpceS3Perimeter = defineRule({
  id: "FC-VPCE-S3-PERIMETER",
  description:
    "An S3 VPC endpoint has a policy, and each of its Allow statements either limits principals to named accounts " +
    "(aws:PrincipalAccount / aws:PrincipalOrgID) or is exactly s3:GetObject on arn:<partition>:s3:::prod-<region>-starport-layer-bucket/* " +
    "for the endpoint's own region (ECR image layers)",
  why:
    "The S3 endpoint is the proxy VPC's only way to S3: without a policy, or with any other bucket allowed for everyone, a " +
    "compromised Farcar can copy its credentials and certificates to a bucket of another account. ECR image layers are the " +
    "one exception AWS requires: they are fetched with URLs presigned by an AWS account, so without it tasks fail with CannotPullContainerError",
  fix:
    "Use s3GatewayEndpointPolicy(accountId, partition, region) from modules/network/proxy-vpc.ts: the account-limited statement " +
    "plus s3:GetObject on the region's ECR layer bucket, and nothing else",
  appliesTo: ["aws_vpc_endpoint", "aws_vpc_endpoint_policy"],
  evaluate(resource: ResourceConfig): RuleResult {
    if (resource.mode === "data") return NOT_APPLICABLE;
    const policies = embeddedPolicies(resource);
    let region: string | undefined;
    if (resource.type === "aws_vpc_endpoint") {
      const match = S3_SERVICE.exec(String(resource.config.service_name ?? ""));
      if (!match) return NOT_APPLICABLE;
      region = match[1];
      if (!policies.length) return failIf(["policy is unset: the default endpoint policy allows every principal on every bucket"]);
    } else if (resource.type === "aws_vpc_endpoint_policy") {
      // A separate policy resource names its endpoint by reference: it is held to this rule when it
      // grants S3 actions (the execute-api endpoint policies grant execute-api:Invoke only).
      const grantsS3 = policies.some(
        (p) => p.document.status === "statements" && p.document.statements.some((s) => s.Effect === "Allow" && (s.Action ?? []).some((a) => /^s3:/i.test(a))),
      );
      if (!grantsS3) return NOT_APPLICABLE;
    } else {
      return NOT_APPLICABLE;
    }
    const reasons: string[] = [];
    forEachStatement(policies, reasons, (statement, i, policy) => {
      if (statement.Effect !== "Allow") return;
      if (limitsPrincipalsToAccounts(statement) || isEcrLayerException(statement, region)) return;
      reasons.push(
        `${policy.attribute} ${statementName(statement, i)} allows ${JSON.stringify(statement.Action ?? statement.NotAction ?? "unset")} on ` +
          `${JSON.stringify(statement.Resource ?? statement.NotResource ?? "unset")} without limiting principals to named accounts, ` +
          `and it is not the ECR layer exception (s3:GetObject on arn:aws:s3:::prod-${region ?? "<region>"}-starport-layer-bucket/*)`,
      );
    });
    return failIf(reasons);
  },
});

/** Exactly `s3:GetObject` on the layer bucket's objects (of the endpoint's region, when known). */
function isEcrLayerException(statement: Statement, region: string | undefined): boolean {
  if (statement.NotAction !== undefined || statement.NotResource !== undefined) return false;
  const actions = strings(statement.Action);
  const resources = strings(statement.Resource);
  const pattern = layerBucketObjects(region?.replace(/-/g, "\\-"));
  return (
    actions.length > 0 &&
    actions.every((a) => a.toLowerCase() === "s3:getobject") &&
    resources.length > 0 &&
    resources.every((r) => pattern.test(r))
  );
}
