/**
 * The extensions the generated bootstraps use, as the pinned Envoy (envoy/Dockerfile: v1.39) registers
 * them: for each `typed_config` type, the extension name and where in a bootstrap it may appear.
 *
 * Why a table: the proto check (envoy/validate.ts) sees types and fields, not names, and Envoy does
 * not resolve every extension the same way. Most factories are found by the `@type` of
 * `typed_config` (Config::Utility::getAndCheckFactory, source/common/config/utility.h, with
 * `envoy.reloadable_features.no_extension_lookup_by_name` on by default), so there a wrong `name`
 * only mislabels stats and logs; but some places dispatch on the NAME first and refuse the config
 * when it is not the one they expect:
 *   - overload-manager resource monitors (source/server/overload_manager_impl.cc): only the name
 *     `envoy.resource_monitors.global_downstream_max_connections` (OverloadProactiveResourceNameValues
 *     in envoy/server/overload/thread_local_overload_state.h) selects the proactive factory that
 *     DownstreamConnectionsConfig belongs to; under any other name Envoy looks for a regular
 *     ResourceMonitorFactory of that type, finds none and refuses the bootstrap at startup. The old
 *     name `envoy.resource_monitors.downstream_connections` came from a documentation error (fixed in
 *     data-plane-api #35390) and is what the factory's own constructor still says.
 *   - cluster `typed_extension_protocol_options`: the map KEY is looked up as a factory name.
 * validateExtensions (envoy/validate.ts) holds every bootstrap to this table: a type not listed is
 * an error (read Envoy's source for the new extension and add it here, with its source), and so is a
 * name other than the one listed or a type in a place its category does not belong.
 *
 * Not extensions, so not listed: config sources (the file-based SDS `path_config_source` of
 * envoy/sds.ts is core ConfigSource, no name) and the SDS `Secret` resources themselves.
 *
 * Sources are paths in github.com/envoyproxy/envoy (v1.39 line). The registered names are also the
 * keys of source/extensions/extensions_build_config.bzl, except the core-built ones noted below.
 */

/** Where in a bootstrap an extension's `{name, typed_config}` (or protocol-options key) sits. */
export type ExtensionPosition =
  /** Listener `filter_chains[].filters[]`. */
  | "network-filter"
  /** HttpConnectionManager `http_filters[]` (downstream). */
  | "http-filter"
  /** HttpProtocolOptions `http_filters[]` (a cluster's upstream filters). */
  | "upstream-http-filter"
  /** `transport_socket` of a cluster or listener filter chain. */
  | "transport-socket"
  /** `access_log[]`. */
  | "access-logger"
  /** `overload_manager.resource_monitors[]`: the name is part of the contract. */
  | "resource-monitor"
  /** RetryPolicy `retry_host_predicate[]`. */
  | "retry-host-predicate"
  /** CredentialInjector `credential`. */
  | "injected-credential"
  /** SubstitutionFormatString `formatters[]` (access-log command operators). */
  | "formatter"
  /** Cluster `typed_extension_protocol_options` (map key = name). */
  | "protocol-options";

export interface EnvoyExtension {
  /** Fully qualified message type of `typed_config` (after `type.googleapis.com/`). */
  readonly type: string;
  /** The name Envoy 1.39 registers the extension under (and the one we write). */
  readonly name: string;
  /** Where it may appear. */
  readonly positions: readonly ExtensionPosition[];
  /** The factory's source file in envoyproxy/envoy. */
  readonly source: string;
  /** Why the name matters, where it does. */
  readonly note?: string;
}

const HTTP_FILTERS = "source/extensions/extensions_build_config.bzl (HTTP filters)";

