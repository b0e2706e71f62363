/**
 * The egress Farcar: the Envoy bootstrap for one OUTBOUND service (a parent-company service calling
 * into an acquisition service — "the other way" of the DESIGN's diagram).
 *
 *   parent service (parent IAM role, SigV4)
 *     ▼ private API in the egress proxy account (acquisition's org) → VPC link → NLB
 *   egress Farcar (this Envoy)
 *     ▼ ONE upstream: the acquisition service's URL, called with the acquisition's NATIVE identity
 *   acquisition service
 *
 * Everything the ingress Farcar (envoy/bootstrap.ts) does on the NLB side is the same here, built by
 * the same functions of envoy/bootstrap.ts (FarcarTuning, resolveFarcarPorts/Limits,
 * assembleFarcarBootstrap, farcarTrafficListener, farcarRouteAction, farcarCluster,
 * farcarUpstreamTlsSocket, farcarAccessLog): one traffic listener on 0.0.0.0 that treats every NLB
 * peer as external, a separate health listener (farcarHealthListener) that fails as soon as Envoy
 * drains, admin on 127.0.0.1, a 10 MiB body limit, a route timeout below API Gateway's 29 s, retries
 * only for requests that never reached the upstream, circuit breakers, a JSON access log on stdout
 * and the overload manager's connection cap.
 * What differs is the upstream side: a single route to a single cluster, and one of three ways to
 * prove who is calling (EgressUpstreamAuth, structurally equal to `UpstreamAuth` in config/fleet.ts):
 *
 * sigv4  — `envoy.filters.http.aws_request_signing` re-signs every request for the acquisition's
 *          AWS API (service_name, region, host_rewrite = upstream authority, signed payload). It
 *          runs as an UPSTREAM HTTP filter of the cluster, i.e. after the router has removed the
 *          caller's credential headers and applied prefix_rewrite/host_rewrite, so the signature
 *          covers the request exactly as it leaves (a downstream filter would sign the path
 *          *before* prefix_rewrite and the signature would not match), and every retry is signed
 *          afresh. Credentials come from Envoy's default AWS credential chain — never from the
 *          bootstrap. On ECS that chain ends at the container credentials provider:
 *            - without `roleArn`: ECS sets AWS_CONTAINER_CREDENTIALS_RELATIVE_URI → the TASK ROLE
 *              signs. The acquisition must allow the task role (its API's resource policy).
 *            - with `roleArn`: see "sigv4 with roleArn" below.
 * mtls   — the cluster originates TLS with a client certificate issued by the acquisition's PKI,
 *          from the same file-based SDS secrets as the ingress Farcar (svid.pem/svid-key.pem via
 *          IDENTITY_FILES.certificateSds; the identity sidecar installs them, e.g. from a Secrets
 *          Manager secret), trusts only the acquisition's CA bundle (IDENTITY_FILES.trustBundleSds,
 *          written by the sidecar from `caBundlePem`), checks the server's SAN (serverSan, or the
 *          upstream host as a DNS SAN) and sends the upstream host as SNI.
 * header — `envoy.filters.http.credential_injector` with the `generic` credential adds a static
 *          credential header whose value Envoy reads from an SDS `generic_secret` backed by a file
 *          the identity sidecar writes (EGRESS_IDENTITY_FILES.headerCredential; Envoy cannot read
 *          Secrets Manager itself). The file is watched, so a rotated value is picked up without a
 *          restart. Also an upstream filter, for the same reason as sigv4: the route's removal of
 *          the caller's copy of that header must happen before, not after, the injection. The value
 *          is never logged (the access log reads no credential header) and never in the bootstrap.
 *
 * For all three kinds the caller's own credentials are removed before forwarding
 * (CALLER_CREDENTIAL_HEADERS): the request arrives from API Gateway still carrying the parent
 * caller's SigV4 `Authorization` and `X-Amz-Security-Token` for the private API — those must never
 * reach the acquisition, whatever the kind.
 *
 * sigv4 with roleArn — DECISION. Envoy ≥ 1.35 can assume a role itself
 * (`AwsRequestSigning.credential_provider.assume_role_credential_provider`), but the API snapshot
 * we validate against (@grpc/grpc-js-xds 1.14.1, envoy/validate.ts) predates `credential_provider`
 * entirely: a bootstrap using it fails strict validation (unknown-field), so the generator does not
 * emit it. Envoy's default chain cannot assume a plain role from environment variables either, and
 * a credentials file written by a sidecar would be wrong: Envoy re-reads that file only once an
 * hour, while chained role sessions last at most one hour, so Envoy would sign with expired keys for
 * part of every hour. What the generator does instead:
 *   - the bootstrap is identical to the task-role case (strictly valid);
 *   - the launch contract (egressContainerLaunch) sets AWS_CONTAINER_CREDENTIALS_FULL_URI to a
 *     loopback endpoint (EGRESS_AWS_CREDENTIALS_ENDPOINT) where the identity sidecar must serve the
 *     credentials of `roleArn` in the ECS container-credentials format (AccessKeyId,
 *     SecretAccessKey, Token, Expiration) — assumed with the task role's own credentials and
 *     refreshed before they expire; Envoy's container provider re-fetches by `Expiration`;
 *   - the Envoy entrypoint must `unset AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` when
 *     AWS_CONTAINER_CREDENTIALS_FULL_URI is set: ECS sets the relative URI in every container of a
 *     task with a task role, and Envoy prefers it over the full URI. Until the entrypoint does
 *     that, Envoy signs as the task role and the acquisition refuses the call (fails closed);
 *   - egressIdentityNeeds() tells the stack: the TASK ROLE needs sts:AssumeRole on roleArn (and
 *     roleArn's trust policy must trust the task role), the sidecar needs the role ARN and
 *     egressRoleSessionName(), and the proxy VPC needs an STS endpoint.
 * Once the validator knows Envoy ≥ 1.35's protos, switching to Envoy's own assume-role provider
 * removes the sidecar endpoint and the entrypoint step.
 *
 * Upstream TLS trust for sigv4/header over https: the image's system CA bundle
 * (SYSTEM_CA_BUNDLE_FILE) by default, or — `upstreamCa: "trustBundle"` — the SDS trust bundle
 * file, for upstreams whose certificate comes from the acquisition's private CA. Either way the
 * upstream host must appear in the certificate's SANs (Envoy does no hostname check otherwise).
 */
