/**
 * The file-based SDS documents Envoy watches. One source of truth for their content: the identity
 * sidecar writes them into IDENTITY_DIR at start (the directory is an empty task volume), and the
 * Envoy bootstrap points its `sds_config.path_config_source` at them.
 *
 * Each document is an xDS DiscoveryResponse holding one `Secret`. The secrets reference the PEM
 * files by filename and set `watched_directory`, so when the sidecar renames a new key/chain into
 * place Envoy reloads them without a restart (and checks the key/chain pair is consistent).
 */
import { IDENTITY_DIR, SDS_SECRET_NAMES, identityPath } from "./identity-files";

export const SECRET_TYPE_URL = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";

export interface SdsDocument {
  resources: Array<Record<string, unknown>>;
}

/** SDS document for the Farcar's client certificate (its X.509-SVID and key). */
export function certificateSdsDocument(): SdsDocument {
  return {
    resources: [
      {
        "@type": SECRET_TYPE_URL,
        name: SDS_SECRET_NAMES.certificate,
        tls_certificate: {
          certificate_chain: { filename: identityPath("certificateChain") },
          private_key: { filename: identityPath("privateKey") },
          watched_directory: { path: IDENTITY_DIR },
        },
      },
    ],
  };
}

/** SDS document for the validation context: the CA bundle that upstream peers must chain to. */
export function trustBundleSdsDocument(): SdsDocument {
  return {
    resources: [
      {
        "@type": SECRET_TYPE_URL,
        name: SDS_SECRET_NAMES.trustBundle,
        validation_context: {
          trusted_ca: { filename: identityPath("trustBundle") },
          watched_directory: { path: IDENTITY_DIR },
        },
      },
    ],
  };
}

/** The SDS config source Envoy uses for a secret stored in `file` (a key of IDENTITY_FILES). */
export function fileSdsConfig(file: "certificateSds" | "trustBundleSds"): Record<string, unknown> {
  return {
    path_config_source: {
      path: identityPath(file),
      watched_directory: { path: IDENTITY_DIR },
    },
    resource_api_version: "V3",
  };
}
