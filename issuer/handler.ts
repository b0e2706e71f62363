/**
 * The per-environment SVID issuer (AWS Lambda, Node.js 22; bundled by esbuild, see issuer/bundle.ts).
 *
 * The only principal allowed to call acm-pca:IssueCertificate on the environment's CA is this
 * function's role. A Farcar invokes its own alias with a CSR; the issuer derives the caller's one
 * SPIFFE ID from the alias (issuer/identity.ts), checks the CSR, and asks AWS Private CA for a
 * certificate whose only URI SAN it writes itself (EndEntityCertificate_APIPassthrough/V1: SANs
 * come from ApiPassthrough; CSR extensions are not copied — Private CA user guide,
 * "Understanding certificate templates", UsingTemplates.html).
 */
import { webcrypto } from "node:crypto";
import {
  ACMPCAClient,
  GetCertificateCommand,
  IssueCertificateCommand,
  type IssueCertificateCommandInput,
} from "@aws-sdk/client-acm-pca";
import * as x509 from "@peculiar/x509";
import { identityOfCaller, ISSUER_ENV, parseFunctionArn, type IssueRequest, type IssueResponse } from "./identity";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** SHORT_LIVED_CERTIFICATE CAs issue for at most 7 days. */
export const MAX_TTL_HOURS = 168;

export interface IssuerConfig {
  readonly caArn: string;
  readonly templateArn: string;
  readonly signingAlgorithm: IssueCertificateCommandInput["SigningAlgorithm"];
  /** SPIFFE ID template with only `{service}` left. */
  readonly spiffeIdTemplate: string;
  readonly maxTtlHours: number;
}

const CA_ARN = /^arn:(aws|aws-cn|aws-us-gov):acm-pca:[a-z0-9-]+:\d{12}:certificate-authority\/[0-9a-f-]{36}$/;
const PASSTHROUGH_TEMPLATE = /^arn:(aws|aws-cn|aws-us-gov):acm-pca:::template\/EndEntityCertificate_APIPassthrough\/V\d+$/;

/** Reads and checks the issuer's environment; throws one message listing every problem. */
export function parseIssuerEnv(env: NodeJS.ProcessEnv): IssuerConfig {
  const problems: string[] = [];
  const get = (name: string): string => env[name]?.trim() ?? "";
  const caArn = get(ISSUER_ENV.caArn);
  if (!CA_ARN.test(caArn)) problems.push(`${ISSUER_ENV.caArn}='${caArn}' is not an AWS Private CA ARN`);
  const templateArn = get(ISSUER_ENV.templateArn);
  // Only the APIPassthrough end-entity template: CSRPassthrough variants would copy the caller's own SANs.
  if (!PASSTHROUGH_TEMPLATE.test(templateArn)) problems.push(`${ISSUER_ENV.templateArn}='${templateArn}' must be an EndEntityCertificate_APIPassthrough template ARN`);
  const signingAlgorithm = get(ISSUER_ENV.signingAlgorithm) || "SHA256WITHECDSA";
  const spiffeIdTemplate = get(ISSUER_ENV.spiffeIdTemplate);
  if (!spiffeIdTemplate.startsWith("spiffe://") || !spiffeIdTemplate.includes("{service}") || /\{(trustDomain|acquisition|environment)\}/.test(spiffeIdTemplate)) {
    problems.push(`${ISSUER_ENV.spiffeIdTemplate}='${spiffeIdTemplate}' must be a spiffe:// template whose only placeholder is {service}`);
  }
  const maxTtlHours = Number(get(ISSUER_ENV.maxTtlHours) || "24");
  if (!Number.isInteger(maxTtlHours) || maxTtlHours < 1 || maxTtlHours > MAX_TTL_HOURS) problems.push(`${ISSUER_ENV.maxTtlHours} must be an integer 1..${MAX_TTL_HOURS}`);
  if (problems.length) throw new Error(`issuer misconfigured: ${problems.join("; ")}`);
  return { caArn, templateArn, signingAlgorithm: signingAlgorithm as IssuerConfig["signingAlgorithm"], spiffeIdTemplate, maxTtlHours };
}

