/**
 * egress mode: what the identity sidecar provides for an egress Farcar (envoy/egress.ts), one item
 * per need of `egressIdentityNeeds()`:
 *
 *   trustBundle        FARCAR_TRUST_BUNDLE → bundle.pem + bundle-sds.yaml (the acquisition's CA)
 *   clientCertificate  Secrets Manager secret → svid-key.pem, svid.pem + svid-sds.yaml (mtls)
 *   headerCredential   Secrets Manager secret → upstream-header-credential + its SDS document (header)
 *   awsCredentials     sts:AssumeRole → served on loopback to Envoy (sigv4 with roleArn; assume-role.ts)
 *
 * Every file is written atomically (files.ts); nothing is written that was not verified first.
 * A secret value read here (private key, header credential) is never logged, never put into
 * status.json and never quoted in an error message.
 */
import { stringify } from "yaml";
import { EGRESS_IDENTITY_FILES, headerCredentialSdsDocument } from "../egress";
import { IDENTITY_FILES } from "../identity-files";
import { atomicWriteFile, FsOps, installKeyAndChain, KEY_FILE_MODE, nodeFsOps, PUBLIC_FILE_MODE, sdsFileContents } from "./files";
import { currentSecretVersion, parseSvidSecret, SecretsClientLike, secretStringAt } from "./secrets-manager";
import { Svid, SvidRejectedError, verifyClientCertificate } from "./svid";

export type EgressItemName = "trustBundle" | "clientCertificate" | "headerCredential" | "awsCredentials";

/** Status fields of an item: metadata only, never a secret value. */
export type EgressItemDescription = Record<string, string | undefined>;

/** One piece of an egress Farcar's identity, kept in place by runEgressSidecar. */
export interface EgressItem {
  readonly name: EgressItemName;
  /** Usable material is in place (files written / credentials held). */
  installed(): boolean;
  /**
   * Obtains, verifies and installs what is new; resolves true when something was installed, false
   * when the installed material is still the newest. Throws on any failure, leaving whatever is
   * installed in place.
   */
  sync(): Promise<boolean>;
  /** When to sync again after a successful sync at `now`; undefined: never (static material). */
  nextSync(now: Date): Date | undefined;
  /** When the installed material stops being usable; undefined: it does not expire. */
  expiresAt(): Date | undefined;
  /** For status.json and logs. */
  describe(): EgressItemDescription;
}

interface ItemContext {
  /** Where to write (FARCAR_IDENTITY_DIR). */
  dir: string;
  clock: () => Date;
  fs?: FsOps;
  signal?: AbortSignal;
}

/** Thrown when a secret version is refused; the message never contains the secret's value. */
export class SecretRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretRefusedError";
  }
}

// ---------------------------------------------------------------------------------------------
// Trust bundle
// ---------------------------------------------------------------------------------------------

/** The acquisition's CA bundle (mtls, or `upstreamCa: "trustBundle"`): static, from the environment. */
export class TrustBundleItem implements EgressItem {
  readonly name = "trustBundle" as const;
  private written = false;

  constructor(private readonly opts: ItemContext & { trustBundlePem: string }) {}

  installed(): boolean {
    return this.written;
  }

  async sync(): Promise<boolean> {
    if (this.written) return false;
    const fs = this.opts.fs ?? nodeFsOps;
    await atomicWriteFile(this.opts.dir, IDENTITY_FILES.trustBundle, this.opts.trustBundlePem, PUBLIC_FILE_MODE, fs);
    await atomicWriteFile(this.opts.dir, IDENTITY_FILES.trustBundleSds, sdsFileContents().trustBundleSds, PUBLIC_FILE_MODE, fs);
    this.written = true;
    return true;
  }

  nextSync(): undefined {
    return undefined;
  }

  expiresAt(): undefined {
    return undefined;
  }

  describe(): EgressItemDescription {
    return { file: IDENTITY_FILES.trustBundle };
  }
}

// ---------------------------------------------------------------------------------------------
// Client certificate (mtls)
// ---------------------------------------------------------------------------------------------

/**
 * The client certificate chain + key the acquisition's PKI puts into a Secrets Manager secret, in
 * the secretsManager mode's JSON format ({"certificateChain", "privateKey"[, "certificate"]}).
 * Verified with verifyClientCertificate (no SAN requirement: the acquisition's PKI decides the
 * names), re-synced on every new AWSCURRENT version.
 */
export class ClientCertificateItem implements EgressItem {
  readonly name = "clientCertificate" as const;
  private current: Svid | undefined;
  private sdsWritten = false;

  constructor(private readonly opts: ItemContext & { secretId: string; pollSeconds: number; client: SecretsClientLike }) {}

