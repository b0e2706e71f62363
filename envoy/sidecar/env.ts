/**
 * The identity sidecar's configuration: environment variable names (the contract with the ECS task
 * definition) and a typed, strict parser.
 *
 * This module has no runtime dependencies besides the identity file contract (envoy/identity-files.ts
 * and, for egress mode, envoy/egress.ts), so both the sidecar bundle and the Terraform generator
 * (task definition, IAM policies) can import it.
 */
import { EGRESS_AWS_CREDENTIALS_ENDPOINT } from "../egress";
import { IDENTITY_DIR } from "../identity-files";

/** Every environment variable the sidecar reads. The task definition sets exactly these. */
export const SIDECAR_ENV = {
  /**
   * `privateCa` (issue from AWS Private CA) or `secretsManager` (read an SVID the parent wrote): the
   * ingress Farcar's SPIFFE identity. `egress`: the acquisition-native identity of an egress Farcar
   * (client certificate, trust bundle, header credential and/or assumed-role credentials).
   */
  source: "FARCAR_IDENTITY_SOURCE",
  /** The SPIFFE ID the SVID must carry as its only URI SAN. */
  spiffeId: "FARCAR_SPIFFE_ID",
  /**
   * The mesh CA bundle (PEM content); in egress mode the acquisition's CA bundle, optional. Injected
   * by ECS from a Secrets Manager secret (`secrets`).
   */
  trustBundle: "FARCAR_TRUST_BUNDLE",
  /** Directory shared with Envoy (default IDENTITY_DIR). */
  identityDir: "FARCAR_IDENTITY_DIR",
  /** Give up when no certificate could be installed this many seconds after start (default 300). */
  startupTimeoutSeconds: "FARCAR_STARTUP_TIMEOUT_SECONDS",
  /**
   * privateCa: this Farcar's alias of the environment's SVID issuer (alias-qualified Lambda ARN,
   * issuer/identity.ts). The issuer, not the sidecar, decides the SPIFFE ID; the sidecar checks it.
   */
  issuerArn: "FARCAR_ISSUER_ARN",
  /** privateCa: requested lifetime in hours, 1..168 (default 24; the issuer may grant less). */
  certTtlHours: "FARCAR_CERT_TTL_HOURS",
  /** secretsManager: secret ARN (or name) holding the SVID. */
  secretId: "FARCAR_SECRET_ID",
  /** secretsManager and egress: how often to look for a new secret version, seconds (default 60). */
  secretPollSeconds: "FARCAR_SECRET_POLL_SECONDS",
  /** egress (mtls): secret ARN (or name) holding the client certificate chain + key from the acquisition's PKI. */
  clientCertSecretId: "FARCAR_CLIENT_CERT_SECRET_ID",
  /** egress (header): secret ARN (or name) whose SecretString is the upstream credential header value. */
  headerSecretId: "FARCAR_HEADER_SECRET_ID",
  /** egress (sigv4 with roleArn): the role to assume with the task role's credentials. */
  assumeRoleArn: "FARCAR_ASSUME_ROLE_ARN",
  /** egress (sigv4 with roleArn): RoleSessionName of the assumed session (egressRoleSessionName()). */
  roleSessionName: "FARCAR_ROLE_SESSION_NAME",
  /** AWS region for the API clients; defaults to the region in the CA / secret ARN. */
  region: "AWS_REGION",
} as const;

export type SidecarEnvName = (typeof SIDECAR_ENV)[keyof typeof SIDECAR_ENV];

/** AWS Private CA in SHORT_LIVED_CERTIFICATE mode issues certificates valid for at most 7 days. */
export const MAX_SHORT_LIVED_CERT_TTL_HOURS = 168;

export const IDENTITY_SOURCES = ["privateCa", "secretsManager", "egress"] as const;
export type IdentitySourceKind = (typeof IDENTITY_SOURCES)[number];

interface CommonConfig {
  spiffeId: string;
  /** PEM, normalised: one or more CERTIFICATE blocks, newline-terminated. */
  trustBundlePem: string;
  identityDir: string;
  region: string;
  startupTimeoutSeconds: number;
}

export interface PrivateCaConfig extends CommonConfig {
  source: "privateCa";
  /** Alias-qualified ARN of the issuer function. */
  issuerArn: string;
  certTtlHours: number;
}

export interface SecretsManagerConfig extends CommonConfig {
  source: "secretsManager";
  secretId: string;
  secretPollSeconds: number;
}

/** The ingress Farcar's sources: both install an X.509-SVID for FARCAR_SPIFFE_ID. */
export type IngressSidecarConfig = PrivateCaConfig | SecretsManagerConfig;

