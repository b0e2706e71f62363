/**
 * The Farcar data plane: the Envoy bootstrap for one acquisition service.
 *
 * API Gateway receives `/X/Z/...` from acquisition service X and forwards it through its VPC link
 * and X's NLB listener to this Envoy as `/Z/...` (targetPathPrefix): the integration URI, which API
 * Gateway builds and the caller cannot change, carries the target; the caller's own part follows it.
 * Envoy then:
 *
 *   1. drops every request header a caller could use to claim an identity or steer Envoy
 *      (x-forwarded-client-cert, x-envoy-*) and the caller's AWS credentials, treating every NLB
 *      peer as external;
 *   2. refuses (400) paths with dot-segments or escaped slashes, routes on the path prefix `/Z/` —
 *      one route per target X may call — strips it, and answers anything else with a JSON 404;
 *   3. opens mTLS to target Z as X (X's X.509-SVID, from file-based SDS so rotation needs no
 *      restart), accepts only a peer whose URI SAN is exactly Z's SPIFFE ID, and forwards.
 *
 * A second listener (healthPort) answers the NLB health check; it turns 503 as soon as Envoy
 * drains, so the NLB stops sending new connections before the task stops (see envoy/README.md).
 *
 * The output is plain proto-JSON data (snake_case field names) that envoy/validate.ts checks
 * against Envoy's API protos; envoy/render.ts turns it into YAML/JSON and into the container's
 * launch contract.
 */
import { SDS_SECRET_NAMES } from "./identity-files";
import { fileSdsConfig } from "./sds";

// ---------------------------------------------------------------------------------------------
// Contract constants (imported by the API Gateway, NLB and ECS code — one source of truth)
// ---------------------------------------------------------------------------------------------

/**
 * The request header in which earlier releases passed the target name. Nothing routes on it any
 * more (a caller can add a second value, and Envoy 1.39 matches each value of a repeated header
 * separately): it is removed from every request like the other untrusted headers.
 */
export const TARGET_HEADER = "x-farcar-target";

/**
 * The path prefix that carries target `target` from API Gateway to the Farcar: the integration of
 * `/X/Z/{proxy+}` forwards to `http://{nlb}:{port}/Z/{proxy}` (modules/private-api), and the Farcar
 * routes `/Z/` to Z's cluster, rewriting it to `/`. API Gateway builds this prefix from the route;
 * what the caller controls comes after it.
 */
export function targetPathPrefix(target: string): string {
  return `/${target}/`;
}

/**
 * Paths refused before any target route (400): a dot-segment (`.` or `..`, also percent-encoded as
 * `%2e`, and with a `;parameter` as some servers read `..;`) between `/` or `\` separators. The
 * Farcar routes on the raw path (normalize_path is off, see farcarTrafficListener), so such a path
 * could never move a request to another target's route — but it would reach the target, or the
 * egress upstream's base path, to be resolved there. RE2 syntax (Envoy's safe_regex), matched against
 * the whole path without the query string; kept to constructs RE2 and JavaScript read alike. RE2
 * program size 49 (measured with libre2 20220601, RE2::ProgramSize): Envoy refuses a regex above
 * 100 by default (runtime `re2.max_program_size.error_level`), so keep it small when extending it.
 */
export const DOT_SEGMENT_PATH_REGEX = String.raw`(?:.*[/\\])?(?:\.|%2[eE]){1,2}(?:;[^/\\]*)?(?:[/\\].*)?`;
/** Route answering DOT_SEGMENT_PATH_REGEX paths. */
export const REJECTED_PATH_ROUTE = "rejected_path";
/** Body of the 400 for a rejected path. */
export const REJECTED_PATH_BODY = JSON.stringify({ error: "path with dot-segments is not allowed" });

/** Default ports of a Farcar task. */
export const FARCAR_PORTS = {
  /** Traffic listener the NLB forwards to (0.0.0.0). */
  listener: 8080,
  /** NLB health check listener (0.0.0.0), separate from traffic and from admin. */
  health: 8081,
  /** Envoy admin API, bound to 127.0.0.1 only: never in a port mapping or security group. */
  admin: 9901,
} as const;

/** Path the NLB target group health check must request on the health port. */
export const HEALTH_CHECK_PATH = "/healthz";

/**
 * Defaults of FarcarDrainTiming, in seconds: every number of the stop sequence in one place (the
 * sequence and why each number: envoy/README.md, "Stopping without dropping requests"; the rules:
 * resolveFarcarDrain). With the default routeSec of 25: Envoy has closed every connection 30 + 25
 * = 55 s after deregistration starts, within the 60 s delay; after SIGTERM it drains 30 s ≥ 25 s,
 * inside a 40 s stop timeout.
 */
export const DEFAULT_DRAIN_TIMING: Required<FarcarDrainTiming> = {
  maxConnectionDurationSec: 30,
  connectionDrainSec: 5,
  deregistrationDelaySec: 60,
  drainTimeSec: 30,
  stopTimeoutSec: 40,
};

/** Fargate's largest container stopTimeout (ECS ContainerDefinition.stopTimeout). */
export const FARGATE_MAX_STOP_TIMEOUT_SEC = 120;
/** The NLB target group's largest deregistration delay (deregistration_delay.timeout_seconds). */
export const NLB_MAX_DEREGISTRATION_DELAY_SEC = 3600;
/** Time the entrypoint allows Envoy to exit after its drain, before ECS's SIGKILL. */
export const ENVOY_EXIT_GRACE_SEC = 5;

/** API Gateway's REST integration timeout: a Farcar route must give up before it. */
export const API_GATEWAY_INTEGRATION_TIMEOUT_SEC = 29;

/** Largest request body forwarded (10 MiB, API Gateway's own payload limit); larger → 413. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

/** Defaults of FarcarTimeouts, in seconds. */
export const DEFAULT_TIMEOUTS: Required<FarcarTimeouts> = {
  connectSec: 2,
  routeSec: 25,
  downstreamIdleSec: 300,
  upstreamIdleSec: 60,
  requestHeadersSec: 10,
  streamIdleSec: 60,
};

/** Default retries of a request that never reached the target (connect failure, reset before request). */
export const DEFAULT_RETRIES = 2;