import { createHash } from "crypto";
import { isIP } from "net";
import {
  CALLER_CREDENTIAL_HEADERS,
  TARGET_HEADER,
  UNTRUSTED_REQUEST_HEADERS,
  assembleFarcarBootstrap,
  farcarAccessLog,
  farcarCluster,
  farcarRouteAction,
  farcarTrafficListener,
  farcarUpstreamTlsSocket,
  resolveFarcarLimits,
  resolveFarcarPorts,
  type EnvoyBootstrap,
  type FarcarTuning,
  type ProtoJson,
  type ResolvedFarcarTuning,
} from "./bootstrap";
import { IDENTITY_DIR } from "./identity-files";
import { farcarContainerLaunch, type EnvoyContainerLaunch } from "./render";
import { SECRET_TYPE_URL, type SdsDocument } from "./sds";

// ---------------------------------------------------------------------------------------------
// Contract constants
// ---------------------------------------------------------------------------------------------

/**
 * Files the identity sidecar writes into IDENTITY_DIR for an egress Farcar, beyond the ingress
 * IDENTITY_FILES (which mtls reuses unchanged: svid.pem, svid-key.pem, bundle.pem and their SDS
 * documents). Defined here, not in identity-files.ts, because only the `header` kind needs them.
 */
export const EGRESS_IDENTITY_FILES = {
  /**
   * The raw credential header value, exactly the bytes to send (no trailing newline: a newline in
   * a header value makes Envoy refuse the injection and answer 401). Mode 0600, owner 101:101,
   * written under a temp name and renamed into place like the SVID.
   */
  headerCredential: "upstream-header-credential",
  /** SDS resource file for the header credential (a `generic_secret` pointing at the file above). */
  headerCredentialSds: "upstream-header-sds.yaml",
} as const;

/** SDS secret names of the egress-only secrets. */
export const EGRESS_SDS_SECRET_NAMES = {
  headerCredential: "farcar_upstream_header",
} as const;

export function egressIdentityPath(file: keyof typeof EGRESS_IDENTITY_FILES): string {
  return `${IDENTITY_DIR}/${EGRESS_IDENTITY_FILES[file]}`;
}

/**
 * The CA bundle of the official Envoy image (Ubuntu's ca-certificates): the default trust for
 * sigv4/header upstreams over https.
 */