/** The loopback endpoint the assumed role's credentials are served on (EGRESS_AWS_CREDENTIALS_ENDPOINT). */
export interface CredentialsEndpoint {
  host: string;
  port: number;
  path: string;
}

/**
 * egress mode: any combination of the items below, each enabled by its variable (at least one).
 * What an egress Farcar needs per upstream auth kind: egressIdentityNeeds() in envoy/egress.ts.
 */
export interface EgressConfig {
  source: "egress";
  identityDir: string;
  region: string;
  startupTimeoutSeconds: number;
  /** How often to look for new versions of the secrets below (seconds). */
  secretPollSeconds: number;
  /** The acquisition's CA bundle (PEM, normalised), when FARCAR_TRUST_BUNDLE is set. */
  trustBundlePem?: string;
  /** mtls: the client certificate secret. */
  clientCertificateSecretId?: string;
  /** header: the credential secret. */
  headerSecretId?: string;
  /** sigv4 with roleArn. */
  assumeRole?: { roleArn: string; sessionName: string; endpoint: CredentialsEndpoint };
}

export type SidecarConfig = IngressSidecarConfig | EgressConfig;

/** Thrown with every problem found, one per line; main() prints it and exits 2. */
export class SidecarConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid identity sidecar configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "SidecarConfigError";
  }
}

const ISSUER_ALIAS_ARN = /^arn:(aws|aws-cn|aws-us-gov):lambda:([a-z0-9-]+):(\d{12}):function:[A-Za-z0-9_-]{1,64}:[A-Za-z0-9_-]{1,128}$/;
const SECRET_ARN = /^arn:(aws|aws-cn|aws-us-gov):secretsmanager:([a-z0-9-]+):(\d{12}):secret:[A-Za-z0-9/_+=.@-]+$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]{1,512}$/;
/** STS RoleSessionName: 2..64 of [\w+=,.@-]. */
const ROLE_SESSION_NAME = /^[A-Za-z0-9_+=,.@-]{2,64}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const PEM_CERT = /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----/g;

/**
 * Validates a SPIFFE ID per the SPIFFE-ID spec: `spiffe://<trust domain>/<path>`, lowercase trust
 * domain of [a-z0-9.-_], path segments of [A-Za-z0-9.-_], no empty/"."/".." segments, no query,
 * fragment, port or userinfo, and a non-empty path (a workload, not a trust domain).
 * Returns a problem description, or undefined when valid.
 */
export function spiffeIdProblem(id: string): string | undefined {
  if (!id.startsWith("spiffe://")) return "must start with spiffe://";
  if (Buffer.byteLength(id) > 2048) return "must be at most 2048 bytes";
  const rest = id.slice("spiffe://".length);
  const slash = rest.indexOf("/");
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  if (!/^[a-z0-9._-]+$/.test(trustDomain)) {
    return "trust domain must be non-empty and use only lowercase letters, digits, '.', '-', '_'";
  }
  if (slash === -1 || slash === rest.length - 1) return "must have a workload path (spiffe://<domain>/<path>) without a trailing '/'";
  for (const segment of rest.slice(slash + 1).split("/")) {
    if (segment === "" || segment === "." || segment === "..") return "path segments must not be empty, '.' or '..'";
    if (!/^[A-Za-z0-9._-]+$/.test(segment)) return `path segment '${segment}' may only use letters, digits, '.', '-', '_'`;
  }
  return undefined;
}

/** Extracts the CERTIFICATE blocks of a PEM bundle (other blocks are ignored). */
export function pemCertificates(pem: string): string[] {
  return (pem.match(PEM_CERT) ?? []).map((block) => block.replace(/\r\n/g, "\n"));
}

type Env = Record<string, string | undefined>;