/** Defaults of FarcarCircuitBreaker (Envoy's own defaults, written out so they are visible). */
export const DEFAULT_CIRCUIT_BREAKER: Required<FarcarCircuitBreaker> = {
  maxConnections: 1024,
  maxPendingRequests: 1024,
  maxRequests: 1024,
  maxRetries: 3,
};

/** Default cap on concurrent downstream connections (Envoy's overload manager). */
export const DEFAULT_MAX_DOWNSTREAM_CONNECTIONS = 10_000;

/**
 * Request headers removed before routing and again before forwarding: the x-envoy-* headers Envoy
 * (ours, or a mesh sidecar that trusts its callers) interprets from a request, and the client
 * certificate header a mesh service would read as the caller's identity.
 */
export const UNTRUSTED_REQUEST_HEADERS: readonly string[] = [
  "x-forwarded-client-cert",
  "x-envoy-attempt-count",
  "x-envoy-decorator-operation",
  "x-envoy-downstream-service-cluster",
  "x-envoy-downstream-service-node",
  "x-envoy-expected-rq-timeout-ms",
  "x-envoy-external-address",
  "x-envoy-force-trace",
  "x-envoy-hedge-on-per-try-timeout",
  "x-envoy-internal",
  "x-envoy-ip-tags",
  "x-envoy-is-timeout-retry",
  "x-envoy-max-retries",
  "x-envoy-original-dst-host",
  "x-envoy-original-path",
  "x-envoy-original-url",
  "x-envoy-retriable-header-names",
  "x-envoy-retriable-status-codes",
  "x-envoy-retry-grpc-on",
  "x-envoy-retry-on",
  "x-envoy-upstream-alt-stat-name",
  "x-envoy-upstream-rq-per-try-timeout-ms",
  "x-envoy-upstream-rq-timeout-alt-response",
  "x-envoy-upstream-rq-timeout-ms",
  "x-envoy-upstream-stream-duration-ms",
];

/**
 * The caller's AWS credentials, removed from every request before it is forwarded, in both
 * directions: API Gateway passes the caller's SigV4 headers for the private API (its signature and,
 * for a role, its session token) through to the HTTP_PROXY integration. Forwarding them would hand
 * the caller's credentials to the mesh service (ingress) or the acquisition (egress); with sigv4
 * egress they would also be signed along. Query-string SigV4 parameters cannot be removed by Envoy:
 * the access log leaves the query string out instead (farcarAccessLog).
 */
export const CALLER_CREDENTIAL_HEADERS: readonly string[] = [
  "authorization",
  "proxy-authorization",
  "x-amz-content-sha256",
  "x-amz-date",
  "x-amz-region-set",
  "x-amz-security-token",
];

/** Names of what the generator creates, for tests and dashboards. */
export const FARCAR_LISTENER_NAMES = { traffic: "farcar_traffic", health: "farcar_health" } as const;
/** Route answering any target that is not allowed (also the `target` logged for rejections). */
export const UNKNOWN_TARGET_ROUTE = "unknown_target";
/** Body of the 404 for an unknown or missing target. */
export const UNKNOWN_TARGET_BODY = JSON.stringify({ error: "unknown target" });

/** The Envoy cluster that carries traffic to `target`. */
export function targetClusterName(target: string): string {
  return `target_${target}`;
}

// ---------------------------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------------------------

/** A parent mesh service the acquisition service may call. */
export interface FarcarTarget {
  /** Mesh service name (a DNS label): the path prefix API Gateway writes (targetPathPrefix) and the route name in logs. */
  readonly name: string;
  /** SPIFFE ID the target must present: its certificate's URI SAN must equal it exactly. */
  readonly spiffeId: string;
  /** `host:port` of the target in the mesh. The host is resolved by DNS and sent as TLS SNI. */
  readonly address: string;
  /**
   * Host header sent to the target (mesh sidecars route on it).
   * @default - the host part of `address`
   */
  readonly authority?: string;
}

/** Timeouts, in seconds (fractions allowed). */
export interface FarcarTimeouts {
  /**
   * TCP and TLS connection set-up to a target.
   * @default 2
   */
  readonly connectSec?: number;
  /**
   * Whole request through the Farcar, retries included. Must be below API Gateway's 29 s
   * integration timeout so the caller gets Envoy's 504 (and a log line) rather than API Gateway's.
   * @default 25
   */
  readonly routeSec?: number;
  /**
   * Idle NLB-side connection. Below the NLB's fixed 350 s TCP idle timeout, so Envoy closes idle
   * connections cleanly instead of the NLB silently dropping them.
   * @default 300
   */
  readonly downstreamIdleSec?: number;
  /**
   * Idle pooled connection to a target.
   * @default 60
   */
  readonly upstreamIdleSec?: number;
  /**
   * Time for a caller to send the request headers (slow-client protection).
   * @default 10
   */
  readonly requestHeadersSec?: number;
  /**
   * A stream with no bytes moving in either direction. Must exceed `routeSec`, or a slow target
   * would be cut off by the idle timer before the route timeout.
   * @default 60
   */
  readonly streamIdleSec?: number;
}

/**
 * How a Farcar leaves the NLB without resetting requests (deploys, scale-in), in seconds.
 *
 * ECS first deregisters the task from the NLB target group and waits until the target is unused —
 * at most `deregistrationDelaySec` — and only then sends SIGTERM, SIGKILL after `stopTimeoutSec`
 * (AWS: "Optimize load balancer connection draining parameters for Amazon ECS"; ContainerDefinition
 * stopTimeout, at most 120 s on Fargate). A deregistering NLB target keeps its open connections and
 * the NLB resets them when the delay ends (`connection_termination`), so Envoy must close them
 * itself before that, while nothing tells it a deregistration has begun: every connection is closed
 * by Envoy `maxConnectionDurationSec` after it opened (`Connection: close` on the next response,
 * then close; idle ones after `connectionDrainSec`), and API Gateway reopens through the NLB to a
 * registered task.
 */
