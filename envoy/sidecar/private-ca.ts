/**
 * privateCa mode: the key is generated inside the task and never leaves it; AWS Private CA signs a
 * CSR and stamps the SPIFFE ID through the APIPassthrough template.
 *
 * Security note (why every inbound service has its own CA): ACM PCA's IAM model cannot restrict
 * WHICH SAN a caller puts into `ApiPassthrough` — `acm-pca:TemplateArn` is the only request
 * condition key. A role allowed to issue from a CA can therefore mint ANY SPIFFE ID that CA's
 * certificates are trusted for. "Only X's Farcar can be X" holds because X's task role may issue
 * from X's CA alone, and the mesh maps X's CA to X's SPIFFE ID (see modules/identity/policies.ts).
 */
import { randomUUID, webcrypto } from "node:crypto";
import {
  GetCertificateCommand,
  IssueCertificateCommand,
  type IssueCertificateCommandInput,
} from "@aws-sdk/client-acm-pca";
import * as x509 from "@peculiar/x509";
import type { PrivateCaConfig } from "./env";
// ./svid also registers node's webcrypto as @peculiar/x509's crypto provider.
import { renewalTime, Svid, verifySvid } from "./svid";
import type { IdentitySource, Sleep } from "./source";

/** The slice of ACMPCAClient the sidecar uses (an ACMPCAClient satisfies it). */
export interface PcaClientLike {
  send(command: IssueCertificateCommand | GetCertificateCommand, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
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
 * empty — AWS Private CA rejects an empty-subject CSR whose SAN is not critical. Each service has
 * its own CA, so audit reports still attribute every certificate to a service.
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

/** The exact IssueCertificate request for a CSR (exported so tests and docs share one definition). */
export function issueCertificateInput(config: PrivateCaConfig, csrPem: string, now: Date, idempotencyToken: string): IssueCertificateCommandInput {
  return {
    CertificateAuthorityArn: config.caArn,
    Csr: new TextEncoder().encode(csrPem),
    SigningAlgorithm: config.signingAlgorithm,
    TemplateArn: config.templateArn,
    // The API has no HOURS validity type (only END_DATE, ABSOLUTE, DAYS, MONTHS, YEARS; DAYS has
    // a one-day minimum), so an hour-granular lifetime is an ABSOLUTE expiry in epoch seconds.
    // Not-before defaults to issuance time minus 60 minutes (clock-skew allowance).
    Validity: { Type: "ABSOLUTE", Value: Math.floor(now.getTime() / 1000) + config.certTtlHours * 3600 },
    ApiPassthrough: { Extensions: { SubjectAlternativeNames: [{ UniformResourceIdentifier: config.spiffeId }] } },
    IdempotencyToken: idempotencyToken,
  };
}

export interface PrivateCaSourceOptions {
  config: PrivateCaConfig;
  client: PcaClientLike;
  clock: () => Date;
  sleep: Sleep;
  signal?: AbortSignal;
  /** How long to wait for the CA to finish issuing (default 120 s). */
  issueTimeoutMs?: number;
  /** Override key/CSR generation (tests). */
  generate?: (spiffeId: string) => Promise<KeyAndCsr>;
}

export class PrivateCaSource implements IdentitySource {
  readonly kind = "privateCa" as const;

  constructor(private readonly opts: PrivateCaSourceOptions) {}

  /** Issues a fresh SVID (new key every time: rotation also rotates the key). */
  async fetch(): Promise<Svid> {
    const { config, client, clock, signal } = this.opts;
    const { privateKeyPem, csrPem } = await (this.opts.generate ?? generateKeyAndCsr)(config.spiffeId);
    const issued = (await client.send(
      new IssueCertificateCommand(issueCertificateInput(config, csrPem, clock(), randomUUID())),
      { abortSignal: signal },
    )) as { CertificateArn?: string };
    if (!issued.CertificateArn) throw new Error("IssueCertificate returned no CertificateArn");
    const { certificate, chain } = await this.waitForCertificate(issued.CertificateArn);
    return verifySvid({
      chainPem: chain ? `${certificate.trim()}\n${chain.trim()}\n` : `${certificate.trim()}\n`,
      privateKeyPem,
      spiffeId: config.spiffeId,
      now: clock(),
      origin: issued.CertificateArn,
    });
  }

  /** Renew at half of the installed certificate's lifetime. */
  nextCheck(current: Svid): Date {
    return renewalTime(current);
  }

  /** Polls GetCertificate while the CA answers RequestInProgressException, with capped backoff. */
  private async waitForCertificate(certificateArn: string): Promise<{ certificate: string; chain?: string }> {
    const { config, client, clock, sleep, signal } = this.opts;
    const deadline = clock().getTime() + (this.opts.issueTimeoutMs ?? 120_000);
    let delay = 250;
    for (;;) {
      try {
        const out = (await client.send(
          new GetCertificateCommand({ CertificateAuthorityArn: config.caArn, CertificateArn: certificateArn }),
          { abortSignal: signal },
        )) as { Certificate?: string; CertificateChain?: string };
        if (!out.Certificate) throw new Error(`GetCertificate returned no certificate for ${certificateArn}`);
        return { certificate: out.Certificate, chain: out.CertificateChain };
      } catch (err) {
        if ((err as Error).name !== "RequestInProgressException") throw err;
        if (clock().getTime() + delay > deadline) {
          throw new Error(`certificate ${certificateArn} still not issued after ${this.opts.issueTimeoutMs ?? 120_000} ms`);
        }
        await sleep(delay, signal);
        if (signal?.aborted) throw new Error("aborted");
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }
}