/** Refusal the caller sees (Lambda FunctionError with this message). */
export class IssueRefused extends Error {
  constructor(message: string) {
    super(`refused: ${message}`);
    this.name = "IssueRefused";
  }
}

/** Checks a CSR and returns it parsed: signature valid, allowed key, empty subject, SANs absent or exactly [spiffeId]. */
export async function checkCsr(csrPem: unknown, spiffeId: string): Promise<x509.Pkcs10CertificateRequest> {
  if (typeof csrPem !== "string" || !csrPem.includes("-----BEGIN CERTIFICATE REQUEST-----")) throw new IssueRefused("csrPem must be a PEM certificate request");
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (err) {
    throw new IssueRefused(`csrPem does not parse: ${(err as Error).message}`);
  }
  if (!(await csr.verify())) throw new IssueRefused("the CSR's signature does not verify (proof of possession of its key)");
  const alg = csr.publicKey.algorithm as { name: string; namedCurve?: string; modulusLength?: number };
  const okKey = (alg.name === "ECDSA" && (alg.namedCurve === "P-256" || alg.namedCurve === "P-384")) || (alg.name.startsWith("RSA") && (alg.modulusLength ?? 0) >= 2048);
  if (!okKey) throw new IssueRefused(`key ${alg.name} ${alg.namedCurve ?? alg.modulusLength ?? ""} not allowed (ECDSA P-256/P-384 or RSA ≥ 2048)`);
  if (csr.subject.trim() !== "") throw new IssueRefused(`the CSR subject must be empty (an X.509-SVID is its URI SAN); got '${csr.subject}'`);
  // By OID: a parsed CSR holds generic Extension objects (getExtension(Class) finds none).
  const sanRaw = csr.extensions.find((e) => e.type === "2.5.29.17");
  if (sanRaw) {
    const names = new x509.SubjectAlternativeNameExtension(sanRaw.rawData).names.toJSON();
    if (names.length !== 1 || names[0].type !== "url" || names[0].value !== spiffeId) {
      throw new IssueRefused(`this caller may only be ${spiffeId}; the CSR asks for ${names.map((n) => `${n.type}:${n.value}`).join(", ")}`);
    }
  }
  return csr;
}

/** The exact IssueCertificate request: the issuer, not the caller, writes the one URI SAN. */
export function issueCertificateInput(config: IssuerConfig, csrPem: string, spiffeId: string, ttlHours: number, now: Date, idempotencyToken: string): IssueCertificateCommandInput {
  return {
    CertificateAuthorityArn: config.caArn,
    Csr: new TextEncoder().encode(csrPem),
    SigningAlgorithm: config.signingAlgorithm,
    TemplateArn: config.templateArn,
    // No HOURS validity type (END_DATE, ABSOLUTE, DAYS, MONTHS, YEARS; DAYS has a one-day minimum):
    // an hour-granular lifetime is an ABSOLUTE expiry in epoch seconds (IssueCertificate API, Validity).
    Validity: { Type: "ABSOLUTE", Value: Math.floor(now.getTime() / 1000) + ttlHours * 3600 },
    ApiPassthrough: { Extensions: { SubjectAlternativeNames: [{ UniformResourceIdentifier: spiffeId }] } },
    IdempotencyToken: idempotencyToken,
  };
}

/** The slice of ACMPCAClient the issuer uses. */
export interface PcaClientLike {
  send(command: IssueCertificateCommand | GetCertificateCommand): Promise<unknown>;
}

export interface IssueDeps {
  readonly config: IssuerConfig;
  readonly client: PcaClientLike;
  /** The issuer's own function name (from the runtime: AWS_LAMBDA_FUNCTION_NAME). */
  readonly functionName: string;
  readonly clock: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /** How long to wait for Private CA to finish issuing (default 25 s; the function times out at 60 s). */
  readonly issueTimeoutMs?: number;
}