export interface FarcarDrainTiming {
  /**
   * HTTP connection manager `max_connection_duration`: Envoy starts draining a downstream
   * connection this long after it opened.
   * @default 30
   */
  readonly maxConnectionDurationSec?: number;
  /**
   * HTTP connection manager `drain_timeout`: grace between the start of a connection's drain and
   * its close when no request is in flight.
   * @default 5
   */
  readonly connectionDrainSec?: number;
  /**
   * NLB target group deregistration delay: must cover maxConnectionDurationSec plus the longer of
   * timeouts.routeSec and connectionDrainSec (then Envoy has closed every connection that was open
   * when deregistration began), and drainTimeSec. At most 3600.
   * @default 60
   */
  readonly deregistrationDelaySec?: number;
  /**
   * Envoy's drain after SIGTERM (`--drain-time-s`, and the entrypoint's wait): health check 503,
   * `Connection: close` on every response. At least timeouts.routeSec, so a request that arrived
   * just before the signal completes. Whole seconds.
   * @default 30
   */
  readonly drainTimeSec?: number;
  /**
   * ECS container stopTimeout: at least drainTimeSec + 5 (Envoy's exit), at most 120 (Fargate).
   * @default 40
   */
  readonly stopTimeoutSec?: number;
}

/** Per-target circuit breaker (Envoy `circuit_breakers.thresholds`, DEFAULT priority). */
export interface FarcarCircuitBreaker {
  /** @default 1024 */
  readonly maxConnections?: number;
  /** @default 1024 */
  readonly maxPendingRequests?: number;
  /** @default 1024 */
  readonly maxRequests?: number;
  /** Concurrent retries. @default 3 */
  readonly maxRetries?: number;
}

/**
 * How a Farcar listens, times out, limits and retries on its way to the mesh (ingress) or to the
 * acquisition's service (egress): the same options, defaults and checks in both directions.
 */
export interface FarcarTuning {
  /** @default 8080 (FARCAR_PORTS.listener) */
  readonly listenerPort?: number;
  /** @default 8081 (FARCAR_PORTS.health) */
  readonly healthPort?: number;
  /** @default 9901 (FARCAR_PORTS.admin) */
  readonly adminPort?: number;
  /** @default DEFAULT_TIMEOUTS */
  readonly timeouts?: FarcarTimeouts;
  /** @default 10485760 (MAX_REQUEST_BYTES) */
  readonly maxRequestBytes?: number;
  /**
   * Protocol towards the targets (ingress) or the upstream (egress). HTTP/1.1 is the default: every
   * mesh sidecar speaks it and it needs no ALPN agreement; choose `http2` when the other side
   * expects h2 (ALPN `h2` is then offered over TLS).
   * @default "http1"
   */
  readonly upstreamProtocol?: "http1" | "http2";
  /** Retries for requests that never reached a target (or the upstream). @default 2 */
  readonly retries?: number;
  /** @default DEFAULT_CIRCUIT_BREAKER */
  readonly circuitBreaker?: FarcarCircuitBreaker;
  /** @default 10000 */
  readonly maxDownstreamConnections?: number;
  /** @default DEFAULT_DRAIN_TIMING */
  readonly drain?: FarcarDrainTiming;
  /**
   * Extra request headers to remove before forwarding (lowercase names), e.g. identity headers the
   * parent mesh's services trust.
   * @default - only UNTRUSTED_REQUEST_HEADERS, TARGET_HEADER and CALLER_CREDENTIAL_HEADERS (egress:
   * also the upstream's credential header)
   */
  readonly stripRequestHeaders?: readonly string[];
}

/** Everything the generator needs for one acquisition service's Farcar. */
export interface FarcarEnvoyInput extends FarcarTuning {
  /** Acquisition name (DNS label), e.g. `afterpay`. */
  readonly acquisition: string;
  /** Environment name (DNS label), e.g. `staging`. */
  readonly environment: string;
  /** Acquisition service X this Farcar stands for (DNS label), e.g. `checkout`. */
  readonly service: string;
  /** X's SPIFFE ID: the identity of this Farcar's client certificate (written to the logs). */
  readonly spiffeId: string;
  /** Mesh services X may call; at least one. */
  readonly targets: readonly FarcarTarget[];
}

/** Thrown when FarcarEnvoyInput is invalid: names the field, the value received and the fix. */
export class FarcarEnvoyInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FarcarEnvoyInputError";
  }
}

// ---------------------------------------------------------------------------------------------
// Output type
// ---------------------------------------------------------------------------------------------

/** A proto-JSON object (snake_case field names); validated by envoy/validate.ts. */
export type ProtoJson = { readonly [field: string]: unknown };

/** The generated `envoy.config.bootstrap.v3.Bootstrap`. */
export interface EnvoyBootstrap extends ProtoJson {
  readonly node: ProtoJson;
  readonly admin: ProtoJson;
  readonly static_resources: { readonly listeners: readonly ProtoJson[]; readonly clusters: readonly ProtoJson[] };
  readonly overload_manager: ProtoJson;
}

// ---------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------

const TYPE = "type.googleapis.com/";
const HCM_TYPE = `${TYPE}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`;

/** Builds the Envoy bootstrap of the Farcar for one acquisition service. Throws FarcarEnvoyInputError. */
export function farcarBootstrap(input: FarcarEnvoyInput): EnvoyBootstrap {
  const settings = resolve(input);
  return assembleFarcarBootstrap(settings, {
    nodeId: `farcar-${input.acquisition}-${input.environment}-${input.service}`,
    metadata: {
      acquisition: input.acquisition,
      environment: input.environment,
      service: input.service,
      spiffe_id: input.spiffeId,
    },
    trafficListener: trafficListener(input, settings),
    clusters: settings.targets.map((target) => targetCluster(target, settings)),
  });
}

/** Input with defaults applied and checked. */
interface Settings extends ResolvedFarcarTuning {
  readonly targets: readonly ResolvedTarget[];
}

interface ResolvedTarget {
  readonly name: string;
  readonly spiffeId: string;
  readonly host: string;
  readonly port: number;
  readonly authority: string;
}

