/**
 * secretsManager mode: the parent's identity system (e.g. its SPIRE server or internal CA) issues
 * this Farcar's X.509-SVID and writes it to a Secrets Manager secret; the sidecar installs it and
 * re-syncs whenever the secret's AWSCURRENT version changes.
 *
 * Secret format (SecretString, JSON):
 *   {
 *     "certificateChain": "<PEM: leaf, then intermediates>",
 *     "privateKey": "<PEM: PKCS#8, SEC1 or PKCS#1 private key>",
 *     "certificate": "<optional PEM leaf; when present, certificateChain holds only the intermediates>"
 *   }
 * Anything that is not an SVID for exactly FARCAR_SPIFFE_ID with a matching key is refused and the
 * previously installed SVID stays in place.
 */
import { DescribeSecretCommand, GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import type { SecretsManagerConfig } from "./env";
import type { IdentitySource } from "./source";
import { Svid, SvidRejectedError, verifySvid } from "./svid";

/** The slice of SecretsManagerClient the sidecar uses. */
export interface SecretsClientLike {
  send(command: DescribeSecretCommand | GetSecretValueCommand, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/** The JSON document stored in the secret. */
export interface SvidSecret {
  certificateChain: string;
  privateKey: string;
  certificate?: string;
}

export function parseSvidSecret(secretString: string): { chainPem: string; privateKeyPem: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(secretString);
  } catch {
    throw new SvidRejectedError("secret is not JSON; expected {\"certificateChain\": PEM, \"privateKey\": PEM}");
  }
  const s = doc as Partial<Record<keyof SvidSecret, unknown>>;
  if (typeof doc !== "object" || doc === null || typeof s.certificateChain !== "string" || typeof s.privateKey !== "string") {
    throw new SvidRejectedError("secret must be a JSON object with string fields certificateChain and privateKey");
  }
  if (s.certificate !== undefined && typeof s.certificate !== "string") {
    throw new SvidRejectedError("secret field certificate must be a PEM string when present");
  }
  const chainPem = s.certificate ? `${s.certificate.trim()}\n${s.certificateChain.trim()}\n` : s.certificateChain;
  return { chainPem, privateKeyPem: s.privateKey };
}

/**
 * The version id that carries AWSCURRENT, from DescribeSecret (metadata only: no secret value is
 * read just to learn that nothing changed).
 */
export async function currentSecretVersion(client: SecretsClientLike, secretId: string, signal?: AbortSignal): Promise<string> {
  const described = (await client.send(new DescribeSecretCommand({ SecretId: secretId }), { abortSignal: signal })) as {
    VersionIdsToStages?: Record<string, string[]>;
  };
  const versionId = Object.entries(described.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes("AWSCURRENT"))?.[0];
  if (!versionId) throw new Error(`secret ${secretId} has no AWSCURRENT version yet`);
  return versionId;
}

/**
 * The SecretString of exactly `versionId` (GetSecretValue pinned to the version DescribeSecret
 * named, so metadata and value cannot disagree). Binary secrets are refused.
 */
export async function secretStringAt(
  client: SecretsClientLike,
  secretId: string,
  versionId: string,
  signal?: AbortSignal,
): Promise<{ secretString: string; versionId: string }> {
  const value = (await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId }), {
    abortSignal: signal,
  })) as { SecretString?: string; VersionId?: string };
  if (value.SecretString === undefined) throw new SvidRejectedError(`secret ${secretId} has no SecretString (binary secrets are not supported)`);
  return { secretString: value.SecretString, versionId: value.VersionId ?? versionId };
}

export interface SecretsManagerSourceOptions {
  config: SecretsManagerConfig;
  client: SecretsClientLike;
  clock: () => Date;
  signal?: AbortSignal;
}

export class SecretsManagerSource implements IdentitySource {
  readonly kind = "secretsManager" as const;

  constructor(private readonly opts: SecretsManagerSourceOptions) {}

  /**
   * DescribeSecret (metadata only) tells whether AWSCURRENT moved; only then is the value read
   * with GetSecretValue, pinned to that VersionId so metadata and value cannot disagree.
   */
  async fetch(current: Svid | undefined): Promise<Svid | undefined> {
    const { config, client, clock, signal } = this.opts;
    const versionId = await currentSecretVersion(client, config.secretId, signal);
    if (current?.origin === versionId) return undefined;
    const value = await secretStringAt(client, config.secretId, versionId, signal);
    const parsed = parseSvidSecret(value.secretString);
    try {
      return await verifySvid({ ...parsed, spiffeId: config.spiffeId, now: clock(), origin: value.versionId });
    } catch (err) {
      throw err instanceof SvidRejectedError
        ? new SvidRejectedError(`secret ${config.secretId} version ${versionId} refused: ${err.message}`)
        : err;
    }
  }

  nextCheck(_current: Svid, now: Date): Date {
    return new Date(now.getTime() + this.opts.config.secretPollSeconds * 1000);
  }
}
