/**
 * How the ECS task definition runs the identity sidecar: user, health check, environment and
 * secrets. Plain data (no cdktf imports) so the task-definition construct can spread it into a
 * container definition.
 *
 *   Envoy container:    dependsOn [{ containerName: SIDECAR_CONTAINER_NAME, condition: "HEALTHY" }]
 *   both containers:    mountPoints [{ sourceVolume: <task bind-mount volume>, containerPath: IDENTITY_DIR }]
 */
import { IDENTITY_DIR } from "../identity-files";
import { SIDECAR_ENV } from "./env";

export const SIDECAR_CONTAINER_NAME = "farcar-identity";

/** Path of the bundled program inside the image (see envoy/sidecar/Dockerfile). */
export const SIDECAR_ENTRYPOINT = "/app/sidecar.js";

/**
 * uid:gid the sidecar runs as. It equals the `envoy` user (101:101) of the official Envoy images,
 * so Envoy can read the 0600 private key the sidecar writes; the image creates that user and
 * pre-creates IDENTITY_DIR owned by it (ECS copies the owner of a `VOLUME` path into the bind
 * mount). If Envoy runs as another uid, rebuild the image with --build-arg FARCAR_UID=<that uid>.
 */
export const SIDECAR_USER = "101:101";

/** The container healthCheck command: exits 0 only with a valid, unexpired SVID in place. */
export function sidecarHealthCheckCommand(): string[] {
  return ["CMD", "node", SIDECAR_ENTRYPOINT, "health"];
}

/** ECS container healthCheck (seconds). Issuance takes seconds; startPeriod leaves room for retries. */
export function sidecarHealthCheck(): { command: string[]; interval: number; timeout: number; retries: number; startPeriod: number } {
  return { command: sidecarHealthCheckCommand(), interval: 10, timeout: 5, retries: 3, startPeriod: 60 };
}

interface CommonInput {
  spiffeId: string;
  /**
   * Secrets Manager secret (plain PEM string) holding the mesh CA bundle. ECS injects it as
   * FARCAR_TRUST_BUNDLE; the task EXECUTION role needs secretsmanager:GetSecretValue on it
   * (farcarTrustBundleReadPolicy in modules/identity/policies.ts).
   */
  trustBundleSecretArn: string;
  region: string;
  startupTimeoutSeconds?: number;
}

export type SidecarContainerInput = CommonInput &
  (
    | { source: "privateCa"; /** This Farcar's alias of the environment issuer. */ issuerArn: string; certTtlHours?: number }
    | { source: "secretsManager"; secretArn: string; secretPollSeconds?: number }
  );

export interface SidecarContainerEnvironment {
  environment: Array<{ name: string; value: string }>;
  secrets: Array<{ name: string; valueFrom: string }>;
}

/** `environment` and `secrets` of the sidecar's container definition (values may be Terraform tokens). */
export function sidecarContainerEnvironment(input: SidecarContainerInput): SidecarContainerEnvironment {
  const env: Array<[string, string | number | undefined]> = [
    [SIDECAR_ENV.source, input.source],
    [SIDECAR_ENV.spiffeId, input.spiffeId],
    [SIDECAR_ENV.identityDir, IDENTITY_DIR],
    [SIDECAR_ENV.region, input.region],
    [SIDECAR_ENV.startupTimeoutSeconds, input.startupTimeoutSeconds],
  ];
  if (input.source === "privateCa") {
    env.push([SIDECAR_ENV.issuerArn, input.issuerArn], [SIDECAR_ENV.certTtlHours, input.certTtlHours ?? 24]);
  } else {
    env.push([SIDECAR_ENV.secretId, input.secretArn], [SIDECAR_ENV.secretPollSeconds, input.secretPollSeconds]);
  }
  return {
    environment: env.filter(([, v]) => v !== undefined).map(([name, value]) => ({ name, value: String(value) })),
    secrets: [{ name: SIDECAR_ENV.trustBundle, valueFrom: input.trustBundleSecretArn }],
  };
}

/**
 * The egress Farcar's identity sidecar (FARCAR_IDENTITY_SOURCE=egress): what envoy/egress.ts
 * `egressIdentityNeeds()` asks for, each item enabled by its field. Values may be Terraform tokens.
 */
export interface EgressSidecarInput {
  region: string;
  /**
   * Secret (plain PEM string) with the acquisition's CA bundle: mtls, or sigv4/header with
   * `upstreamCa: "trustBundle"`. ECS injects it as FARCAR_TRUST_BUNDLE; the task EXECUTION role
   * needs GetSecretValue on it (farcarTrustBundleReadPolicy).
   */
  trustBundleSecretArn?: string;
  /** mtls: secret with the client certificate chain + key ({"certificateChain","privateKey"}). */
  clientCertificateSecretArn?: string;
  /** header: secret whose SecretString is the credential header's value. */
  headerSecretArn?: string;
  /** sigv4 with roleArn: the role the sidecar assumes and serves to Envoy. */
  assumeRoleArn?: string;
  /** With assumeRoleArn (and only then): egressRoleSessionName() of envoy/egress.ts. */
  roleSessionName?: string;
}

/**
 * `environment` and `secrets` of an egress Farcar's sidecar container. The TASK role needs
 * farcarEgressTaskPolicy() (modules/identity/policies.ts) when a client certificate, header secret
 * or role is given. Throws when nothing is enabled (then the task needs no sidecar at all) or when
 * roleSessionName does not go with assumeRoleArn.
 */
export function egressSidecarContainerEnvironment(input: EgressSidecarInput): SidecarContainerEnvironment {
  const given = (v: string | undefined): v is string => v !== undefined && v !== "";
  if (![input.trustBundleSecretArn, input.clientCertificateSecretArn, input.headerSecretArn, input.assumeRoleArn].some(given)) {
    throw new Error("egressSidecarContainerEnvironment: nothing to provide (no trust bundle, client certificate, header secret or role); run no sidecar");
  }
  if (given(input.assumeRoleArn) !== given(input.roleSessionName)) {
    throw new Error("egressSidecarContainerEnvironment: give roleSessionName (egressRoleSessionName()) exactly when assumeRoleArn is given");
  }
  if (given(input.clientCertificateSecretArn) && !given(input.trustBundleSecretArn)) {
    throw new Error("egressSidecarContainerEnvironment: a client certificate (mtls) needs the acquisition's CA bundle (trustBundleSecretArn)");
  }
  const env: Array<[string, string | undefined]> = [
    [SIDECAR_ENV.source, "egress"],
    [SIDECAR_ENV.identityDir, IDENTITY_DIR],
    [SIDECAR_ENV.region, input.region],
    [SIDECAR_ENV.clientCertSecretId, input.clientCertificateSecretArn],
    [SIDECAR_ENV.headerSecretId, input.headerSecretArn],
    [SIDECAR_ENV.assumeRoleArn, input.assumeRoleArn],
    [SIDECAR_ENV.roleSessionName, input.roleSessionName],
  ];
  return {
    environment: env.filter((e): e is [string, string] => given(e[1])).map(([name, value]) => ({ name, value })),
    secrets: given(input.trustBundleSecretArn) ? [{ name: SIDECAR_ENV.trustBundle, valueFrom: input.trustBundleSecretArn }] : [],
  };
}