export const SYSTEM_CA_BUNDLE_FILE = "/etc/ssl/certs/ca-certificates.crt";

/** Re-exported: the list lives with the shared listener (envoy/bootstrap.ts), which both directions strip. */
export { CALLER_CREDENTIAL_HEADERS } from "./bootstrap";

/**
 * Loopback endpoint where the identity sidecar serves the credentials of `sigv4.roleArn` in the ECS
 * container-credentials format, for Envoy's container credentials provider
 * (AWS_CONTAINER_CREDENTIALS_FULL_URI). Only used when roleArn is set; never in a port mapping.
 */
export const EGRESS_AWS_CREDENTIALS_ENDPOINT = {
  host: "127.0.0.1",
  port: 9911,
  path: "/farcar/v1/aws-credentials",
} as const;

/** The environment variable Envoy's default AWS credential chain reads the full URI from. */
export const AWS_CONTAINER_CREDENTIALS_FULL_URI_ENV = "AWS_CONTAINER_CREDENTIALS_FULL_URI";

/** The value of AWS_CONTAINER_CREDENTIALS_FULL_URI_ENV for an egress Farcar with sigv4.roleArn. */
export function egressAwsCredentialsUri(): string {
  const { host, port, path } = EGRESS_AWS_CREDENTIALS_ENDPOINT;
  return `http://${host}:${port}${path}`;
}

/** The Envoy cluster that carries traffic to the upstream of outbound service `service`. */
export function egressClusterName(service: string): string {
  return `upstream_${service}`;
}

/** Names of the filters the egress bootstrap uses, for tests and the stacks. */
export const EGRESS_FILTER_NAMES = {
  awsRequestSigning: "envoy.filters.http.aws_request_signing",
  credentialInjector: "envoy.filters.http.credential_injector",
  upstreamCodec: "envoy.filters.http.upstream_codec",
} as const;

// ---------------------------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------------------------

/**
 * The acquisition's native identity towards the upstream. Structurally equal to `UpstreamAuth` of
 * config/fleet.ts (a resolved fleet's `upstream.auth` can be passed as is); restated here so
 * envoy/ does not depend on config/.
 */
export type EgressUpstreamAuth =
  | {
      readonly kind: "sigv4";
      /** SigV4 service name of the upstream, e.g. `execute-api`. */
      readonly service: string;
      /** Region the upstream verifies signatures for, e.g. `ap-southeast-2`. */
      readonly region: string;
      /** Role in the acquisition's account to sign as. @default - the ECS task role */
      readonly roleArn?: string;
    }
  | {
      readonly kind: "mtls";
      /**
       * The acquisition's CA bundle (PEM). Not embedded in the bootstrap: the identity sidecar
       * installs it as the SDS trust bundle (IDENTITY_FILES.trustBundle).
       */
      readonly caBundlePem?: string;
      /**
       * SAN the upstream must present: a URI SAN when it contains "://" (e.g. a SPIFFE ID),
       * an IP SAN for an IP address, else a DNS SAN. @default - the upstream host as a DNS SAN
       */
      readonly serverSan?: string;
    }
  | {
      readonly kind: "header";
      /** Header carrying the credential, e.g. `x-api-key` (any case; sent lowercase). */
      readonly name: string;
    };

/** The upstream CA trust for https upstreams of the sigv4 and header kinds. */
export type EgressUpstreamCa = "system" | "trustBundle";

/** Everything the generator needs for one outbound service's egress Farcar. */
export interface FarcarEgressInput extends FarcarTuning {
  /** Acquisition name (DNS label), e.g. `afterpay`. */
  readonly acquisition: string;
  /** Environment name (DNS label), e.g. `production`. */
  readonly environment: string;
  /** Outbound service name (DNS label), e.g. `risk-scores`. */
  readonly service: string;
  readonly upstream: {
    /**
     * Base URL of the acquisition service: `http(s)://host[:port][/base/path]`, no credentials,
     * query or fragment. Request paths are appended to the base path.
     */
    readonly url: string;
    readonly auth: EgressUpstreamAuth;
  };
  /**
   * CAs that may sign an https upstream's certificate, for the sigv4 and header kinds: the image's
   * system bundle, or the SDS trust bundle file (the acquisition's private CA, installed by the
   * identity sidecar). mtls always uses the trust bundle.
   * @default "system" ("trustBundle" for mtls)
   */
  readonly upstreamCa?: EgressUpstreamCa;
}