  installed(): boolean {
    return this.current !== undefined;
  }

  async sync(): Promise<boolean> {
    const { secretId, client, signal, clock, dir } = this.opts;
    const fs = this.opts.fs ?? nodeFsOps;
    const versionId = await currentSecretVersion(client, secretId, signal);
    if (this.current?.origin === versionId) return false;
    let certificate: Svid;
    try {
      const value = await secretStringAt(client, secretId, versionId, signal);
      certificate = await verifyClientCertificate({ ...parseSvidSecret(value.secretString), now: clock(), origin: value.versionId });
    } catch (err) {
      if (err instanceof SvidRejectedError) throw new SecretRefusedError(`client certificate secret ${secretId} version ${versionId} refused: ${err.message}`);
      throw err;
    }
    // Key before chain (see installKeyAndChain); the SDS document only once both exist.
    await installKeyAndChain(dir, certificate, fs);
    if (!this.sdsWritten) {
      await atomicWriteFile(dir, IDENTITY_FILES.certificateSds, sdsFileContents().certificateSds, PUBLIC_FILE_MODE, fs);
      this.sdsWritten = true;
    }
    this.current = certificate;
    return true;
  }

  nextSync(now: Date): Date {
    return new Date(now.getTime() + this.opts.pollSeconds * 1000);
  }

  expiresAt(): Date | undefined {
    return this.current?.notAfter;
  }

  describe(): EgressItemDescription {
    const c = this.current;
    return {
      secretId: this.opts.secretId,
      ...(c && { origin: c.origin, serialNumber: c.serialNumber, notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString() }),
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Header credential
// ---------------------------------------------------------------------------------------------

/**
 * Why a header value cannot be sent verbatim, or undefined when it can. Never quotes the value.
 * Refused: empty; CR or LF (header injection, and Envoy refuses the injection with 401); any other
 * control character (not allowed in an HTTP field value); leading or trailing space/tab (HTTP
 * strips them, so the upstream would receive another value than the one stored).
 */
export function headerValueProblem(value: string): string | undefined {
  if (value.length === 0) return "is empty";
  if (/[\r\n]/.test(value)) return "contains a line break (CR or LF); store the value without a trailing newline";
  if (/[\x00-\x08\x0b-\x1f\x7f]/.test(value)) return "contains a control character, which an HTTP header value cannot carry";
  if (/^[ \t]|[ \t]$/.test(value)) return "starts or ends with a space or tab, which HTTP strips; store the exact value";
  return undefined;
}

/** The header SDS document (`headerCredentialSdsDocument()` of envoy/egress.ts) as Envoy reads it. */
export function headerSdsFileContents(): string {
  return stringify(headerCredentialSdsDocument());
}

/**
 * The static credential Envoy injects upstream (`credential_injector`, generic secret). The
 * secret's SecretString is the value, used verbatim: written as EGRESS_IDENTITY_FILES.headerCredential
 * with mode 0600 and no trailing newline, atomically, then (once) the header SDS document.
 */
export class HeaderCredentialItem implements EgressItem {
  readonly name = "headerCredential" as const;
  private versionId: string | undefined;
  private sdsWritten = false;

  constructor(private readonly opts: ItemContext & { secretId: string; pollSeconds: number; client: SecretsClientLike }) {}

  installed(): boolean {
    return this.versionId !== undefined;
  }

  async sync(): Promise<boolean> {
    const { secretId, client, signal, dir } = this.opts;
    const fs = this.opts.fs ?? nodeFsOps;
    const versionId = await currentSecretVersion(client, secretId, signal);
    if (this.versionId === versionId) return false;
    const value = await secretStringAt(client, secretId, versionId, signal);
    const problem = headerValueProblem(value.secretString);
    if (problem) throw new SecretRefusedError(`header credential secret ${secretId} version ${versionId} refused: the value ${problem}`);
    await atomicWriteFile(dir, EGRESS_IDENTITY_FILES.headerCredential, value.secretString, KEY_FILE_MODE, fs);
    if (!this.sdsWritten) {
      await atomicWriteFile(dir, EGRESS_IDENTITY_FILES.headerCredentialSds, headerSdsFileContents(), PUBLIC_FILE_MODE, fs);
      this.sdsWritten = true;
    }
    this.versionId = value.versionId;
    return true;
  }

  nextSync(now: Date): Date {
    return new Date(now.getTime() + this.opts.pollSeconds * 1000);
  }

  expiresAt(): undefined {
    return undefined;
  }

  describe(): EgressItemDescription {
    return { secretId: this.opts.secretId, origin: this.versionId };
  }
}