/** The traffic listener: NLB → path-prefix routing → mTLS clusters. */
function trafficListener(input: FarcarEnvoyInput, s: Settings): ProtoJson {
  const routes: ProtoJson[] = s.targets.map((target) => ({
    name: target.name,
    // A plain prefix on the raw path (no normalization, see farcarTrafficListener): the first
    // segment is the one API Gateway wrote, whatever the caller put after it.
    match: { prefix: targetPathPrefix(target.name) },
    route: farcarRouteAction(s, {
      cluster: targetClusterName(target.name),
      authority: target.authority,
      // "/payments/v1/charges" → "/v1/charges": the target sees the caller's path.
      prefixRewrite: "/",
    }),
  }));
  routes.push({
    name: UNKNOWN_TARGET_ROUTE,
    match: { prefix: "/" },
    direct_response: { status: 404, body: { inline_string: UNKNOWN_TARGET_BODY } },
    response_headers_to_add: [
      { header: { key: "content-type", value: "application/json" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" },
    ],
  });
  return farcarTrafficListener(s, {
    routeConfigName: "farcar_targets",
    virtualHostName: "targets",
    routes,
    accessLog: farcarAccessLog({
      farcar_spiffe_id: input.spiffeId,
      acquisition: input.acquisition,
      environment: input.environment,
      service: input.service,
      // The route name: the target, UNKNOWN_TARGET_ROUTE or REJECTED_PATH_ROUTE.
      target: "%ROUTE_NAME%",
    }),
  });
}

/** One cluster per target: DNS-resolved, mTLS as the Farcar, exact SPIFFE ID check on the peer. */
function targetCluster(target: ResolvedTarget, s: Settings): ProtoJson {
  return farcarCluster(s, {
    name: targetClusterName(target.name),
    host: target.host,
    port: target.port,
    // The Farcar's own X.509-SVID (X's identity); only this target's SPIFFE ID is accepted on this
    // cluster, chaining to the parent mesh's CA bundle.
    transportSocket: farcarUpstreamTlsSocket(s, {
      sni: target.host,
      clientCertificate: true,
      san: { type: "URI", value: target.spiffeId },
    }),
  });
}

// ---------------------------------------------------------------------------------------------
// Shared with the egress Farcar (envoy/egress.ts): everything on the NLB side, and the skeleton of
// a cluster, so both directions listen, limit, time out, retry, log and drain the same way.
// ---------------------------------------------------------------------------------------------

/**
 * The bootstrap around a direction's traffic listener and clusters: the node, the admin API on
 * loopback, the health listener and the overload manager's cap on downstream connections.
 */
export function assembleFarcarBootstrap(
  s: ResolvedFarcarTuning,
  parts: {
    readonly nodeId: string;
    readonly metadata: ProtoJson;
    readonly trafficListener: ProtoJson;
    readonly clusters: readonly ProtoJson[];
  },
): EnvoyBootstrap {
  return {
    node: { id: parts.nodeId, cluster: parts.nodeId, metadata: parts.metadata },
    admin: {
      // Loopback only: the admin API can fail health checks and dump config. Never expose it.
      address: socketAddress("127.0.0.1", s.adminPort),
      // The drain sequence (envoy/Dockerfile) and operators must reach admin when the traffic
      // listener is at maxDownstreamConnections.
      ignore_global_conn_limit: true,
    },
    static_resources: {
      listeners: [parts.trafficListener, farcarHealthListener(s.healthPort)],
      clusters: parts.clusters,
    },
    overload_manager: {
      resource_monitors: [
        {
          // The overload manager selects the proactive monitor by this exact name (envoy/extensions.ts).
          name: "envoy.resource_monitors.global_downstream_max_connections",
          typed_config: {
            "@type": `${TYPE}envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig`,
            max_active_downstream_connections: s.maxDownstreamConnections,
          },
        },
      ],
    },
  };
}

/**
 * The traffic listener on `listenerPort`: every NLB peer is an external client, the body is
 * buffered up to maxRequestBytes, `s.strippedHeaders` never reach a route's cluster, and `routes`
 * (one virtual host) decide where a request goes.
 */
export function farcarTrafficListener(
  s: ResolvedFarcarTuning,
  routing: {
    readonly routeConfigName: string;
    readonly virtualHostName: string;
    readonly routes: readonly ProtoJson[];
    readonly accessLog: ProtoJson;
  },
): ProtoJson {
  const hcm: ProtoJson = {
    "@type": HCM_TYPE,
    stat_prefix: FARCAR_LISTENER_NAMES.traffic,
    codec_type: "AUTO",
    // The NLB peer is the client: take its address, trust no X-Forwarded-For hop.
    use_remote_address: true,
    xff_num_trusted_hops: 0,
    // Only loopback is internal, so every NLB peer — whatever its RFC 1918 address — is external
    // and Envoy sanitizes x-envoy-* headers. Explicit and non-empty on purpose: an empty list means
    // "RFC 1918 is internal" in older Envoy releases.
    internal_address_config: { cidr_ranges: [{ address_prefix: "127.0.0.1", prefix_len: 32 }] },
    // A caller cannot hand the mesh a client certificate header.
    forward_client_cert_details: "SANITIZE",
    strip_any_host_port: true,
    // Path handling decides which route — on ingress, which target — a request takes. RFC 3986
    // normalization (normalize_path, https://www.rfc-editor.org/rfc/rfc3986#section-6.2.2) decodes
    // %2e to "." and removes dot-segments BEFORE routing, so "/payments/%2e%2e/ledger/x" would become
    // "/ledger/x" and leave the prefix API Gateway wrote. Off, explicitly (Envoy documents that its
    // default may change): routes match the raw path, and dot-segments are refused by the first
    // route (DOT_SEGMENT_PATH_REGEX) instead of resolved. Escaped slashes (%2F, %5C) are refused
    // before routing (REJECT_REQUEST → 400), so no server behind us reads them as separators.
    // Merging "//" cannot remove a segment, and spares the target a "//x" after the prefix rewrite.
    normalize_path: false,
    merge_slashes: true,
    path_with_escaped_slashes_action: "REJECT_REQUEST",
    // Keep the other side's own Server header rather than announcing Envoy.
    server_header_transformation: "PASS_THROUGH",
    common_http_protocol_options: {
      idle_timeout: seconds(s.timeouts.downstreamIdleSec),
      // Envoy closes every NLB-side connection itself this long after it opened (Connection: close
      // on the next response, then close), so none is left for the NLB to reset when a
      // deregistration ends (resolveFarcarDrain; envoy/README.md, "Stopping").
      max_connection_duration: seconds(s.drain.maxConnectionDurationSec),
      // `x_forwarded_client_cert`, `x_amz_security_token`, `x_api_key` must not become second
      // spellings of stripped headers.
      headers_with_underscores_action: "DROP_HEADER",
    },
    request_headers_timeout: seconds(s.timeouts.requestHeadersSec),
    // Grace before a draining connection with nothing in flight is closed.
    drain_timeout: seconds(s.drain.connectionDrainSec),
    stream_idle_timeout: seconds(s.timeouts.streamIdleSec),
    access_log: [routing.accessLog],
    route_config: {
      name: routing.routeConfigName,
      // Cleaned from external requests before any filter runs (so the router never honours them)…
      internal_only_headers: [...UNTRUSTED_REQUEST_HEADERS],
      // …and removed from every forwarded request regardless of how the peer was classified. The
      // router applies this BEFORE a cluster's upstream filters sign or inject (egress): the
      // caller's credentials go, ours are added afterwards and are therefore not removed.
      request_headers_to_remove: [...s.strippedHeaders],
      virtual_hosts: [{ name: routing.virtualHostName, domains: ["*"], routes: [rejectedPathRoute(), ...routing.routes] }],
    },
    http_filters: [
      {
        name: "envoy.filters.http.buffer",
        typed_config: {
          "@type": `${TYPE}envoy.extensions.filters.http.buffer.v3.Buffer`,
          max_request_bytes: s.maxRequestBytes,
        },
      },
      {
        name: "envoy.filters.http.router",
        typed_config: {
          "@type": `${TYPE}envoy.extensions.filters.http.router.v3.Router`,
          // No x-envoy-* headers added towards the other side or back to the caller.
          suppress_envoy_headers: true,
        },
      },
    ],
  };

  return {
    name: FARCAR_LISTENER_NAMES.traffic,
    address: socketAddress("0.0.0.0", s.listenerPort),
    filter_chains: [{ filters: [{ name: "envoy.filters.network.http_connection_manager", typed_config: hcm }] }],
  };
}

/** The first route of every traffic listener: 400 for a path with dot-segments (DOT_SEGMENT_PATH_REGEX). */
function rejectedPathRoute(): ProtoJson {
  return {
    name: REJECTED_PATH_ROUTE,
    match: { safe_regex: { regex: DOT_SEGMENT_PATH_REGEX } },
    direct_response: { status: 400, body: { inline_string: REJECTED_PATH_BODY } },
    response_headers_to_add: [
      { header: { key: "content-type", value: "application/json" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" },
    ],
  };
}

/**
 * A route's action towards `cluster`: the route timeout, the Host header the other side expects,
 * an optional path prefix ("/foo" → "/base/path/foo") and retries of what never reached it.
 */
export function farcarRouteAction(
  s: ResolvedFarcarTuning,
  to: { readonly cluster: string; readonly authority: string; readonly prefixRewrite?: string },
): ProtoJson {
  return {
    cluster: to.cluster,
    timeout: seconds(s.timeouts.routeSec),
    host_rewrite_literal: to.authority,
    ...(to.prefixRewrite ? { prefix_rewrite: to.prefixRewrite } : {}),
    retry_policy: {
      // Only retry what never reached the other side: safe for non-idempotent requests. A retry
      // runs the cluster's upstream filters again, so it is signed or injected afresh (egress).
      retry_on: "connect-failure,reset-before-request",
      num_retries: s.retries,
      retry_host_predicate: [
        {
          name: "envoy.retry_host_predicates.previous_hosts",
          typed_config: { "@type": `${TYPE}envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate` },
        },
      ],
      host_selection_retry_max_attempts: 3,
    },
  };
}

/**
 * The NLB health listener on `healthPort`: 200 on HEALTH_CHECK_PATH while serving, 503 once Envoy
 * drains or is failed through the admin API; 404 for any other path. Nothing here reaches a target
 * or the upstream.
 */
export function farcarHealthListener(healthPort: number): ProtoJson {
  return {
    name: FARCAR_LISTENER_NAMES.health,
    address: socketAddress("0.0.0.0", healthPort),
    // A Farcar at its connection cap is busy, not dead: the NLB health check must still get in, or
    // the NLB would take a loaded task out of service (and ECS replace it) exactly under load.
    ignore_global_conn_limit: true,
    filter_chains: [
      {
        filters: [
          {
            name: "envoy.filters.network.http_connection_manager",
            typed_config: {
              "@type": HCM_TYPE,
              stat_prefix: FARCAR_LISTENER_NAMES.health,
              codec_type: "AUTO",
              route_config: {
                name: "farcar_health",
                virtual_hosts: [
                  {
                    name: "health",
                    domains: ["*"],
                    routes: [{ name: "not_found", match: { prefix: "/" }, direct_response: { status: 404 } }],
                  },
                ],
              },
              http_filters: [
                {
                  name: "envoy.filters.http.health_check",
                  typed_config: {
                    "@type": `${TYPE}envoy.extensions.filters.http.health_check.v3.HealthCheck`,
                    // Envoy answers itself: its own drain state is the health, not the other side's.
                    pass_through_mode: false,
                    headers: [{ name: ":path", string_match: { exact: HEALTH_CHECK_PATH } }],
                  },
                },
                {
                  name: "envoy.filters.http.router",
                  typed_config: { "@type": `${TYPE}envoy.extensions.filters.http.router.v3.Router` },
                },
              ],
            },
          },
        ],
      },
    ],
  };
}

/**
 * A cluster to `host:port`: every address the name resolves to is an endpoint (DNS tuning is left
 * at Envoy's defaults; newer Envoy moves those knobs to the DNS cluster extension), with the
 * circuit breaker, the upstream protocol and idle timeout, then the caller's upstream HTTP filters
 * (if any) and transport socket (absent: plain TCP).
 */
export function farcarCluster(
  s: ResolvedFarcarTuning,
  c: {
    readonly name: string;
    readonly host: string;
    readonly port: number;
    readonly upstreamHttpFilters?: readonly ProtoJson[];
    readonly transportSocket?: ProtoJson;
  },
): ProtoJson {
  const http2 = s.upstreamProtocol === "http2";
  const filters = c.upstreamHttpFilters ?? [];
  return {
    name: c.name,
    type: "STRICT_DNS",
    connect_timeout: seconds(s.timeouts.connectSec),
    lb_policy: "ROUND_ROBIN",
    load_assignment: {
      cluster_name: c.name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(c.host, c.port) } }] }],
    },
    circuit_breakers: {
      thresholds: [
        {
          priority: "DEFAULT",
          max_connections: s.circuitBreaker.maxConnections,
          max_pending_requests: s.circuitBreaker.maxPendingRequests,
          max_requests: s.circuitBreaker.maxRequests,
          max_retries: s.circuitBreaker.maxRetries,
        },
      ],
    },
    typed_extension_protocol_options: {
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
        "@type": `${TYPE}envoy.extensions.upstreams.http.v3.HttpProtocolOptions`,
        common_http_protocol_options: { idle_timeout: seconds(s.timeouts.upstreamIdleSec) },
        explicit_http_config: http2 ? { http2_protocol_options: {} } : { http_protocol_options: {} },
        ...(filters.length > 0 ? { http_filters: filters } : {}),
      },
    },
    ...(c.transportSocket ? { transport_socket: c.transportSocket } : {}),
  };
}