/** Thrown when FarcarEgressInput is invalid: names the field, the value received and the fix. */
export class FarcarEgressInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FarcarEgressInputError";
  }
}

// ---------------------------------------------------------------------------------------------
// What the stack must provide per kind
// ---------------------------------------------------------------------------------------------

/** What the task (identity sidecar, IAM, network) must provide for an egress Farcar. */
export interface EgressIdentityNeeds {
  /** mtls: the sidecar installs a client certificate + key (IDENTITY_FILES.certificateChain/privateKey and certificateSds). */
  readonly clientCertificate: boolean;
  /**
   * The sidecar installs a CA bundle as IDENTITY_FILES.trustBundle (+ trustBundleSds): the
   * acquisition's `caBundlePem` for mtls, or the acquisition's private CA for `upstreamCa: "trustBundle"`.
   */
  readonly trustBundle: boolean;
  /** header: the sidecar writes the credential value to EGRESS_IDENTITY_FILES.headerCredential (+ its SDS document). */
  readonly headerSecret: boolean;
  /** header: the (lowercase) header name the value is sent in. */
  readonly headerName?: string;
  /**
   * sigv4: whose credentials sign. `taskRole`: the ECS task role (the acquisition must authorize
   * it). `assumedRole`: sigv4AssumeRoleArn, served by the sidecar on awsCredentialsEndpoint.
   */
  readonly sigv4Signer?: "taskRole" | "assumedRole";
  /**
   * sigv4 with roleArn: the TASK ROLE needs `sts:AssumeRole` on this ARN (and its trust policy
   * must trust the task role); the proxy VPC needs an STS endpoint; the identity sidecar assumes it
   * and serves the credentials on awsCredentialsEndpoint.
   */
  readonly sigv4AssumeRoleArn?: string;
  /** sigv4 with roleArn: the loopback URI the sidecar must serve the assumed role's credentials on. */
  readonly awsCredentialsEndpoint?: string;
}

/** What the stack must provide for `auth` (and, for sigv4/header, the chosen upstream CA trust). */
export function egressIdentityNeeds(
  auth: EgressUpstreamAuth,
  options: { readonly upstreamCa?: EgressUpstreamCa } = {},
): EgressIdentityNeeds {
  const kind = checkAuthKind(auth, (message) => {
    throw new FarcarEgressInputError(message);
  });
  switch (kind) {
    case "sigv4": {
      const sigv4 = auth as Extract<EgressUpstreamAuth, { kind: "sigv4" }>;
      return {
        clientCertificate: false,
        trustBundle: options.upstreamCa === "trustBundle",
        headerSecret: false,
        sigv4Signer: sigv4.roleArn ? "assumedRole" : "taskRole",
        ...(sigv4.roleArn ? { sigv4AssumeRoleArn: sigv4.roleArn, awsCredentialsEndpoint: egressAwsCredentialsUri() } : {}),
      };
    }
    case "mtls":
      return { clientCertificate: true, trustBundle: true, headerSecret: false };
    case "header":
      return {
        clientCertificate: false,
        trustBundle: options.upstreamCa === "trustBundle",
        headerSecret: true,
        headerName: (auth as Extract<EgressUpstreamAuth, { kind: "header" }>).name.toLowerCase(),
      };
  }
}

/**
 * RoleSessionName the identity sidecar uses when it assumes sigv4.roleArn: visible in the
 * acquisition's CloudTrail, so it names the Farcar. At most 64 characters (a hash replaces the tail
 * of longer names, so names never collide by truncation).
 */
