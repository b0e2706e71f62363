/**
 * A real, in-process CA for sidecar tests (ECDSA P-256, @peculiar/x509): a self-signed root, a
 * subordinate "per-service" CA, and leaf issuance from a CSR the way AWS Private CA's
 * EndEntityCertificate_APIPassthrough/V1 template does it (SANs from ApiPassthrough, not-before
 * backdated 60 minutes, not-after from an ABSOLUTE validity).
 */
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export interface IssuedLeaf {
  certificatePem: string;
  privateKeyPem?: string;
}

export class LocalCa {
  private constructor(
    readonly root: x509.X509Certificate,
    readonly issuing: x509.X509Certificate,
    private readonly issuingKeys: webcrypto.CryptoKeyPair,
  ) {}

  static async create(name = "Farcar Test"): Promise<LocalCa> {
    const rootKeys = (await webcrypto.subtle.generateKey(EC, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
    const root = await x509.X509CertificateGenerator.createSelfSigned({
      name: `CN=${name} Root`,
      keys: rootKeys as unknown as CryptoKeyPairLike,
      notBefore: new Date("2020-01-01T00:00:00Z"),
      notAfter: new Date("2040-01-01T00:00:00Z"),
      signingAlgorithm: EC,
      extensions: [new x509.BasicConstraintsExtension(true, 1, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
    });
    const issuingKeys = (await webcrypto.subtle.generateKey(EC, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
    const issuing = await x509.X509CertificateGenerator.create({
      subject: `CN=${name} Issuing`,
      issuer: root.subjectName,
      publicKey: issuingKeys.publicKey as unknown as CryptoKey,
      signingKey: rootKeys.privateKey as unknown as CryptoKey,
      notBefore: new Date("2020-01-01T00:00:00Z"),
      notAfter: new Date("2040-01-01T00:00:00Z"),
      signingAlgorithm: EC,
      extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
    });
    return new LocalCa(root, issuing, issuingKeys);
  }

  /** PEM of the issuing CA followed by the root: what GetCertificate returns as CertificateChain. */
  get chainPem(): string {
    return `${this.issuing.toString("pem")}\n${this.root.toString("pem")}\n`;
  }

  get rootPem(): string {
    return `${this.root.toString("pem")}\n`;
  }

  /** Signs a leaf for the CSR's key with the given URI SANs (as PCA does from ApiPassthrough). */
  async issueFromCsr(csrPem: string, opts: { uris: string[]; notBefore: Date; notAfter: Date }): Promise<string> {
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    if (!(await csr.verify())) throw new Error("CSR signature invalid");
    return this.sign(csr.publicKey, opts);
  }

  /** Generates a key and a leaf (for secrets written by "the parent's identity system", or an acquisition's PKI). */
  async issueWithKey(opts: LeafOptions): Promise<{ certificatePem: string; privateKeyPem: string }> {
    const keys = (await webcrypto.subtle.generateKey(EC, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
    const certificatePem = await this.sign(keys.publicKey as unknown as CryptoKey, opts);
    const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
    return { certificatePem, privateKeyPem: `${x509.PemConverter.encode(pkcs8, "PRIVATE KEY")}\n` };
  }

  private async sign(publicKey: x509.PublicKey | CryptoKey, opts: LeafOptions): Promise<string> {
    const names = [
      ...opts.uris.map((value) => ({ type: "url" as const, value })),
      ...(opts.dns ?? []).map((value) => ({ type: "dns" as const, value })),
    ];
    const leaf = await x509.X509CertificateGenerator.create({
      subject: opts.subject ?? "",
      issuer: this.issuing.subjectName,
      publicKey,
      signingKey: this.issuingKeys.privateKey as unknown as CryptoKey,
      notBefore: opts.notBefore,
      notAfter: opts.notAfter,
      signingAlgorithm: EC,
      extensions: [
        new x509.BasicConstraintsExtension(opts.ca ?? false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension(opts.extendedKeyUsages ?? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension(names, !opts.subject),
      ],
    });
    return `${leaf.toString("pem")}\n`;
  }
}

export interface LeafOptions {
  uris: string[];
  notBefore: Date;
  notAfter: Date;
  /** DNS SANs, after the URI SANs. */
  dns?: string[];
  /** A subject DN (the SAN is critical only when the subject is empty). @default "" */
  subject?: string;
  /** Extended key usages (OIDs). @default serverAuth + clientAuth */
  extendedKeyUsages?: string[];
  /** Issue a CA certificate instead of an end-entity one (to test refusals). */
  ca?: boolean;
}

type CryptoKeyPairLike = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]["keys"];
type CryptoKey = Parameters<typeof x509.X509CertificateGenerator.create>[0] extends infer P
  ? P extends { signingKey: infer K }
    ? K
    : never
  : never;
