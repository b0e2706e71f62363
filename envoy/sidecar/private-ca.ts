/**
 * privateCa mode: the key is generated inside the task and never leaves it; the environment's SVID
 * issuer (issuer/handler.ts, a Lambda function) has AWS Private CA sign the CSR with the SPIFFE ID
 * the ISSUER chooses from the alias this Farcar invoked.
 *
 * The task role may invoke its own alias only and has no acm-pca permission, so code running in
 * this task can obtain this Farcar's SVID and no other (modules/identity/policies.ts; proven by
 * `npm run verify`, verify/identity.ts).
 */
import { webcrypto } from "node:crypto";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import * as x509 from "@peculiar/x509";
import type { IssueRequest, IssueResponse } from "../../issuer/identity";
import type { PrivateCaConfig } from "./env";
// ./svid also registers node's webcrypto as @peculiar/x509's crypto provider.
import { renewalTime, Svid, verifySvid } from "./svid";
import type { IdentitySource, Sleep } from "./source";

/** The slice of LambdaClient the sidecar uses (a LambdaClient satisfies it). */
export interface LambdaClientLike {
  send(command: InvokeCommand, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

const EC_P256 = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export interface KeyAndCsr {
  privateKeyPem: string;
  csrPem: string;
}

/**
 * An ECDSA P-256 key and a CSR for it whose ONLY extension is a critical subjectAltName holding
 * exactly the SPIFFE ID URI. The subject is empty: an X.509-SVID must not rely on the subject (the
 * SPIFFE ID is the identity), and RFC 5280 requires the SAN to be critical when the subject is
 * empty. The issuer refuses a CSR asking for any other name (issuer/handler.ts checkCsr).
 */
export async function generateKeyAndCsr(spiffeId: string): Promise<KeyAndCsr> {
  const keys = (await webcrypto.subtle.generateKey(EC_P256, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: EC_P256,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: "url", value: spiffeId }], true)],
  });
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  return { privateKeyPem: x509.PemConverter.encode(pkcs8, "PRIVATE KEY") + "\n", csrPem: csr.toString("pem") + "\n" };
}

/** The exact Invoke request for a CSR (exported so tests and docs share one definition). */
export function issuerInvokeInput(config: PrivateCaConfig, csrPem: string): { FunctionName: string; InvocationType: "RequestResponse"; Payload: Uint8Array } {
  const request: IssueRequest = { csrPem, ttlHours: config.certTtlHours };
  return { FunctionName: config.issuerArn, InvocationType: "RequestResponse", Payload: new TextEncoder().encode(JSON.stringify(request)) };
}

export interface PrivateCaSourceOptions {
  config: PrivateCaConfig;
  client: LambdaClientLike;
  clock: () => Date;
  sleep: Sleep;
  signal?: AbortSignal;
  /** Override key/CSR generation (tests). */
  generate?: (spiffeId: string) => Promise<KeyAndCsr>;
}

export class PrivateCaSource implements IdentitySource {
  readonly kind = "privateCa" as const;

  constructor(private readonly opts: PrivateCaSourceOptions) {}

  /** Obtains a fresh SVID from the issuer (new key every time: rotation also rotates the key). */
  async fetch(): Promise<Svid> {
    const { config, client, clock, signal } = this.opts;
    const { privateKeyPem, csrPem } = await (this.opts.generate ?? generateKeyAndCsr)(config.spiffeId);
    const out = (await client.send(new InvokeCommand(issuerInvokeInput(config, csrPem)), { abortSignal: signal })) as {
      FunctionError?: string;
      Payload?: Uint8Array;
    };
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : "";
    if (out.FunctionError) {
      let message = text;
      try {
        const payload = JSON.parse(text) as { errorType?: string; errorMessage?: string };
        message = `${payload.errorType ?? "Error"}: ${payload.errorMessage ?? text}`;
      } catch {
        // not JSON: keep the raw text
      }
      throw new Error(`the issuer ${config.issuerArn} refused or failed: ${message}`);
    }
    const issued = JSON.parse(text) as IssueResponse;
    if (issued.spiffeId !== config.spiffeId) {
      throw new Error(`the issuer says this Farcar is ${issued.spiffeId}, but FARCAR_SPIFFE_ID is ${config.spiffeId}: the alias and the task definition disagree`);
    }
    return verifySvid({
      chainPem: issued.chainPem ? `${issued.certificatePem.trim()}\n${issued.chainPem.trim()}\n` : `${issued.certificatePem.trim()}\n`,
      privateKeyPem,
      spiffeId: config.spiffeId,
      now: clock(),
      origin: issued.certificateArn,
    });
  }

  /** Renew at half of the installed certificate's lifetime. */
  nextCheck(current: Svid): Date {
    return renewalTime(current);
  }
}
