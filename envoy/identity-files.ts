/**
 * The file contract between the identity sidecar (which writes) and Envoy's file-based SDS (which
 * watches). One source of truth: the Envoy generator, the sidecar and the ECS task definition all
 * read these names from here.
 *
 * Envoy watches IDENTITY_DIR (`watched_directory`); the sidecar writes every file under a temp name
 * and renames it into place, so Envoy never reads a half-written key or chain.
 */
export const IDENTITY_DIR = "/etc/farcar/identity";

export const IDENTITY_FILES = {
  /** PEM: the Farcar's X.509-SVID leaf followed by its intermediates. */
  certificateChain: "svid.pem",
  /** PEM: the SVID's private key (mode 0600). */
  privateKey: "svid-key.pem",
  /** PEM: CA bundle Envoy uses to verify upstream peers (the parent mesh CA bundle). */
  trustBundle: "bundle.pem",
  /** SDS resource file for the client certificate (tls_certificate secret). */
  certificateSds: "svid-sds.yaml",
  /** SDS resource file for the validation context (trusted CA). */
  trustBundleSds: "bundle-sds.yaml",
} as const;

/** SDS secret names referenced by Envoy's TLS contexts. */
export const SDS_SECRET_NAMES = {
  certificate: "farcar_svid",
  trustBundle: "farcar_trust_bundle",
} as const;

export function identityPath(file: keyof typeof IDENTITY_FILES): string {
  return `${IDENTITY_DIR}/${IDENTITY_FILES[file]}`;
}
