/**
 * The environment's SVID issuer (issuer/handler.ts) as Terraform: one Lambda function, one alias
 * per Farcar, one role — the only role with acm-pca:IssueCertificate on the environment CA.
 *
 *   Farcar X's task role ──lambda:InvokeFunction on alias farcar-X only──► issuer
 *       issuer: alias farcar-X → spiffeIdOf(template, X) ──IssueCertificate (APIPassthrough)──► CA
 *
 * The Lambda is not attached to a VPC: it reaches the Private CA API over AWS's network; the
 * Farcars reach Lambda through the proxy VPC's `lambda` interface endpoint.
 */
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import * as path from "node:path";
import { Construct } from "constructs";
// cdktf's own asset helpers (not in its public index): the hash and archiver TerraformAsset uses.
import { archiveSync, hashPath } from "cdktf/lib/private/fs";
import { TerraformAsset, AssetType, type ITerraformDependable } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaAlias } from "@cdktf/provider-aws/lib/lambda-alias";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { issuerRoleName, limitedName } from "../../config/names";
import { issuerBundleDir } from "../../issuer/bundle";
import { issuerAliasName, ISSUER_ENV, SERVICE_PLACEHOLDER } from "../../issuer/identity";
import { policyDocument, renderPolicy, type PolicyDocument } from "../iam/policy-document";

/** Lambda runtime of the issuer; issuer/bundle.ts targets the same Node.js version. */
export const ISSUER_RUNTIME = "nodejs22.x";

export interface SvidIssuerProps {
  readonly acquisition: string;
  readonly environment: string;
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  /** The environment CA. */
  readonly caArn: string;
  /** APIPassthrough template ARN. */
  readonly templateArn: string;
  /** The fleet's SPIFFE ID template with trust domain, acquisition and environment filled in (`{service}` left). */
  readonly spiffeIdTemplate: string;
  /** The inbound services (one alias each). */
  readonly services: readonly string[];
  /** Longest certificate lifetime the issuer grants, hours (identity.certificateTtlHours). */
  readonly maxTtlHours: number;
  readonly logRetentionDays: number;
  /**
   * What must exist before the issuer (the installed CA certificate when the CA is created here).
   * @default - nothing
   */
  readonly dependsOn?: ITerraformDependable[];
}

export class SvidIssuer extends Construct {
  public readonly function: LambdaFunction;
  public readonly role: IamRole;
  /** Alias per service: the ARN its task role may invoke. */
  public readonly aliases: Record<string, LambdaAlias> = {};

  constructor(scope: Construct, id: string, props: SvidIssuerProps) {
    super(scope, id);
    if (!props.spiffeIdTemplate.includes(SERVICE_PLACEHOLDER)) {
      throw new Error(`SvidIssuer: spiffeIdTemplate must keep ${SERVICE_PLACEHOLDER} (got ${props.spiffeIdTemplate})`);
    }
    const functionName = limitedName(["farcar", props.acquisition, props.environment, "issuer"], 64);
    const logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/lambda/${functionName}`,
      retentionInDays: props.logRetentionDays,
    });
    this.role = new IamRole(this, "role", {
      // The only role name the guardrail SCP lets issue (DenyCertificateIssuance, stacks/org-stack.ts).
      name: issuerRoleName(props.acquisition, props.environment),
      description: `The only principal that issues SVIDs from the ${props.acquisition}/${props.environment} CA`,
      assumeRolePolicy: renderPolicy(lambdaTrustPolicy(props.accountId)),
    });
    new IamRolePolicy(this, "policy", {
      role: this.role.name,
      name: "farcar-issuer",
      policy: renderPolicy(issuerPolicy({ caArn: props.caArn, templateArn: props.templateArn, logGroupArn: logGroup.arn })),
    });
    const archive = issuerArchive();
    // The same asset as { path: issuerBundleDir(), type: ARCHIVE } — same path in the stack
    // (archive.zip under the directory's hash), same source_code_hash, same archiver — but zipped
    // once per process and copied per stack, not zipped again for every environment.
    const code = new TerraformAsset(this, "code", { path: archive.file, type: AssetType.FILE, assetHash: archive.assetHash });
    this.function = new LambdaFunction(this, "function", {
      functionName,
      description: `Farcar SVID issuer for ${props.acquisition}/${props.environment}: alias farcar-<service> gets that service's SPIFFE ID only`,
      role: this.role.arn,
      // nodejs20.x left standard support on 2026-04-30; nodejs22.x is supported to 2027-04-30
      // (Lambda runtime support policy, lambda-runtimes.html; endoflife.date/aws-lambda).
      runtime: ISSUER_RUNTIME,
      handler: "index.handler",
      filename: code.path,
      sourceCodeHash: code.assetHash,
      publish: true,
      timeout: 60,
      memorySize: 256,
      environment: {
        variables: {
          [ISSUER_ENV.caArn]: props.caArn,
          [ISSUER_ENV.templateArn]: props.templateArn,
          [ISSUER_ENV.signingAlgorithm]: "SHA256WITHECDSA",
          [ISSUER_ENV.spiffeIdTemplate]: props.spiffeIdTemplate,
          [ISSUER_ENV.maxTtlHours]: String(props.maxTtlHours),
        },
      },
      dependsOn: [logGroup, ...(props.dependsOn ?? [])],
    });
    for (const service of props.services) {
      this.aliases[service] = new LambdaAlias(this, `alias-${service}`, {
        name: issuerAliasName(service),
        description: `Farcar ${service}: may obtain only its own SVID`,
        functionName: this.function.functionName,
        functionVersion: this.function.version,
      });
    }
  }
}