/**
 * The TLS transport socket of a cluster: TLS 1.2–1.3, ALPN for the upstream protocol, the peer
 * checked for exactly `san`, trusting the SDS trust bundle (IDENTITY_FILES.trustBundleSds, reloaded
 * on rotation) or `trustedCaFile`.
 */
export function farcarUpstreamTlsSocket(
  s: Pick<ResolvedFarcarTuning, "upstreamProtocol">,
  tls: {
    /** TLS SNI. @default - none (SNI carries host names only, RFC 6066: omit it for an IP) */
    readonly sni?: string;
    /** Present the Farcar's client certificate from the SDS files (IDENTITY_FILES.certificateSds). */
    readonly clientCertificate: boolean;
    /** The SAN the peer's certificate must carry, matched exactly. */
    readonly san: { readonly type: "URI" | "DNS" | "IP_ADDRESS"; readonly value: string };
    /** CA file to trust. @default - the SDS trust bundle */
    readonly trustedCaFile?: string;
  },
): ProtoJson {
  const sanMatcher = { match_typed_subject_alt_names: [{ san_type: tls.san.type, matcher: { exact: tls.san.value } }] };
  const commonTlsContext: ProtoJson = {
    // Envoy's client default tops out at TLS 1.2; allow 1.3 where the other side offers it.
    tls_params: { tls_minimum_protocol_version: "TLSv1_2", tls_maximum_protocol_version: "TLSv1_3" },
    alpn_protocols: [s.upstreamProtocol === "http2" ? "h2" : "http/1.1"],
    ...(tls.clientCertificate
      ? { tls_certificate_sds_secret_configs: [{ name: SDS_SECRET_NAMES.certificate, sds_config: fileSdsConfig("certificateSds") }] }
      : {}),
    ...(tls.trustedCaFile === undefined
      ? {
          combined_validation_context: {
            default_validation_context: sanMatcher,
            validation_context_sds_secret_config: { name: SDS_SECRET_NAMES.trustBundle, sds_config: fileSdsConfig("trustBundleSds") },
          },
        }
      : { validation_context: { trusted_ca: { filename: tls.trustedCaFile }, ...sanMatcher } }),
  };
  return {
    name: "envoy.transport_sockets.tls",
    typed_config: {
      "@type": `${TYPE}envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext`,
      ...(tls.sni !== undefined ? { sni: tls.sni } : {}),
      common_tls_context: commonTlsContext,
    },
  };
}

