/**
 * IAM for a Farcar's identity sidecar, as typed data.
 *
 * WHY EVERY INBOUND SERVICE HAS ITS OWN ISSUING CA
 * ------------------------------------------------
 * The Farcar's identity is the URI SAN the sidecar asks AWS Private CA to put into its certificate
 * through `ApiPassthrough`. ACM PCA's authorization cannot constrain that value: IssueCertificate
 * has one request condition key, `acm-pca:TemplateArn` (plus tag keys on the CA), and none for the
 * SANs, subject or CSR. Any principal allowed to issue from a CA with the APIPassthrough template
 * can therefore mint a certificate for ANY SPIFFE ID that the CA's certificates are trusted for.
 *
 * So the rule "only X's Farcar can be X" is enforced by topology, not by a SAN condition:
 *   - each inbound service X gets its OWN issuing CA — a subordinate of the acquisition CA in
 *     SHORT_LIVED_CERTIFICATE mode (≤ 7-day certificates, no revocation infrastructure);
 *   - only X's task role may issue from X's CA (this policy: that CA ARN and nothing else, and only
 *     with the APIPassthrough template), and the proxy account is owned by the platform team;
 *   - the parent mesh authorizes X's SPIFFE ID only when the chain goes through X's CA (e.g. a
 *     per-CA SPIFFE ID / path constraint in the mesh's validation), so a certificate for X minted
 *     from Y's CA is worthless.
 *
 * CA resource-based policies (aws_acmpca_policy / PutPolicy) are NOT used to add a "deny everyone
 * but X's role": AWS documents them for cross-account sharing (principals are accounts,
 * organizations or OUs; the same mechanism RAM uses), limited to a fixed set of actions and to
 * end-entity templates for cross-account issuers. The CA and the task role live in the same proxy
 * account, where the identity policy below is what grants — and its absence is what denies — access.
 */
import { Token } from "cdktf";
import { API_PASSTHROUGH_TEMPLATE_ARN } from "../../envoy/sidecar/env";
import { PolicyDocument, policyDocument, PolicyStatement } from "../iam/policy-document";

/**
 * Exactly one identity source: a per-service issuing CA (privateCa) or a secret the parent's
 * identity system writes (secretsManager). Values may be Terraform tokens (e.g. `ca.arn`).
 */
export type FarcarTaskIdentityPolicyInput =
  | {
      /** This service's OWN issuing CA (never a CA shared with another service). */
      caArn: string;
      /** APIPassthrough template the sidecar uses (default API_PASSTHROUGH_TEMPLATE_ARN). */
      templateArn?: string;
      secretArn?: undefined;
    }
  | {
      /** Full ARN (with the random suffix) of the secret holding this service's SVID. */
      secretArn: string;
      caArn?: undefined;
      /** Accepted (so callers can pass one shape) and ignored: no CA is involved. */
      templateArn?: string;
    };

const CA_ARN = /^arn:(aws|aws-cn|aws-us-gov):acm-pca:[a-z0-9-]+:\d{12}:certificate-authority\/[0-9a-f-]{36}$/;
const TEMPLATE_ARN = /^arn:(aws|aws-cn|aws-us-gov):acm-pca:::template\/[A-Za-z0-9_]+_(APIPassthrough|APICSRPassthrough)\/V\d+$/;
const SECRET_ARN = /^arn:(aws|aws-cn|aws-us-gov):secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;

function check(value: string, pattern: RegExp, what: string, fn = "farcarTaskIdentityPolicy"): string {
  if (value === "" || (!Token.isUnresolved(value) && !pattern.test(value))) {
    throw new Error(`${fn}: ${what} '${value}' is not valid`);
  }
  return value;
}

/**
 * The Farcar task role's identity policy: what the identity sidecar needs, nothing else.
 *  - privateCa: IssueCertificate on exactly the service's CA, only with the APIPassthrough
 *    template (StringEquals acm-pca:TemplateArn), and GetCertificate on that CA.
 *  - secretsManager: GetSecretValue and DescribeSecret on exactly the service's secret. (If the
 *    secret is encrypted with a customer managed KMS key, that key's policy must also let the role
 *    decrypt via Secrets Manager; with the default aws/secretsmanager key nothing else is needed.)
 */
export function farcarTaskIdentityPolicy(input: FarcarTaskIdentityPolicyInput): PolicyDocument {
  if ((input.caArn === undefined) === (input.secretArn === undefined)) {
    throw new Error("farcarTaskIdentityPolicy: give exactly one of caArn (privateCa) or secretArn (secretsManager)");
  }
  if (input.caArn !== undefined) {
    const caArn = check(input.caArn, CA_ARN, "caArn");
    const templateArn = check(input.templateArn ?? API_PASSTHROUGH_TEMPLATE_ARN, TEMPLATE_ARN, "templateArn (must be an APIPassthrough template)");
    const statements: PolicyStatement[] = [
      {
        Sid: "IssueOwnSvidFromOwnCa",
        Effect: "Allow",
        Action: "acm-pca:IssueCertificate",
        Resource: caArn,
        Condition: { StringEquals: { "acm-pca:TemplateArn": templateArn } },
      },
      { Sid: "RetrieveOwnSvid", Effect: "Allow", Action: "acm-pca:GetCertificate", Resource: caArn },
    ];
    return policyDocument(...statements);
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
