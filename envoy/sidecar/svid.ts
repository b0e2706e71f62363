/**
 * X.509-SVID checks shared by both identity sources and the health check. Nothing is written to
 * IDENTITY_DIR unless `verifySvid` accepted it.
 */
import { X509Certificate as NodeX509Certificate, createPrivateKey, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { pemCertificates } from "./env";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** A verified SVID (or egress client certificate), ready to be installed. */
export interface Svid {
  /** PKCS#8 (or SEC1/PKCS#1) private key PEM. */
  privateKeyPem: string;
  /** Leaf followed by intermediates, PEM. */
  chainPem: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** Where it came from: a PCA certificate ARN or a secret version id. */
  origin: string;
}

export class SvidRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SvidRejectedError";
  }
}

const SAN_OID = "2.5.29.17";

/** URI SANs of a certificate (empty when it has no SAN extension). */
export function uriSans(cert: x509.X509Certificate): string[] {
  const san = cert.getExtension(SAN_OID);
  if (!san) return [];
  const names = new x509.SubjectAlternativeNameExtension(san.rawData).names.toJSON();
  return names.filter((n) => n.type === "url").map((n) => n.value);
}

/** Parses the leaf (first CERTIFICATE block) of a PEM chain. */
export function parseLeaf(chainPem: string): x509.X509Certificate {
  const blocks = pemCertificates(chainPem);
  if (blocks.length === 0) throw new SvidRejectedError("the certificate chain contains no PEM CERTIFICATE block");
  return new x509.X509Certificate(blocks[0]);
}

/**
 * Verifies that (chainPem, privateKeyPem) is a usable X.509-SVID for `spiffeId` at `now`:
 *  - the leaf's URI SANs are exactly [spiffeId] (SPIFFE: an SVID carries exactly one URI SAN);
 *  - the leaf is not a CA certificate;
 *  - the private key matches the leaf's public key;
 *  - now is inside [notBefore, notAfter);
 *  - when intermediates are present, the leaf is signed by the first of them.
 * Throws SvidRejectedError naming the first failed check.
 */
export async function verifySvid(input: {
  chainPem: string;
  privateKeyPem: string;
  spiffeId: string;
  now: Date;
  origin: string;
}): Promise<Svid> {
  return verifyCertificateAndKey(input, { uriSans: [input.spiffeId] });
}

const CLIENT_AUTH_EKU = "1.3.6.1.5.5.7.3.2";
const ANY_EKU = "2.5.29.37.0";

/**
 * Verifies an egress Farcar's CLIENT certificate from the acquisition's PKI at `now`. The PKI
 * decides the names (no SAN requirement); otherwise as strict as verifySvid, and more:
 *  - the leaf is not a CA certificate;
 *  - the private key matches the leaf's public key;
 *  - now is inside [notBefore, notAfter);
 *  - every certificate of the chain is signed by the next one (the whole chain, not only the leaf);
 *  - when the leaf restricts its extended key usage, clientAuth is among it (else the upstream
 *    would refuse it in the TLS handshake, after it was installed).
 */
export async function verifyClientCertificate(input: { chainPem: string; privateKeyPem: string; now: Date; origin: string }): Promise<Svid> {
  return verifyCertificateAndKey(input, { wholeChain: true, clientAuth: true });
}

async function verifyCertificateAndKey(
  input: { chainPem: string; privateKeyPem: string; now: Date; origin: string },
  checks: { uriSans?: string[]; wholeChain?: boolean; clientAuth?: boolean },
): Promise<Svid> {
  const blocks = pemCertificates(input.chainPem);
  const leaf = parseLeaf(input.chainPem);

  if (checks.uriSans !== undefined) {
    const uris = uriSans(leaf);
    if (uris.length !== checks.uriSans.length || uris.some((u, i) => u !== checks.uriSans![i])) {
      throw new SvidRejectedError(
        `certificate URI SANs ${JSON.stringify(uris)} are not exactly [${checks.uriSans.map((u) => JSON.stringify(u)).join(", ")}]; refusing to present another identity`,
      );
    }
  }
  const basic = leaf.getExtension(x509.BasicConstraintsExtension);
  if (basic?.ca) throw new SvidRejectedError(`certificate is a CA certificate; ${checks.uriSans ? "an X.509-SVID" : "a client certificate"} leaf must not be`);

  let keyMatches = false;
  try {
    keyMatches = new NodeX509Certificate(blocks[0]).checkPrivateKey(createPrivateKey(input.privateKeyPem));
  } catch (err) {
    throw new SvidRejectedError(`private key is not a readable PEM key: ${(err as Error).message}`);
  }
  if (!keyMatches) throw new SvidRejectedError("private key does not match the certificate's public key");

  if (input.now.getTime() < leaf.notBefore.getTime()) {
    throw new SvidRejectedError(`certificate is not valid before ${leaf.notBefore.toISOString()}`);
  }
  if (input.now.getTime() >= leaf.notAfter.getTime()) {
    throw new SvidRejectedError(`certificate expired at ${leaf.notAfter.toISOString()}`);
  }
  const links = checks.wholeChain ? blocks.length - 1 : Math.min(blocks.length - 1, 1);
  for (let i = 0; i < links; i++) {
    const subject = i === 0 ? leaf : new x509.X509Certificate(blocks[i]);
    const issuer = new x509.X509Certificate(blocks[i + 1]);
    const signed = await subject.verify({ publicKey: issuer.publicKey, signatureOnly: true });
    if (!signed) {
      throw new SvidRejectedError(
        i === 0 ? "certificate is not signed by the first certificate of its chain" : `chain certificate ${i + 1} is not signed by certificate ${i + 2}`,
      );
    }
  }
  if (checks.clientAuth) {
    const eku = leaf.getExtension(x509.ExtendedKeyUsageExtension);
    const usages = (eku?.usages ?? []).map(String);
    if (eku && !usages.includes(CLIENT_AUTH_EKU) && !usages.includes(ANY_EKU)) {
      throw new SvidRejectedError(`certificate's extended key usage ${JSON.stringify(usages)} does not allow TLS client authentication (${CLIENT_AUTH_EKU})`);
    }
  }

  return {
    privateKeyPem: ensureNewline(input.privateKeyPem.replace(/\r\n/g, "\n").trim()),
    chainPem: blocks.join("\n") + "\n",
    serialNumber: leaf.serialNumber,
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    origin: input.origin,
  };
}

/** The moment to renew: half-way through the certificate's lifetime. */
export function renewalTime(svid: Pick<Svid, "notBefore" | "notAfter">): Date {
  const start = svid.notBefore.getTime();
  return new Date(start + Math.floor((svid.notAfter.getTime() - start) / 2));
}

function ensureNewline(s: string): string {
  return s.endsWith("\n") ? s : `${s}\n`;
}