/**
 * JSON access log on stdout (CloudWatch Logs via the awslogs driver): `head` (who the Farcar is and
 * which route answered), then the request, the upstream connection and the caller. Reads no
 * credential header: egress upstream filters write into the same header map the access log reads,
 * so a `%REQ(...)%` of any of them would print the secret.
 */
export function farcarAccessLog(
  head: { readonly [field: string]: string },
  also: {
    /** Log the upstream certificate's subject (`upstream_peer_subject`). @default false */
    readonly upstreamPeerSubject?: boolean;
    /** Log X-Amzn-Trace-Id (`amzn_trace_id`). @default false */
    readonly amznTraceId?: boolean;
  } = {},
): ProtoJson {
  return {
    name: "envoy.access_loggers.stdout",
    typed_config: {
      "@type": `${TYPE}envoy.extensions.access_loggers.stream.v3.StdoutAccessLog`,
      log_format: {
        json_format: {
          start_time: "%START_TIME%",
          ...head,
          method: "%REQ(:METHOD)%",
          // Without the query string: a presigned (query-string SigV4) request carries its
          // credentials there. REQ_WITHOUT_QUERY is a formatter extension, listed below.
          path: "%REQ_WITHOUT_QUERY(:PATH)%",
          protocol: "%PROTOCOL%",
          response_code: "%RESPONSE_CODE%",
          response_code_details: "%RESPONSE_CODE_DETAILS%",
          response_flags: "%RESPONSE_FLAGS%",
          bytes_received: "%BYTES_RECEIVED%",
          bytes_sent: "%BYTES_SENT%",
          duration_ms: "%DURATION%",
          upstream_host: "%UPSTREAM_HOST%",
          upstream_cluster: "%UPSTREAM_CLUSTER%",
          ...(also.upstreamPeerSubject ? { upstream_peer_subject: "%UPSTREAM_PEER_SUBJECT%" } : {}),
          upstream_peer_uri_san: "%UPSTREAM_PEER_URI_SAN%",
          upstream_tls_version: "%UPSTREAM_TLS_VERSION%",
          upstream_transport_failure_reason: "%UPSTREAM_TRANSPORT_FAILURE_REASON%",
          downstream_remote_address: "%DOWNSTREAM_REMOTE_ADDRESS%",
          x_forwarded_for: "%REQ(X-FORWARDED-FOR)%",
          request_id: "%REQ(X-REQUEST-ID)%",
          ...(also.amznTraceId ? { amzn_trace_id: "%REQ(X-AMZN-TRACE-ID)%" } : {}),
          user_agent: "%REQ(USER-AGENT)%",
        },
        // %REQ_WITHOUT_QUERY(...)% is not a built-in command operator: Envoy parses it only with
        // this formatter listed (source/extensions/formatter/req_without_query, envoy/extensions.ts).
        formatters: [
          {
            name: "envoy.formatter.req_without_query",
            typed_config: { "@type": `${TYPE}envoy.extensions.formatter.req_without_query.v3.ReqWithoutQuery` },
          },
        ],
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Input checks and defaults
// ---------------------------------------------------------------------------------------------

const DNS_LABEL = /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** SPIFFE ID: lowercase trust domain, then non-empty path segments of [A-Za-z0-9._-] (no `%`). */
const SPIFFE_ID = /^spiffe:\/\/[a-z0-9._-]+(?:\/[A-Za-z0-9._-]+)+$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const HEADER_NAME = /^[a-z0-9!#$%&'*+\-.^_|~`]+$/;

function resolve(input: FarcarEnvoyInput): Settings {
  const fail = (message: string): never => {
    throw new FarcarEnvoyInputError(`Farcar ${input.acquisition}/${input.environment}/${input.service}: ${message}`);
  };
  for (const key of ["acquisition", "environment", "service"] as const) {
    if (!DNS_LABEL.test(input[key])) {
      fail(`${key} "${input[key]}" must be a lowercase DNS label (a-z, 0-9, "-"; starts with a letter)`);
    }
  }
  checkSpiffeId(input.spiffeId, "spiffeId", fail);

  if (input.targets.length === 0) fail("targets is empty; list at least one mesh service this service may call");
  const seen = new Set<string>();
  const targets = input.targets.map((target, i): ResolvedTarget => {
    const where = `targets[${i}]`;
    if (!DNS_LABEL.test(target.name)) fail(`${where}.name "${target.name}" must be a lowercase DNS label`);
    if (seen.has(target.name)) fail(`${where}.name "${target.name}" is listed twice; list each target once`);
    seen.add(target.name);
    checkSpiffeId(target.spiffeId, `${where}.spiffeId`, fail);
    const [host, port] = splitHostPort(target.address, `${where}.address`, fail);
    const authority = target.authority ?? host;
    if (!/^[^\s\u0000-\u001f\u007f]+$/.test(authority)) fail(`${where}.authority "${authority}" is not a valid Host header value`);
    return { name: target.name, spiffeId: target.spiffeId, host, port, authority };
  });

  const ports = resolveFarcarPorts(input, fail);
  const limits = resolveFarcarLimits(input, fail);

  const extra = input.stripRequestHeaders ?? [];
  for (const header of extra) {
    if (!HEADER_NAME.test(header)) fail(`stripRequestHeaders: "${header}" is not a lowercase HTTP header name`);
  }
  const strippedHeaders = [...new Set([...UNTRUSTED_REQUEST_HEADERS, TARGET_HEADER, ...CALLER_CREDENTIAL_HEADERS, ...extra])];

  return { targets, ...ports, ...limits, strippedHeaders };
}

/** FarcarTuning with defaults applied and checked, as both directions' generators use it. */
export interface ResolvedFarcarTuning {
  readonly listenerPort: number;
  readonly healthPort: number;
  readonly adminPort: number;
  readonly timeouts: Required<FarcarTimeouts>;
  readonly maxRequestBytes: number;
  readonly upstreamProtocol: "http1" | "http2";
  readonly retries: number;
  readonly circuitBreaker: Required<FarcarCircuitBreaker>;
  readonly maxDownstreamConnections: number;
  readonly drain: Required<FarcarDrainTiming>;
  /** Removed from every forwarded request: the direction's own list plus `stripRequestHeaders`. */
  readonly strippedHeaders: readonly string[];
}

/** The three ports of FarcarTuning, defaulted and checked (each a TCP port, all different). */
export function resolveFarcarPorts(
  input: FarcarTuning,
  fail: (message: string) => never,
): Pick<ResolvedFarcarTuning, "listenerPort" | "healthPort" | "adminPort"> {
  const listenerPort = checkPort(input.listenerPort ?? FARCAR_PORTS.listener, "listenerPort", fail);
  const healthPort = checkPort(input.healthPort ?? FARCAR_PORTS.health, "healthPort", fail);
  const adminPort = checkPort(input.adminPort ?? FARCAR_PORTS.admin, "adminPort", fail);
  if (new Set([listenerPort, healthPort, adminPort]).size !== 3) {
    fail(`listenerPort ${listenerPort}, healthPort ${healthPort} and adminPort ${adminPort} must all differ`);
  }
  return { listenerPort, healthPort, adminPort };
}

/**
 * Timeouts, body limit, retries, protocol, circuit breaker and connection cap of FarcarTuning,
 * defaulted and checked. The ports (resolveFarcarPorts) and stripped headers are each direction's
 * to resolve around it.
 */
export function resolveFarcarLimits(
  input: FarcarTuning,
  fail: (message: string) => never,
): Omit<ResolvedFarcarTuning, "listenerPort" | "healthPort" | "adminPort" | "strippedHeaders"> {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...definedOnly(input.timeouts ?? {}) };
  for (const [key, value] of Object.entries(timeouts)) {
    if (!(Number.isFinite(value) && value > 0)) fail(`timeouts.${key} must be a positive number of seconds, got ${value}`);
  }
  if (timeouts.routeSec >= API_GATEWAY_INTEGRATION_TIMEOUT_SEC) {
    fail(`timeouts.routeSec ${timeouts.routeSec} must be below API Gateway's ${API_GATEWAY_INTEGRATION_TIMEOUT_SEC} s integration timeout`);
  }
  if (timeouts.connectSec >= timeouts.routeSec) {
    fail(`timeouts.connectSec ${timeouts.connectSec} must be below timeouts.routeSec ${timeouts.routeSec}`);
  }
  if (timeouts.streamIdleSec <= timeouts.routeSec) {
    fail(`timeouts.streamIdleSec ${timeouts.streamIdleSec} must exceed timeouts.routeSec ${timeouts.routeSec}`);
  }

  const maxRequestBytes = input.maxRequestBytes ?? MAX_REQUEST_BYTES;
  if (!Number.isInteger(maxRequestBytes) || maxRequestBytes <= 0 || maxRequestBytes > 0xffffffff) {
    fail(`maxRequestBytes must be a positive integer below 4 GiB, got ${maxRequestBytes}`);
  }
  const retries = input.retries ?? DEFAULT_RETRIES;
  if (!Number.isInteger(retries) || retries < 0 || retries > 10) fail(`retries must be an integer 0..10, got ${retries}`);
  const upstreamProtocol = input.upstreamProtocol ?? "http1";
  if (upstreamProtocol !== "http1" && upstreamProtocol !== "http2") {
    fail(`upstreamProtocol "${String(upstreamProtocol)}" must be "http1" or "http2"`);
  }

  const circuitBreaker = { ...DEFAULT_CIRCUIT_BREAKER, ...definedOnly(input.circuitBreaker ?? {}) };
  for (const [key, value] of Object.entries(circuitBreaker)) {
    if (!Number.isInteger(value) || value <= 0) fail(`circuitBreaker.${key} must be a positive integer, got ${value}`);
  }
  const maxDownstreamConnections = input.maxDownstreamConnections ?? DEFAULT_MAX_DOWNSTREAM_CONNECTIONS;
  if (!Number.isInteger(maxDownstreamConnections) || maxDownstreamConnections <= 0) {
    fail(`maxDownstreamConnections must be a positive integer, got ${maxDownstreamConnections}`);
  }
  const drain = resolveFarcarDrain({ ...input, timeouts }, fail);
  return { timeouts, maxRequestBytes, upstreamProtocol, retries, circuitBreaker, maxDownstreamConnections, drain };
}

/**
 * FarcarDrainTiming with defaults applied, and refused (through `fail`, naming the knobs, their
 * values and the fix) when the numbers cannot drain: the arithmetic of the stop sequence in
 * envoy/README.md. The bootstrap takes maxConnectionDurationSec and connectionDrainSec from it;
 * the launch contract (envoy/render.ts) the drain time, stop timeout and deregistration delay.
 */
export function resolveFarcarDrain(
  input: Pick<FarcarTuning, "drain" | "timeouts">,
  fail: (message: string) => never,
): Required<FarcarDrainTiming> {
  const drain = { ...DEFAULT_DRAIN_TIMING, ...definedOnly(input.drain ?? {}) };
  const routeSec = input.timeouts?.routeSec ?? DEFAULT_TIMEOUTS.routeSec;
  for (const [key, value] of Object.entries(drain)) {
    if (!(Number.isFinite(value) && value > 0)) fail(`drain.${key} must be a positive number of seconds, got ${value}`);
  }
  for (const key of ["deregistrationDelaySec", "drainTimeSec", "stopTimeoutSec"] as const) {
    if (!Number.isInteger(drain[key])) fail(`drain.${key} must be a whole number of seconds, got ${drain[key]}`);
  }
  const { maxConnectionDurationSec, connectionDrainSec, deregistrationDelaySec, drainTimeSec, stopTimeoutSec } = drain;
  // Every connection open when deregistration begins reaches its max duration within M seconds;
  // then a request in flight finishes within routeSec, an idle connection closes after
  // connectionDrainSec.
  const closedWithinSec = maxConnectionDurationSec + Math.max(routeSec, connectionDrainSec);
  if (deregistrationDelaySec < closedWithinSec) {
    fail(
      `drain.deregistrationDelaySec ${deregistrationDelaySec} must be at least drain.maxConnectionDurationSec ` +
        `${maxConnectionDurationSec} + max(timeouts.routeSec ${routeSec}, drain.connectionDrainSec ${connectionDrainSec}) = ` +
        `${closedWithinSec}: the NLB resets connections still open when the delay ends; raise the delay or lower the others`,
    );
  }
  if (deregistrationDelaySec > NLB_MAX_DEREGISTRATION_DELAY_SEC) {
    fail(`drain.deregistrationDelaySec ${deregistrationDelaySec} is above the NLB's maximum of ${NLB_MAX_DEREGISTRATION_DELAY_SEC}`);
  }
  if (drainTimeSec < routeSec) {
    fail(
      `drain.drainTimeSec ${drainTimeSec} must be at least timeouts.routeSec ${routeSec}: a request that arrived just ` +
        `before SIGTERM may take that long`,
    );
  }
  if (deregistrationDelaySec < drainTimeSec) {
    fail(`drain.deregistrationDelaySec ${deregistrationDelaySec} must be at least drain.drainTimeSec ${drainTimeSec}`);
  }
  if (stopTimeoutSec < drainTimeSec + ENVOY_EXIT_GRACE_SEC) {
    fail(
      `drain.stopTimeoutSec ${stopTimeoutSec} must be at least drain.drainTimeSec ${drainTimeSec} + ${ENVOY_EXIT_GRACE_SEC} ` +
        `(Envoy's exit), or ECS kills Envoy mid-drain`,
    );
  }
  if (stopTimeoutSec > FARGATE_MAX_STOP_TIMEOUT_SEC) {
    fail(`drain.stopTimeoutSec ${stopTimeoutSec} is above Fargate's maximum stop timeout of ${FARGATE_MAX_STOP_TIMEOUT_SEC}; lower drain.drainTimeSec`);
  }
  return drain;
}

function checkSpiffeId(value: string, field: string, fail: (message: string) => never): void {
  if (!SPIFFE_ID.test(value) || value.split("/").some((segment) => segment === "." || segment === "..")) {
    fail(`${field} "${value}" is not a SPIFFE ID like spiffe://trust.domain/path/segments`);
  }
}

function splitHostPort(address: string, field: string, fail: (message: string) => never): [string, number] {
  const match = /^([^:\s]+):(\d{1,5})$/.exec(address);
  if (!match || !HOSTNAME.test(match[1])) fail(`${field} "${address}" must be host:port, e.g. payments.mesh.internal:8443`);
  const [, host, port] = match as RegExpExecArray;
  return [host, checkPort(Number(port), field, fail)];
}

function checkPort(port: number, field: string, fail: (message: string) => never): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`${field} must be a TCP port 1..65535, got ${port}`);
  return port;
}

/** Drops keys whose value is undefined, so spreading over defaults keeps the defaults. */
function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function socketAddress(address: string, port: number): ProtoJson {
  return { socket_address: { address, port_value: port } };
}

/** A proto-JSON Duration: 2 → "2s", 0.25 → "0.25s" (at most 9 fractional digits, no exponent). */
function seconds(value: number): string {
  return `${value.toFixed(9).replace(/\.?0+$/, "")}s`;
}