/** Every extension type the generators may emit, with its Envoy 1.39 name. Keep sorted by name. */
export const ENVOY_EXTENSIONS: readonly EnvoyExtension[] = [
  {
    type: "envoy.extensions.access_loggers.stream.v3.StdoutAccessLog",
    name: "envoy.access_loggers.stdout",
    positions: ["access-logger"],
    source: "source/extensions/access_loggers/stream/config.cc (StdoutAccessLogFactory::name)",
  },
  {
    type: "envoy.extensions.filters.http.aws_request_signing.v3.AwsRequestSigning",
    name: "envoy.filters.http.aws_request_signing",
    positions: ["http-filter", "upstream-http-filter"],
    source: `source/extensions/filters/http/aws_request_signing/config.h; ${HTTP_FILTERS}`,
  },
  {
    type: "envoy.extensions.filters.http.buffer.v3.Buffer",
    name: "envoy.filters.http.buffer",
    positions: ["http-filter"],
    source: `source/extensions/filters/http/buffer/config.h; ${HTTP_FILTERS}`,
  },
  {
    type: "envoy.extensions.filters.http.credential_injector.v3.CredentialInjector",
    name: "envoy.filters.http.credential_injector",
    positions: ["http-filter", "upstream-http-filter"],
    source: `source/extensions/filters/http/credential_injector/config.h; ${HTTP_FILTERS}`,
  },
  {
    type: "envoy.extensions.filters.http.health_check.v3.HealthCheck",
    name: "envoy.filters.http.health_check",
    positions: ["http-filter"],
    source: `source/extensions/filters/http/health_check/config.h; ${HTTP_FILTERS}`,
  },
  {
    type: "envoy.extensions.filters.http.router.v3.Router",
    name: "envoy.filters.http.router",
    positions: ["http-filter"],
    source: `source/extensions/filters/http/router/config.h; ${HTTP_FILTERS}`,
  },
  {
    type: "envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec",
    name: "envoy.filters.http.upstream_codec",
    positions: ["upstream-http-filter"],
    source: "source/extensions/filters/http/upstream_codec/config.h (built into the router, not in extensions_build_config.bzl)",
    note: "must be the last upstream HTTP filter",
  },
  {
    type: "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
    name: "envoy.filters.network.http_connection_manager",
    positions: ["network-filter"],
    source: "source/extensions/filters/network/http_connection_manager/config.h; extensions_build_config.bzl (Network filters)",
  },
  {
    type: "envoy.extensions.formatter.req_without_query.v3.ReqWithoutQuery",
    name: "envoy.formatter.req_without_query",
    positions: ["formatter"],
    source: "source/extensions/formatter/req_without_query/config.cc (ReqWithoutQueryFactory::name); extensions_build_config.bzl (Formatter)",
    note: "%REQ_WITHOUT_QUERY(...)% is this extension's command operator, not a built-in one: list it in log_format.formatters",
  },
  {
    type: "envoy.extensions.http.injected_credentials.generic.v3.Generic",
    name: "envoy.http.injected_credentials.generic",
    positions: ["injected-credential"],
    source: "source/extensions/http/injected_credentials/generic/config.h; extensions_build_config.bzl (Injected credentials)",
  },
  {
    type: "envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig",
    name: "envoy.resource_monitors.global_downstream_max_connections",
    positions: ["resource-monitor"],
    source:
      "envoy/server/overload/thread_local_overload_state.h (OverloadProactiveResourceNameValues); " +
      "source/server/overload_manager_impl.cc; extensions_build_config.bzl (Resource monitors)",
    note:
      "the overload manager picks the proactive factory by this exact name; under any other name (the old " +
      "envoy.resource_monitors.downstream_connections included) Envoy refuses the bootstrap at startup",
  },
  {
    type: "envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate",
    name: "envoy.retry_host_predicates.previous_hosts",
    positions: ["retry-host-predicate"],
    source: "source/extensions/retry/host/previous_hosts/config.h; extensions_build_config.bzl (Retry host predicates)",
  },
  {
    type: "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
    name: "envoy.transport_sockets.tls",
    positions: ["transport-socket"],
    source: "source/extensions/transport_sockets/tls/config.h (UpstreamSslSocketFactory); extensions_build_config.bzl (Transport sockets)",
  },
  {
    type: "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
    name: "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
    positions: ["protocol-options"],
    source: "source/extensions/upstreams/http/config.h (ProtocolOptionsConfigFactory::name)",
    note: "Envoy looks the typed_extension_protocol_options KEY up as a factory name",
  },
];

const BY_TYPE: ReadonlyMap<string, EnvoyExtension> = new Map(ENVOY_EXTENSIONS.map((e) => [e.type, e]));

/** The table entry for a `typed_config` type (without the `type.googleapis.com/` prefix). */
export function envoyExtension(type: string): EnvoyExtension | undefined {
  return BY_TYPE.get(type);
}