/** Issues the caller's SVID. `invokedFunctionArn` comes from the Lambda context, never from the payload. */
export async function issue(deps: IssueDeps, invokedFunctionArn: string, request: IssueRequest, requestId: string): Promise<IssueResponse> {
  const caller = identityOfCaller(invokedFunctionArn, { functionName: deps.functionName, spiffeIdTemplate: deps.config.spiffeIdTemplate });
  if ("refused" in caller) throw new IssueRefused(caller.refused);
  if (typeof request !== "object" || request === null) throw new IssueRefused("the payload must be a JSON object { csrPem, ttlHours? }");
  await checkCsr(request.csrPem, caller.spiffeId);
  const requested = request.ttlHours ?? deps.config.maxTtlHours;
  if (!Number.isInteger(requested) || requested < 1) throw new IssueRefused(`ttlHours must be a positive integer (got ${String(request.ttlHours)})`);
  const ttlHours = Math.min(requested, deps.config.maxTtlHours);
  const issued = (await deps.client.send(
    new IssueCertificateCommand(issueCertificateInput(deps.config, request.csrPem, caller.spiffeId, ttlHours, deps.clock(), idempotencyTokenOf(requestId))),
  )) as { CertificateArn?: string };
  if (!issued.CertificateArn) throw new Error("IssueCertificate returned no CertificateArn");
  const { certificate, chain } = await waitForCertificate(deps, issued.CertificateArn);
  return { spiffeId: caller.spiffeId, certificateArn: issued.CertificateArn, certificatePem: certificate, chainPem: chain ?? "" };
}

/** IdempotencyToken: 1–36 printable characters; a Lambda retry of the same request gets the same certificate. */
function idempotencyTokenOf(requestId: string): string {
  return requestId.replace(/[^A-Za-z0-9-]/g, "").slice(0, 36) || "farcar";
}

/** Polls GetCertificate while Private CA answers RequestInProgressException, with capped backoff. */
async function waitForCertificate(deps: IssueDeps, certificateArn: string): Promise<{ certificate: string; chain?: string }> {
  const timeout = deps.issueTimeoutMs ?? 25_000;
  const deadline = deps.clock().getTime() + timeout;
  let delay = 200;
  for (;;) {
    try {
      const out = (await deps.client.send(new GetCertificateCommand({ CertificateAuthorityArn: deps.config.caArn, CertificateArn: certificateArn }))) as {
        Certificate?: string;
        CertificateChain?: string;
      };
      if (!out.Certificate) throw new Error(`GetCertificate returned no certificate for ${certificateArn}`);
      return { certificate: out.Certificate, chain: out.CertificateChain };
    } catch (err) {
      if ((err as Error).name !== "RequestInProgressException") throw err;
      if (deps.clock().getTime() + delay > deadline) throw new Error(`certificate ${certificateArn} still not issued after ${timeout} ms`);
      await deps.sleep(delay);
      delay = Math.min(delay * 2, 2_000);
    }
  }
}

let cached: { config: IssuerConfig; client: ACMPCAClient } | undefined;

/** The Lambda entry point (handler `index.handler`). */
export async function handler(event: IssueRequest, context: { invokedFunctionArn: string; functionName: string; awsRequestId: string }): Promise<IssueResponse> {
  if (!cached) {
    const config = parseIssuerEnv(process.env);
    cached = { config, client: new ACMPCAClient({ region: parseFunctionArn(context.invokedFunctionArn)?.region }) };
  }
  const response = await issue(
    {
      config: cached.config,
      client: cached.client,
      functionName: context.functionName,
      clock: () => new Date(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    },
    context.invokedFunctionArn,
    event,
    context.awsRequestId,
  );
  // One line per certificate for the audit trail (CloudWatch Logs); no key material is ever here.
  console.log(JSON.stringify({ issued: response.spiffeId, certificateArn: response.certificateArn, invokedFunctionArn: context.invokedFunctionArn }));
  return response;
}