/** Parses and validates the sidecar's environment. Throws SidecarConfigError listing every problem. */
export function parseSidecarEnv(env: Env): SidecarConfig {
  const problems: string[] = [];
  const get = (name: SidecarEnvName): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };
  const required = (name: SidecarEnvName, hint: string): string => {
    const value = get(name);
    if (value === undefined) problems.push(`${name} is required: ${hint}`);
    return value ?? "";
  };
  const integer = (name: SidecarEnvName, fallback: number, min: number, max: number, hint = ""): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name}=${raw} must be an integer between ${min} and ${max}${hint}`);
      return fallback;
    }
    return Number(raw);
  };
  const forbidden = (mode: IdentitySourceKind, names: SidecarEnvName[]): void => {
    for (const name of names) {
      if (get(name) !== undefined) problems.push(`${name} is not used when ${SIDECAR_ENV.source}=${mode}; remove it`);
    }
  };

  const source = get(SIDECAR_ENV.source);
  if (source === undefined || !(IDENTITY_SOURCES as readonly string[]).includes(source)) {
    problems.push(`${SIDECAR_ENV.source} must be one of ${IDENTITY_SOURCES.join(", ")}${source === undefined ? "" : ` (got '${source}')`}`);
  }
  const egress = source === "egress";

  // The SPIFFE ID and the mesh bundle are the ingress identity; an egress Farcar presents the
  // acquisition's own identity, and its trust bundle (the acquisition's CA) is optional.
  let spiffeId = "";
  if (egress) {
    forbidden("egress", [SIDECAR_ENV.spiffeId]);
  } else {
    spiffeId = required(SIDECAR_ENV.spiffeId, "the SPIFFE ID this Farcar presents, e.g. spiffe://block.example/acquisition/afterpay/staging/checkout");
    if (spiffeId) {
      const problem = spiffeIdProblem(spiffeId);
      if (problem) problems.push(`${SIDECAR_ENV.spiffeId}=${spiffeId} is not a valid SPIFFE ID: ${problem}`);
    }
  }

  const bundleRaw = env[SIDECAR_ENV.trustBundle] ?? "";
  const bundleCerts = pemCertificates(bundleRaw);
  if (bundleRaw.trim() === "") {
    if (!egress) problems.push(`${SIDECAR_ENV.trustBundle} is required: the mesh CA bundle PEM, injected by ECS from a Secrets Manager secret`);
  } else if (bundleCerts.length === 0) {
    problems.push(`${SIDECAR_ENV.trustBundle} contains no PEM CERTIFICATE block`);
  }
  const trustBundlePem = bundleCerts.length > 0 ? bundleCerts.join("\n") + "\n" : "";

  const identityDir = get(SIDECAR_ENV.identityDir) ?? IDENTITY_DIR;
  if (!identityDir.startsWith("/")) problems.push(`${SIDECAR_ENV.identityDir}=${identityDir} must be an absolute path`);
  const startupTimeoutSeconds = integer(SIDECAR_ENV.startupTimeoutSeconds, 300, 10, 86400);

  const arnRegions: string[] = [];
  /** A secret given by full ARN (its region recorded) or by name. */
  const secretId = (name: SidecarEnvName, value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    if (value.startsWith("arn:")) {
      const match = SECRET_ARN.exec(value);
      if (!match) problems.push(`${name}=${value} is not a Secrets Manager secret ARN`);
      else arnRegions.push(match[2]);
    } else if (!SECRET_NAME.test(value)) {
      problems.push(`${name}=${value} is neither a secret ARN nor a valid secret name`);
    }
    return value;
  };
  let config: SidecarConfig | undefined;
  const common = (): CommonConfig => ({
    spiffeId,
    trustBundlePem,
    identityDir,
    region: "",
    startupTimeoutSeconds,
  });
  const egressOnly = [SIDECAR_ENV.clientCertSecretId, SIDECAR_ENV.headerSecretId, SIDECAR_ENV.assumeRoleArn, SIDECAR_ENV.roleSessionName];

  if (source === "privateCa") {
    forbidden("privateCa", [SIDECAR_ENV.secretId, SIDECAR_ENV.secretPollSeconds, ...egressOnly]);
    const issuerArn = required(SIDECAR_ENV.issuerArn, "this Farcar's alias of the environment's SVID issuer (an alias-qualified Lambda function ARN)");
    const issuerMatch = issuerArn ? ISSUER_ALIAS_ARN.exec(issuerArn) : null;
    if (issuerArn && !issuerMatch) problems.push(`${SIDECAR_ENV.issuerArn}=${issuerArn} is not an alias-qualified Lambda function ARN (…:function:NAME:ALIAS)`);
    if (issuerMatch) arnRegions.push(issuerMatch[2]);
    const certTtlHours = integer(
      SIDECAR_ENV.certTtlHours,
      24,
      1,
      MAX_SHORT_LIVED_CERT_TTL_HOURS,
      " (short-lived-certificate CAs issue for at most 7 days)",
    );
    config = { ...common(), source: "privateCa", issuerArn, certTtlHours };
  } else if (source === "secretsManager") {
    forbidden("secretsManager", [SIDECAR_ENV.issuerArn, SIDECAR_ENV.certTtlHours, ...egressOnly]);
    const id = required(SIDECAR_ENV.secretId, "the ARN of the secret the parent's identity system writes this Farcar's SVID to");
    secretId(SIDECAR_ENV.secretId, id || undefined);
    const secretPollSeconds = integer(SIDECAR_ENV.secretPollSeconds, 60, 5, 3600);
    config = { ...common(), source: "secretsManager", secretId: id, secretPollSeconds };
  } else if (egress) {
    forbidden("egress", [SIDECAR_ENV.issuerArn, SIDECAR_ENV.certTtlHours, SIDECAR_ENV.secretId]);
    const clientCertificateSecretId = secretId(SIDECAR_ENV.clientCertSecretId, get(SIDECAR_ENV.clientCertSecretId));
    const headerSecretId = secretId(SIDECAR_ENV.headerSecretId, get(SIDECAR_ENV.headerSecretId));
    const roleArn = get(SIDECAR_ENV.assumeRoleArn);
    const sessionName = get(SIDECAR_ENV.roleSessionName);
    if (roleArn !== undefined && !ROLE_ARN.test(roleArn)) problems.push(`${SIDECAR_ENV.assumeRoleArn}=${roleArn} is not an IAM role ARN`);
    if (roleArn !== undefined && sessionName === undefined) {
      problems.push(`${SIDECAR_ENV.roleSessionName} is required with ${SIDECAR_ENV.assumeRoleArn}: the session name the acquisition sees in CloudTrail (egressRoleSessionName())`);
    }
    if (roleArn === undefined && sessionName !== undefined) {
      problems.push(`${SIDECAR_ENV.roleSessionName} is only used with ${SIDECAR_ENV.assumeRoleArn}; remove it`);
    }
    if (sessionName !== undefined && !ROLE_SESSION_NAME.test(sessionName)) {
      problems.push(`${SIDECAR_ENV.roleSessionName}=${sessionName} must be 2 to 64 characters of letters, digits and _+=,.@-`);
    }
    if (clientCertificateSecretId !== undefined && bundleRaw.trim() === "") {
      problems.push(
        `${SIDECAR_ENV.clientCertSecretId} needs ${SIDECAR_ENV.trustBundle}: an mtls upstream is verified against the acquisition's CA bundle (injected by ECS from a secret)`,
      );
    }
    if (bundleRaw.trim() === "" && clientCertificateSecretId === undefined && headerSecretId === undefined && roleArn === undefined) {
      problems.push(
        `${SIDECAR_ENV.source}=egress needs at least one of ${SIDECAR_ENV.trustBundle}, ${SIDECAR_ENV.clientCertSecretId}, ${SIDECAR_ENV.headerSecretId}, ${SIDECAR_ENV.assumeRoleArn}`,
      );
    }
    const usesSecrets = clientCertificateSecretId !== undefined || headerSecretId !== undefined;
    if (!usesSecrets) forbidden("egress", [SIDECAR_ENV.secretPollSeconds]);
    const secretPollSeconds = integer(SIDECAR_ENV.secretPollSeconds, 60, 5, 3600);
    config = {
      source: "egress",
      identityDir,
      region: "",
      startupTimeoutSeconds,
      secretPollSeconds,
      ...(trustBundlePem && { trustBundlePem }),
      ...(clientCertificateSecretId !== undefined && { clientCertificateSecretId }),
      ...(headerSecretId !== undefined && { headerSecretId }),
      ...(roleArn !== undefined && { assumeRole: { roleArn, sessionName: sessionName ?? "", endpoint: { ...EGRESS_AWS_CREDENTIALS_ENDPOINT } } }),
    };
  }

  const regionFromArn = arnRegions[0];
  if (arnRegions.some((r) => r !== regionFromArn)) {
    problems.push(`the secret ARNs are in different regions (${[...new Set(arnRegions)].join(", ")}); the sidecar reads them with one client, in one region`);
  }
  const region = get(SIDECAR_ENV.region) ?? regionFromArn;
  if (region === undefined) {
    problems.push(`${SIDECAR_ENV.region} is required (it can only be derived from a full issuer or secret ARN)`);
  } else if (!REGION.test(region)) {
    problems.push(`${SIDECAR_ENV.region}=${region} is not an AWS region name`);
  } else if (regionFromArn !== undefined && region !== regionFromArn) {
    problems.push(`${SIDECAR_ENV.region}=${region} differs from the region of the ARN (${regionFromArn}); the API must be called in the resource's region`);
  }

  if (problems.length > 0 || config === undefined) throw new SidecarConfigError(problems);
  return { ...config, region: region! };
}