export function egressRoleSessionName(input: Pick<FarcarEgressInput, "acquisition" | "environment" | "service">): string {
  const name = `farcar-${input.acquisition}-${input.environment}-${input.service}`;
  if (name.length <= 64) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${name.slice(0, 55)}-${hash}`;
}

// ---------------------------------------------------------------------------------------------
// SDS for the header credential
// ---------------------------------------------------------------------------------------------

/**
 * SDS document for the header credential: a `generic_secret` whose value Envoy reads from
 * EGRESS_IDENTITY_FILES.headerCredential. Envoy watches the referenced file (and this document,
 * through `watched_directory`), so the sidecar rotates the value by renaming a new file into place.
 */
export function headerCredentialSdsDocument(): SdsDocument {
  return {
    resources: [
      {
        "@type": SECRET_TYPE_URL,
        name: EGRESS_SDS_SECRET_NAMES.headerCredential,
        generic_secret: { secret: { filename: egressIdentityPath("headerCredential") } },
      },
    ],
  };
}

/** The SDS config source Envoy uses for the header credential secret. */
export function headerCredentialSdsConfig(): Record<string, unknown> {
  return {
    path_config_source: {
      path: egressIdentityPath("headerCredentialSds"),
      watched_directory: { path: IDENTITY_DIR },
    },
    resource_api_version: "V3",
  };
}

// ---------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------

const TYPE = "type.googleapis.com/";

/** Builds the Envoy bootstrap of the egress Farcar for one outbound service. Throws FarcarEgressInputError. */
export function farcarEgressBootstrap(input: FarcarEgressInput): EnvoyBootstrap {
  const s = resolveEgress(input);
  return assembleFarcarBootstrap(s, {
    nodeId: `farcar-egress-${input.acquisition}-${input.environment}-${input.service}`,
    metadata: {
      direction: "egress",
      acquisition: input.acquisition,
      environment: input.environment,
      service: input.service,
      upstream_url: s.upstream.url,
      upstream_auth: s.auth.kind,
    },
    trafficListener: trafficListener(input, s),
    clusters: [upstreamCluster(input, s)],
  });
}

/** The launch contract of the egress Farcar container: envoyContainerLaunch's (envoy/render.ts), plus the credentials URI for sigv4.roleArn. */
export function egressContainerLaunch(input: FarcarEgressInput): EnvoyContainerLaunch {
  const bootstrap = farcarEgressBootstrap(input);
  const needs = egressIdentityNeeds(input.upstream.auth, input);
  // Envoy's container credentials provider reads the assumed role's keys here (see the module
  // comment: the entrypoint must unset AWS_CONTAINER_CREDENTIALS_RELATIVE_URI for it to win).
  const credentials = needs.awsCredentialsEndpoint
    ? [{ name: AWS_CONTAINER_CREDENTIALS_FULL_URI_ENV, value: needs.awsCredentialsEndpoint }]
    : [];
  return farcarContainerLaunch(bootstrap, input, `Egress Farcar ${input.acquisition}/${input.environment}/${input.service}`, credentials);
}

/** Input with defaults applied and checked. */
interface EgressSettings extends ResolvedFarcarTuning {
  readonly upstream: ResolvedUpstream;
  readonly auth: ResolvedAuth;
  readonly upstreamCa: EgressUpstreamCa;
}

interface ResolvedUpstream {
  /** The URL as normalized by WHATWG URL (lowercase host, default port dropped). */
  readonly url: string;
  readonly tls: boolean;
  /** Host without IPv6 brackets: DNS name or IP literal. */
  readonly host: string;
  readonly hostIsIp: boolean;
  readonly port: number;
  /** Host header value: host, plus `:port` when the port is not the scheme's default. */
  readonly authority: string;
  /** `/base/path/` for prefix_rewrite, or undefined when the URL has no path. */
  readonly pathPrefix?: string;
}

type ResolvedAuth =
  | { readonly kind: "sigv4"; readonly service: string; readonly region: string; readonly roleArn?: string }
  | { readonly kind: "mtls"; readonly san: { readonly type: "URI" | "DNS" | "IP_ADDRESS"; readonly value: string } }
  | { readonly kind: "header"; readonly name: string };

/** The traffic listener: NLB → one route → the upstream cluster. */
function trafficListener(input: FarcarEgressInput, s: EgressSettings): ProtoJson {
  const route: ProtoJson = {
    name: input.service,
    match: { prefix: "/" },
    route: farcarRouteAction(s, {
      cluster: egressClusterName(input.service),
      authority: s.upstream.authority,
      // "/foo" → "/base/path/foo" when the upstream URL has a base path.
      prefixRewrite: s.upstream.pathPrefix,
    }),
  };
  return farcarTrafficListener(s, {
    routeConfigName: "farcar_upstream",
    virtualHostName: "upstream",
    routes: [route],
    accessLog: farcarAccessLog(
      {
        direction: "egress",
        acquisition: input.acquisition,
        environment: input.environment,
        service: input.service,
        upstream_auth: s.auth.kind,
        route: "%ROUTE_NAME%",
      },
      { upstreamPeerSubject: true, amznTraceId: true },
    ),
  });
}

/** The one upstream cluster: DNS-resolved, TLS for https, the kind's upstream HTTP filters. */
function upstreamCluster(input: FarcarEgressInput, s: EgressSettings): ProtoJson {
  return farcarCluster(s, {
    name: egressClusterName(input.service),
    host: s.upstream.host,
    port: s.upstream.port,
    upstreamHttpFilters: upstreamHttpFilters(s),
    transportSocket: s.upstream.tls ? upstreamTransportSocket(s) : undefined,
  });
}

/**
 * The cluster's upstream HTTP filters: they see the request as the router finalized it (caller's
 * credential headers removed, path and Host rewritten) and run once per attempt.
 */
function upstreamHttpFilters(s: EgressSettings): ProtoJson[] {
  const auth = s.auth;
  let filter: ProtoJson;
  switch (auth.kind) {
    case "mtls":
      return []; // identity is the TLS client certificate
    case "sigv4":
      filter = {
        name: EGRESS_FILTER_NAMES.awsRequestSigning,
        typed_config: {
          "@type": `${TYPE}envoy.extensions.filters.http.aws_request_signing.v3.AwsRequestSigning`,
          service_name: auth.service,
          region: auth.region,
          // The Host the signature covers; equal to the route's host_rewrite_literal, so signing
          // and forwarding agree.
          host_rewrite: s.upstream.authority,
          // Sign the payload hash: execute-api and most services reject UNSIGNED-PAYLOAD. The body
          // is already complete here (the buffer filter held it), so signing adds no buffering.
          use_unsigned_payload: false,
          signing_algorithm: "AWS_SIGV4",
          // Headers an intermediary may legitimately rewrite stay out of the signature.
          match_excluded_headers: [{ prefix: "x-envoy" }, { prefix: "x-forwarded" }, { exact: "x-amzn-trace-id" }],
        },
      };
      break;
    case "header":
      filter = {
        name: EGRESS_FILTER_NAMES.credentialInjector,
        typed_config: {
          "@type": `${TYPE}envoy.extensions.filters.http.credential_injector.v3.CredentialInjector`,
          // The caller's copy is already gone (route), overwrite anyway: only our value goes out.
          overwrite: true,
          // No credential (sidecar not ready, file missing) → 401, never an unauthenticated call.
          allow_request_without_credential: false,
          credential: {
            name: "envoy.http.injected_credentials.generic",
            typed_config: {
              "@type": `${TYPE}envoy.extensions.http.injected_credentials.generic.v3.Generic`,
              credential: { name: EGRESS_SDS_SECRET_NAMES.headerCredential, sds_config: headerCredentialSdsConfig() },
              header: auth.name,
            },
          },
        },
      };
      break;
  }
  return [
    filter,
    {
      name: EGRESS_FILTER_NAMES.upstreamCodec,
      typed_config: { "@type": `${TYPE}envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec` },
    },
  ];
}

/**
 * TLS to the upstream, checked for its SAN (the upstream host unless mtls names serverSan). mtls
 * presents the acquisition-issued client certificate, from the same SDS files as the ingress SVID.
 */
function upstreamTransportSocket(s: EgressSettings): ProtoJson {
  const { upstream, auth } = s;
  return farcarUpstreamTlsSocket(s, {
    sni: upstream.hostIsIp ? undefined : upstream.host,
    clientCertificate: auth.kind === "mtls",
    san: auth.kind === "mtls" ? auth.san : { type: upstream.hostIsIp ? "IP_ADDRESS" : "DNS", value: upstream.host },
    trustedCaFile: s.upstreamCa === "trustBundle" ? undefined : SYSTEM_CA_BUNDLE_FILE,
  });
}

// ---------------------------------------------------------------------------------------------
// Input checks and defaults
// ---------------------------------------------------------------------------------------------

const DNS_LABEL = /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const HEADER_NAME = /^[a-z0-9!#$%&'*+\-.^_|~`]+$/;
const SIGV4_SERVICE = /^[a-z0-9][a-z0-9-]{0,62}$/;
const AWS_REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
const ROLE_ARN = /^arn:aws(?:-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const AUTH_KINDS = ["sigv4", "mtls", "header"] as const;
/** Headers Envoy owns or HTTP forbids rewriting: never a credential header. */
const RESERVED_HEADERS = new Set([
  "host",
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "upgrade",
  "content-length",
  "content-type",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-request-id",
  TARGET_HEADER,
  ...UNTRUSTED_REQUEST_HEADERS,
]);

type Fail = (message: string) => never;

/** The auth kind, or a clear failure for a missing, unknown or fleet-file-shaped auth. */
function checkAuthKind(auth: unknown, fail: Fail): EgressUpstreamAuth["kind"] {
  if (typeof auth !== "object" || auth === null) {
    fail(`upstream.auth is missing; give one of ${AUTH_KINDS.map((k) => `{ kind: "${k}", … }`).join(", ")}`);
  }
  const kind = (auth as { kind?: unknown }).kind;
  if (typeof kind !== "string" || !(AUTH_KINDS as readonly string[]).includes(kind)) {
    const keys = Object.keys(auth as object).filter((key) => key !== "kind");
    const hint =
      kind === undefined && keys.length > 0
        ? ` (got keys ${keys.join(", ")}: pass the resolved fleet's upstream.auth from config/fleet.ts, which carries "kind")`
        : "";
    fail(`upstream.auth.kind ${JSON.stringify(kind)} is not one of ${AUTH_KINDS.join(", ")}${hint}`);
  }
  return kind as EgressUpstreamAuth["kind"];
}

function resolveEgress(input: FarcarEgressInput): EgressSettings {
  const fail: Fail = (message) => {
    throw new FarcarEgressInputError(`Egress Farcar ${input.acquisition}/${input.environment}/${input.service}: ${message}`);
  };
  for (const key of ["acquisition", "environment", "service"] as const) {
    if (typeof input[key] !== "string" || !DNS_LABEL.test(input[key])) {
      fail(`${key} "${input[key]}" must be a lowercase DNS label (a-z, 0-9, "-"; starts with a letter)`);
    }
  }
  if (typeof input.upstream !== "object" || input.upstream === null) fail("upstream is missing; give { url, auth }");
  const upstream = resolveUpstreamUrl(input.upstream.url, fail);
  const auth = resolveAuth(input.upstream.auth, upstream, fail);

  const upstreamCa = input.upstreamCa ?? (auth.kind === "mtls" ? "trustBundle" : "system");
  if (upstreamCa !== "system" && upstreamCa !== "trustBundle") {
    fail(`upstreamCa "${String(upstreamCa)}" must be "system" or "trustBundle"`);
  }
  if (auth.kind === "mtls" && upstreamCa !== "trustBundle") {
    fail(`upstreamCa "${upstreamCa}" cannot be used with mtls: the upstream is verified against the acquisition's CA bundle (omit upstreamCa)`);
  }

  const ports = resolveFarcarPorts(input, fail);
  if (auth.kind === "sigv4" && auth.roleArn && Object.values(ports).includes(EGRESS_AWS_CREDENTIALS_ENDPOINT.port)) {
    fail(`port ${EGRESS_AWS_CREDENTIALS_ENDPOINT.port} is the identity sidecar's AWS credentials endpoint (sigv4.roleArn); move the Envoy port`);
  }
  const limits = resolveFarcarLimits(input, fail);

  const extra = input.stripRequestHeaders ?? [];
  for (const header of extra) {
    if (!HEADER_NAME.test(header)) fail(`stripRequestHeaders: "${header}" is not a lowercase HTTP header name`);
    if (header === "host" || header.startsWith(":")) fail(`stripRequestHeaders: "${header}" cannot be removed`);
  }
  const strippedHeaders = [
    ...new Set([
      ...UNTRUSTED_REQUEST_HEADERS,
      TARGET_HEADER,
      ...CALLER_CREDENTIAL_HEADERS,
      ...(auth.kind === "header" ? [auth.name] : []),
      ...extra,
    ]),
  ];

  return { upstream, auth, upstreamCa, ...ports, ...limits, strippedHeaders };
}

/**
 * The TCP port an egress Farcar connects to for `url` (the URL's port, or the scheme's default):
 * the same rule the bootstrap's cluster uses, for the task's security group.
 */
export function egressUpstreamPort(url: string): number {
  return resolveUpstreamUrl(url, (message) => {
    throw new FarcarEgressInputError(message);
  }).port;
}

function resolveUpstreamUrl(raw: unknown, fail: Fail): ResolvedUpstream {
  const example = "e.g. https://risk.afterpay.internal or https://merchants.afterpay.internal:8443/api";
  if (typeof raw !== "string" || raw.length === 0) fail(`upstream.url is missing; give the acquisition service's base URL, ${example}`);
  let url: URL;
  try {
    url = new URL(raw as string);
  } catch {
    return fail(`upstream.url "${raw}" is not a URL; ${example}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") fail(`upstream.url "${raw}" must be http(s); ${example}`);
  if (url.username || url.password) {
    fail(`upstream.url must not carry credentials (user:password@); use upstream.auth (the URL is logged and stored in the task definition)`);
  }
  if (url.search || url.hash) fail(`upstream.url "${raw}" must not have a query or fragment; request paths and queries are appended by the caller`);
  const bracketed = url.hostname.startsWith("[");
  const host = bracketed ? url.hostname.slice(1, -1) : url.hostname;
  const hostIsIp = isIP(host) !== 0;
  if (!hostIsIp && !HOSTNAME.test(host)) fail(`upstream.url host "${url.hostname}" is not a valid DNS name or IP address`);
  const tls = url.protocol === "https:";
  const port = url.port ? Number(url.port) : tls ? 443 : 80;
  // WHATWG URL keeps only '/'-separated, percent-encoded segments ('..' resolved): safe as a prefix.
  const path = url.pathname;
  const pathPrefix = path === "/" || path === "" ? undefined : path.endsWith("/") ? path : `${path}/`;
  return { url: url.href, tls, host, hostIsIp, port, authority: url.host, pathPrefix };
}

function resolveAuth(auth: EgressUpstreamAuth, upstream: ResolvedUpstream, fail: Fail): ResolvedAuth {
  const kind = checkAuthKind(auth, fail);
  const field = (name: string): unknown => (auth as unknown as Record<string, unknown>)[name];
  const requireString = (name: string, what: string): string => {
    const value = field(name);
    if (typeof value !== "string" || value.length === 0) fail(`upstream.auth (${kind}) needs ${name}: ${what}`);
    return value as string;
  };
  switch (kind) {
    case "sigv4": {
      const service = requireString("service", "the SigV4 service name, e.g. execute-api");
      if (!SIGV4_SERVICE.test(service)) fail(`upstream.auth.service "${service}" is not a SigV4 service name such as execute-api`);
      const region = requireString("region", "the AWS region the upstream verifies signatures in, e.g. ap-southeast-2");
      if (!AWS_REGION.test(region)) fail(`upstream.auth.region "${region}" is not an AWS region such as ap-southeast-2`);
      const roleArn = field("roleArn");
      if (roleArn !== undefined && (typeof roleArn !== "string" || !ROLE_ARN.test(roleArn))) {
        fail(`upstream.auth.roleArn ${JSON.stringify(roleArn)} is not an IAM role ARN such as arn:aws:iam::666666666666:role/farcar-invoker`);
      }
      return { kind, service, region, ...(roleArn ? { roleArn: roleArn as string } : {}) };
    }
    case "mtls": {
      if (!upstream.tls) fail(`upstream.url "${upstream.url}" must be https for mtls: the client certificate is presented in TLS`);
      const serverSan = field("serverSan");
      if (serverSan !== undefined && (typeof serverSan !== "string" || !/^[^\s\u0000-\u001f\u007f]+$/.test(serverSan))) {
        fail(`upstream.auth.serverSan ${JSON.stringify(serverSan)} must be a URI (spiffe://…), a DNS name or an IP address`);
      }
      const san =
        typeof serverSan === "string"
          ? {
              type: serverSan.includes("://") ? ("URI" as const) : isIP(serverSan) !== 0 ? ("IP_ADDRESS" as const) : ("DNS" as const),
              value: serverSan,
            }
          : { type: upstream.hostIsIp ? ("IP_ADDRESS" as const) : ("DNS" as const), value: upstream.host };
      return { kind, san };
    }
    case "header": {
      const raw = requireString("name", "the header that carries the credential, e.g. x-api-key");
      const name = raw.toLowerCase();
      if (!HEADER_NAME.test(name)) fail(`upstream.auth.name "${raw}" is not an HTTP header name such as x-api-key`);
      if (RESERVED_HEADERS.has(name) || name.startsWith("x-envoy-")) {
        fail(`upstream.auth.name "${raw}" is a header Envoy or HTTP controls; carry the credential in another header such as x-api-key or authorization`);
      }
      return { kind, name };
    }
  }
}
