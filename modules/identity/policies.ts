/**
 * IAM for a Farcar's identity sidecar, as typed data.
 *
 * privateCa: a Farcar's task role may invoke ITS OWN alias of the environment's issuer
 * (modules/identity/issuer.ts) and nothing else — no acm-pca permission at all. The issuer maps
 * the alias to the one SPIFFE ID it writes into the certificate, and its role is the only one
 * allowed to call acm-pca:IssueCertificate (issuer/identity.ts explains why this is not done with
 * Private CA condition keys). `npm run verify` proves the result: for every role the stack creates
 * and every SPIFFE ID of the fleet, only Farcar X's task role can obtain X's ID (verify/identity.ts).
 *
 * An identity policy on the alias-qualified ARN `function:NAME:ALIAS` matches invocations of that
 * alias only, not the unqualified function or another alias (IAM matches the whole resource ARN;
 * Lambda authorizes Invoke on the ARN the caller named, qualifier included).
 */
import { Token } from "cdktf";
import { PolicyDocument, policyDocument, type PolicyStatement } from "../iam/policy-document";

/**
 * Exactly one identity source: the Farcar's alias of the issuer (privateCa) or a secret the
 * parent's identity system writes (secretsManager). Values may be Terraform tokens.
 */
export type FarcarTaskIdentityPolicyInput =
  | {
      /** This service's OWN alias of the issuer (alias-qualified function ARN). */
      issuerAliasArn: string;
      secretArn?: undefined;
    }
  | {
      /** Full ARN (with the random suffix) of the secret holding this service's SVID. */
      secretArn: string;
      issuerAliasArn?: undefined;
    };

const ALIAS_ARN = /^arn:(aws|aws-cn|aws-us-gov):lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}:[A-Za-z0-9_-]{1,128}$/;
const SECRET_ARN = /^arn:(aws|aws-cn|aws-us-gov):secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;

function check(value: string, pattern: RegExp, what: string, fn = "farcarTaskIdentityPolicy"): string {
  if (value === "" || (!Token.isUnresolved(value) && !pattern.test(value))) {
    throw new Error(`${fn}: ${what} '${value}' is not valid`);
  }
  return value;
}

/**
 * The Farcar task role's identity policy: what the identity sidecar needs, nothing else.
 *  - privateCa: lambda:InvokeFunction on exactly the Farcar's alias of the issuer.
 *  - secretsManager: GetSecretValue and DescribeSecret on exactly the service's secret. (If the
 *    secret is encrypted with a customer managed KMS key, that key's policy must also let the role
 *    decrypt via Secrets Manager; with the default aws/secretsmanager key nothing else is needed.)
 */
export function farcarTaskIdentityPolicy(input: FarcarTaskIdentityPolicyInput): PolicyDocument {
  if ((input.issuerAliasArn === undefined) === (input.secretArn === undefined)) {
    throw new Error("farcarTaskIdentityPolicy: give exactly one of issuerAliasArn (privateCa) or secretArn (secretsManager)");
  }
  if (input.issuerAliasArn !== undefined) {
    return policyDocument({
      Sid: "ObtainOwnSvidFromTheIssuer",
      Effect: "Allow",
      Action: "lambda:InvokeFunction",
      Resource: check(input.issuerAliasArn, ALIAS_ARN, "issuerAliasArn (an alias-qualified Lambda function ARN)"),
    });
  }
  const secretArn = check(input.secretArn!, SECRET_ARN, "secretArn (a full secret ARN)");
  return policyDocument({
    Sid: "ReadOwnSvidSecret",
    Effect: "Allow",
    Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
    Resource: secretArn,
  });
}

/**
 * For the task EXECUTION role: ECS reads the mesh trust bundle secret at task start and injects it
 * into the sidecar as FARCAR_TRUST_BUNDLE (container `secrets`). Only that secret.
 */
export function farcarTrustBundleReadPolicy(input: { trustBundleSecretArn: string }): PolicyDocument {
  return policyDocument({
    Sid: "InjectMeshTrustBundle",
    Effect: "Allow",
    Action: "secretsmanager:GetSecretValue",
    Resource: check(input.trustBundleSecretArn, SECRET_ARN, "trustBundleSecretArn (a full secret ARN)", "farcarTrustBundleReadPolicy"),
  });
}

/**
 * What an egress Farcar's identity sidecar does with its TASK role (envoy/sidecar, egress mode).
 * Values may be Terraform tokens (e.g. `secret.arn`).
 */
export interface FarcarEgressTaskPolicyInput {
  /** mtls: full ARN of the secret holding the client certificate + key. */
  clientCertificateSecretArn?: string;
  /** header: full ARN of the secret holding the credential header value. */
  headerSecretArn?: string;
  /** sigv4 with roleArn: the acquisition's role the sidecar assumes (its trust policy must trust the task role). */
  assumeRoleArn?: string;
}

const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]{1,512}$/;

/**
 * Whether an egress Farcar's task role needs farcarEgressTaskPolicy at all: only with a client
 * certificate, a header secret or a role to assume. sigv4 signing AS the task role (no roleArn) and
 * a trust bundle alone need no identity permission (ECS, with the execution role, injects the
 * bundle), so the stack attaches no identity policy then.
 */
export function egressNeedsTaskPolicy(input: FarcarEgressTaskPolicyInput): boolean {
  return [input.clientCertificateSecretArn, input.headerSecretArn, input.assumeRoleArn].some((v) => v !== undefined && v !== "");
}

/**
 * The egress Farcar task role's identity policy: exactly what its identity sidecar needs.
 *  - GetSecretValue + DescribeSecret on exactly the client certificate secret and/or the header
 *    secret (a customer managed KMS key on them must also allow the role to decrypt via Secrets
 *    Manager);
 *  - sts:AssumeRole on exactly the upstream's role, which lives in the acquisition's account: its
 *    trust policy must trust this task role too (cross-account assumption needs both sides).
 * Throws when none is given (see egressNeedsTaskPolicy: then no policy is attached).
 */
export function farcarEgressTaskPolicy(input: FarcarEgressTaskPolicyInput): PolicyDocument {
  if (!egressNeedsTaskPolicy(input)) {
    throw new Error(
      "farcarEgressTaskPolicy: give clientCertificateSecretArn, headerSecretArn and/or assumeRoleArn; a Farcar signing as its task role needs no identity policy (egressNeedsTaskPolicy)",
    );
  }
  const statements: PolicyStatement[] = [];
  const read = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"];
  if (input.clientCertificateSecretArn) {
    const arn = check(input.clientCertificateSecretArn, SECRET_ARN, "clientCertificateSecretArn (a full secret ARN)", "farcarEgressTaskPolicy");
    statements.push({ Sid: "ReadUpstreamClientCertificate", Effect: "Allow", Action: read, Resource: arn });
  }
  if (input.headerSecretArn) {
    const arn = check(input.headerSecretArn, SECRET_ARN, "headerSecretArn (a full secret ARN)", "farcarEgressTaskPolicy");
    statements.push({ Sid: "ReadUpstreamHeaderCredential", Effect: "Allow", Action: read, Resource: arn });
  }
  if (input.assumeRoleArn) {
    const arn = check(input.assumeRoleArn, ROLE_ARN, "assumeRoleArn (an IAM role ARN)", "farcarEgressTaskPolicy");
    statements.push({ Sid: "AssumeUpstreamSigningRole", Effect: "Allow", Action: "sts:AssumeRole", Resource: arn });
  }
  return policyDocument(...statements);
}