let archived: { dir: string; file: string; assetHash: string } | undefined;

/**
 * The issuer's code zipped once: `archive.zip` next to issuerBundleDir(), made by cdktf's own
 * archiver (`archiveSync`, which TerraformAsset's ARCHIVE type calls for every stack at synth — a
 * child `node` process each: ~0.4 s of CPU per environment, 40 s for 100), with the directory's
 * asset hash (`hashPath`, as TerraformAsset computes it for the directory). A later process
 * reuses the zip while it is newer than the bundle's index.js (issuerBundleDir reuses the bundle
 * across processes too).
 */
export function issuerArchive(): { file: string; assetHash: string } {
  const dir = issuerBundleDir();
  if (archived?.dir === dir && existsSync(archived.file)) return archived;
  const file = path.join(`${dir}-archive`, "archive.zip");
  const mtime = (f: string) => (existsSync(f) ? statSync(f).mtimeMs : -1);
  if (mtime(file) < mtime(path.join(dir, "index.js"))) {
    mkdirSync(path.dirname(file), { recursive: true });
    // Zipped under a temporary name and renamed: a synth running at the same time never copies a half-written zip.
    const tmp = `${file}.${process.pid}.tmp`;
    archiveSync(dir, tmp);
    renameSync(tmp, file);
  }
  archived = { dir, file, assetHash: hashPath(dir) };
  return archived;
}

/** Trust policy of the issuer's role: the Lambda service, for this account's functions only. */
export function lambdaTrustPolicy(accountId: string): PolicyDocument {
  return policyDocument({
    Sid: "LambdaRunsTheIssuer",
    Effect: "Allow",
    Principal: { Service: "lambda.amazonaws.com" },
    Action: "sts:AssumeRole",
    Condition: { StringEquals: { "aws:SourceAccount": accountId } },
  });
}

/** The issuer's permissions: issue with the APIPassthrough template from the environment CA, read back, log. */
export function issuerPolicy(input: { caArn: string; templateArn: string; logGroupArn: string }): PolicyDocument {
  return policyDocument(
    {
      Sid: "IssueSvidsFromTheEnvironmentCa",
      Effect: "Allow",
      Action: "acm-pca:IssueCertificate",
      Resource: input.caArn,
      Condition: { StringEquals: { "acm-pca:TemplateArn": input.templateArn } },
    },
    { Sid: "RetrieveIssuedSvids", Effect: "Allow", Action: "acm-pca:GetCertificate", Resource: input.caArn },
    { Sid: "WriteIssuerLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${input.logGroupArn}:*` },
  );
}
