/**
 * X.509-SVID checks shared by both identity sources and the health check. Nothing is written to
 * IDENTITY_DIR unless `verifySvid` accepted it.
 */
import { X509Certificate as NodeX509Certificate, createPrivateKey, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { pemCertificates } from "./env";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** A verified SVID, ready to be installed. */
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
  const blocks = pemCertificates(input.chainPem);
  const leaf = parseLeaf(input.chainPem);

  const uris = uriSans(leaf);
  if (uris.length !== 1 || uris[0] !== input.spiffeId) {
    throw new SvidRejectedError(
      `certificate URI SANs ${JSON.stringify(uris)} are not exactly [${JSON.stringify(input.spiffeId)}]; refusing to present another identity`,
    );
  }
  const basic = leaf.getExtension(x509.BasicConstraintsExtension);
  if (basic?.ca) throw new SvidRejectedError("certificate is a CA certificate; an X.509-SVID leaf must not be");

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
  if (blocks.length > 1) {
    const issuer = new x509.X509Certificate(blocks[1]);
    const signed = await leaf.verify({ publicKey: issuer.publicKey, signatureOnly: true });
    if (!signed) throw new SvidRejectedError("certificate is not signed by the first certificate of its chain");
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
