/**
 * Behaviour of the generated Farcar bootstrap: what reaches the mesh, as whom, and what does not.
 */
import {
  API_GATEWAY_INTEGRATION_TIMEOUT_SEC,
  FARCAR_LISTENER_NAMES,
  FARCAR_PORTS,
  FarcarEnvoyInputError,
  HEALTH_CHECK_PATH,
  MAX_REQUEST_BYTES,
  CALLER_CREDENTIAL_HEADERS,
  DOT_SEGMENT_PATH_REGEX,
  REJECTED_PATH_ROUTE,
  TARGET_HEADER,
  UNKNOWN_TARGET_ROUTE,
  targetPathPrefix,
  farcarBootstrap,
  targetClusterName,
  type EnvoyBootstrap,
  type FarcarEnvoyInput,
} from "../../envoy/bootstrap";
import { IDENTITY_DIR, SDS_SECRET_NAMES, identityPath } from "../../envoy/identity-files";
import { fileSdsConfig } from "../../envoy/sds";
import { formatValidationErrors, validateBootstrap } from "../../envoy/validate";
import { NON_DEFAULT_TUNING } from "./support/tuning";

// ----- fixtures and navigation helpers ----------------------------------------------------------

const PAYMENTS = { name: "payments", spiffeId: "spiffe://block.example/payments", address: "payments.mesh.internal:8443" };
const LEDGER = { name: "ledger", spiffeId: "spiffe://block.example/ledger", address: "ledger.mesh.internal:9443" };

const INPUT: FarcarEnvoyInput = {
  acquisition: "afterpay",
  environment: "staging",
  service: "checkout",
  spiffeId: "spiffe://block.example/acquisition/afterpay/staging/checkout",
  targets: [PAYMENTS, LEDGER],
};

type Json = Record<string, any>;

function listener(config: EnvoyBootstrap, name: string): Json {
  const found = (config.static_resources.listeners as Json[]).find((l) => l.name === name);
  if (!found) throw new Error(`no listener ${name}`);
  return found;
}

function hcm(config: EnvoyBootstrap, listenerName: string): Json {
  return listener(config, listenerName).filter_chains[0].filters[0].typed_config;
}

function routes(config: EnvoyBootstrap): Json[] {
  return hcm(config, FARCAR_LISTENER_NAMES.traffic).route_config.virtual_hosts[0].routes;
}

function cluster(config: EnvoyBootstrap, name: string): Json {
  const found = (config.static_resources.clusters as Json[]).find((c) => c.name === name);
  if (!found) throw new Error(`no cluster ${name}`);
  return found;
}

function tlsContext(config: EnvoyBootstrap, target: string): Json {
  return cluster(config, targetClusterName(target)).transport_socket.typed_config;
}

function durationSec(value: string): number {
  expect(value).toMatch(/^\d+(\.\d+)?s$/);
  return parseFloat(value);
}

// ----- routing -------------------------------------------------------------------------------------

describe("routing on the target's path prefix", () => {
  const config = farcarBootstrap(INPUT);

  it("refuses dot-segment paths first, then has one prefix route per allowed target, then the catch-all", () => {
    expect(routes(config).map((r) => r.name)).toEqual([REJECTED_PATH_ROUTE, "payments", "ledger", UNKNOWN_TARGET_ROUTE]);
    expect(routes(config)[0].match).toEqual({ safe_regex: { regex: DOT_SEGMENT_PATH_REGEX } });
    expect(routes(config)[0].direct_response.status).toBe(400);
    for (const target of [PAYMENTS, LEDGER]) {
      const route = routes(config).find((r) => r.name === target.name)!;
      expect(route.match).toEqual({ prefix: targetPathPrefix(target.name) });
      expect(route.route.prefix_rewrite).toBe("/");
      expect(route.route.cluster).toBe(targetClusterName(target.name));
    }
  });

  it("answers a missing or unknown target with a JSON 404, and sends nothing upstream", () => {
    const last = routes(config).at(-1)!;
    expect(last.match).toEqual({ prefix: "/" }); // any other first segment lands here
    expect(last.route).toBeUndefined();
    expect(last.direct_response.status).toBe(404);
    expect(JSON.parse(last.direct_response.body.inline_string)).toEqual({ error: "unknown target" });
    expect(last.response_headers_to_add).toEqual([
      { header: { key: "content-type", value: "application/json" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" },
    ]);
  });

  it("rewrites the Host header to the target (or its explicit authority)", () => {
    expect(routes(config)[1].route.host_rewrite_literal).toBe("payments.mesh.internal");
    const custom = farcarBootstrap({ ...INPUT, targets: [{ ...PAYMENTS, authority: "payments" }] });
    expect(routes(custom)[1].route.host_rewrite_literal).toBe("payments");
  });

  it("gives up before API Gateway does and retries only requests that never reached the target", () => {
    for (const route of routes(config).slice(1, -1)) {
      expect(durationSec(route.route.timeout)).toBeLessThan(API_GATEWAY_INTEGRATION_TIMEOUT_SEC);
      expect(route.route.retry_policy.retry_on).toBe("connect-failure,reset-before-request");
      expect(route.route.retry_policy.num_retries).toBe(2);
    }
  });
});

// ----- header hygiene ------------------------------------------------------------------------------

describe("headers a caller could use to claim identity or steer Envoy", () => {
  const config = farcarBootstrap(INPUT);
  const manager = hcm(config, FARCAR_LISTENER_NAMES.traffic);
  const spoofable = [
    "x-forwarded-client-cert",
    "x-envoy-upstream-rq-timeout-ms",
    "x-envoy-retry-on",
    "x-envoy-max-retries",
    "x-envoy-original-path",
    "x-envoy-internal",
    "x-envoy-original-dst-host",
  ];

  it("never forwards a target header (nothing routes on it) or the caller's AWS credentials", () => {
    for (const header of [TARGET_HEADER, ...CALLER_CREDENTIAL_HEADERS]) {
      expect(manager.route_config.request_headers_to_remove).toContain(header);
    }
    expect(CALLER_CREDENTIAL_HEADERS).toEqual(
      expect.arrayContaining(["authorization", "x-amz-security-token", "x-amz-date", "x-amz-content-sha256"]),
    );
  });

  it("logs the path without its query string (presigned parameters are credentials)", () => {
    const log = manager.access_log[0].typed_config.log_format;
    expect(log.json_format.path).toBe("%REQ_WITHOUT_QUERY(:PATH)%");
    expect(JSON.stringify(log.json_format)).not.toContain("%REQ(:PATH)%");
    expect(log.formatters.map((f: Json) => f.name)).toEqual(["envoy.formatter.req_without_query"]);
  });

  it("lets admin and the health check in when the traffic listener is at its connection cap", () => {
    expect(config.admin.ignore_global_conn_limit).toBe(true);
    expect(listener(config, FARCAR_LISTENER_NAMES.health).ignore_global_conn_limit).toBe(true);
    expect(listener(config, FARCAR_LISTENER_NAMES.traffic).ignore_global_conn_limit).toBeUndefined();
  });

  it("strips x-forwarded-client-cert and x-envoy-* before routing and again before forwarding", () => {
    for (const header of spoofable) {
      expect(manager.route_config.internal_only_headers).toContain(header);
      expect(manager.route_config.request_headers_to_remove).toContain(header);
    }
    expect(manager.forward_client_cert_details).toBe("SANITIZE");
  });

  it("treats every NLB peer as external: remote address, no trusted hops, loopback-only internal range", () => {
    expect(manager.use_remote_address).toBe(true);
    expect(manager.xff_num_trusted_hops).toBe(0);
    expect(manager.internal_address_config).toEqual({ cidr_ranges: [{ address_prefix: "127.0.0.1", prefix_len: 32 }] });
  });

  it("adds no x-envoy-* headers of its own and drops underscore spellings of header names", () => {
    const router = manager.http_filters.at(-1);
    expect(router.name).toBe("envoy.filters.http.router");
    expect(router.typed_config.suppress_envoy_headers).toBe(true);
    expect(manager.common_http_protocol_options.headers_with_underscores_action).toBe("DROP_HEADER");
  });

  it("strips extra headers the mesh trusts when asked", () => {
    const custom = hcm(farcarBootstrap({ ...INPUT, stripRequestHeaders: ["x-mesh-caller"] }), FARCAR_LISTENER_NAMES.traffic);
    expect(custom.route_config.request_headers_to_remove).toContain("x-mesh-caller");
    expect(manager.route_config.request_headers_to_remove).not.toContain("x-mesh-caller");
  });
});

// ----- mTLS to the mesh ------------------------------------------------------------------------------

describe("one mTLS cluster per target", () => {
  const config = farcarBootstrap(INPUT);

  it("creates exactly the target clusters, resolving each address by DNS", () => {
    expect(config.static_resources.clusters.map((c) => c.name)).toEqual(["target_payments", "target_ledger"]);
    const ledger = cluster(config, "target_ledger");
    expect(ledger.type).toBe("STRICT_DNS");
    expect(durationSec(ledger.connect_timeout)).toBe(2);
    expect(ledger.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address).toEqual({
      socket_address: { address: "ledger.mesh.internal", port_value: 9443 },
    });
  });

  it("accepts only the target's own SPIFFE ID as the peer's URI SAN", () => {
    for (const target of [PAYMENTS, LEDGER]) {
      const validation = tlsContext(config, target.name).common_tls_context.combined_validation_context;
      expect(validation.default_validation_context).toEqual({
        match_typed_subject_alt_names: [{ san_type: "URI", matcher: { exact: target.spiffeId } }],
      });
    }
  });

  it("presents the Farcar's SVID and trusts the mesh bundle, both from watched SDS files", () => {
    const context = tlsContext(config, "payments").common_tls_context;
    expect(context.tls_certificate_sds_secret_configs).toEqual([
      { name: SDS_SECRET_NAMES.certificate, sds_config: fileSdsConfig("certificateSds") },
    ]);
    expect(context.combined_validation_context.validation_context_sds_secret_config).toEqual({
      name: SDS_SECRET_NAMES.trustBundle,
      sds_config: fileSdsConfig("trustBundleSds"),
    });
    expect(context.tls_certificate_sds_secret_configs[0].sds_config.path_config_source).toEqual({
      path: identityPath("certificateSds"),
      watched_directory: { path: IDENTITY_DIR },
    });
  });

  it("sends the target host as SNI and refuses anything older than TLS 1.2", () => {
    const tls = tlsContext(config, "ledger");
    expect(tls.sni).toBe("ledger.mesh.internal");
    expect(tls.common_tls_context.tls_params.tls_minimum_protocol_version).toBe("TLSv1_2");
  });

  it("speaks HTTP/1.1 upstream by default and HTTP/2 (ALPN h2) when asked", () => {
    const options = (c: Json): Json => c.typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"];
    expect(options(cluster(config, "target_payments")).explicit_http_config).toEqual({ http_protocol_options: {} });
    expect(tlsContext(config, "payments").common_tls_context.alpn_protocols).toEqual(["http/1.1"]);
    const h2 = farcarBootstrap({ ...INPUT, upstreamProtocol: "http2" });
    expect(options(cluster(h2, "target_payments")).explicit_http_config).toEqual({ http2_protocol_options: {} });
    expect(tlsContext(h2, "payments").common_tls_context.alpn_protocols).toEqual(["h2"]);
  });

  it("bounds each target with a circuit breaker", () => {
    expect(cluster(config, "target_payments").circuit_breakers.thresholds).toEqual([
      { priority: "DEFAULT", max_connections: 1024, max_pending_requests: 1024, max_requests: 1024, max_retries: 3 },
    ]);
  });
});

// ----- listeners, admin and limits ---------------------------------------------------------------------

describe("listeners, admin and limits", () => {
  const config = farcarBootstrap(INPUT);

  it("binds admin to loopback only, on a port no listener uses", () => {
    expect(config.admin.address).toEqual({ socket_address: { address: "127.0.0.1", port_value: FARCAR_PORTS.admin } });
    const ports = (config.static_resources.listeners as Json[]).map((l) => l.address.socket_address.port_value);
    expect(ports).not.toContain(FARCAR_PORTS.admin);
  });

  it("serves traffic and health on separate 0.0.0.0 listeners", () => {
    const traffic = listener(config, FARCAR_LISTENER_NAMES.traffic);
    const health = listener(config, FARCAR_LISTENER_NAMES.health);
    expect(traffic.address.socket_address).toEqual({ address: "0.0.0.0", port_value: 8080 });
    expect(health.address.socket_address).toEqual({ address: "0.0.0.0", port_value: 8081 });
  });

  it("answers health checks from Envoy's own drain state, on the health listener only", () => {
    const health = hcm(config, FARCAR_LISTENER_NAMES.health);
    expect(health.http_filters.map((f: Json) => f.name)).toEqual(["envoy.filters.http.health_check", "envoy.filters.http.router"]);
    expect(health.http_filters[0].typed_config).toMatchObject({
      pass_through_mode: false,
      headers: [{ name: ":path", string_match: { exact: HEALTH_CHECK_PATH } }],
    });
    // Nothing on the health listener reaches a target.
    expect(JSON.stringify(health.route_config)).not.toContain('"cluster"');
    const traffic = hcm(config, FARCAR_LISTENER_NAMES.traffic);
    expect(traffic.http_filters.map((f: Json) => f.name)).not.toContain("envoy.filters.http.health_check");
  });

  it("rejects bodies over 10 MiB before the router", () => {
    const filters = hcm(config, FARCAR_LISTENER_NAMES.traffic).http_filters;
    expect(filters.map((f: Json) => f.name)).toEqual(["envoy.filters.http.buffer", "envoy.filters.http.router"]);
    expect(filters[0].typed_config.max_request_bytes).toBe(MAX_REQUEST_BYTES);
    expect(MAX_REQUEST_BYTES).toBe(10485760);
  });

  it("moves every port when told to", () => {
    const moved = farcarBootstrap({ ...INPUT, listenerPort: 18080, healthPort: 18081, adminPort: 19901 });
    expect(listener(moved, FARCAR_LISTENER_NAMES.traffic).address.socket_address.port_value).toBe(18080);
    expect(listener(moved, FARCAR_LISTENER_NAMES.health).address.socket_address.port_value).toBe(18081);
    expect(moved.admin.address).toEqual({ socket_address: { address: "127.0.0.1", port_value: 19901 } });
  });

  it("logs JSON to stdout with the target, status, duration and the peer's verified identity", () => {
    const [log] = hcm(config, FARCAR_LISTENER_NAMES.traffic).access_log;
    expect(log.name).toBe("envoy.access_loggers.stdout");
    expect(log.typed_config.log_format.json_format).toMatchObject({
      target: "%ROUTE_NAME%",
      response_code: "%RESPONSE_CODE%",
      duration_ms: "%DURATION%",
      upstream_peer_uri_san: "%UPSTREAM_PEER_URI_SAN%",
      upstream_host: "%UPSTREAM_HOST%",
      farcar_spiffe_id: INPUT.spiffeId,
    });
  });
});

// ----- the API check ------------------------------------------------------------------------------------

describe("the generated bootstrap against Envoy's API protos", () => {
  const variants: Array<[string, FarcarEnvoyInput]> = [
    ["defaults", INPUT],
    ["one target over HTTP/2, every tuning option changed", { ...INPUT, targets: [PAYMENTS], ...NON_DEFAULT_TUNING }],
    ["many targets", { ...INPUT, targets: Array.from({ length: 12 }, (_, i) => ({ ...PAYMENTS, name: `svc${i}` })) }],
  ];

  it.each(variants)("is valid: %s", (_name, input) => {
    const errors = validateBootstrap(farcarBootstrap(input));
    expect(formatValidationErrors(errors)).toBe("");
  });
});

// ----- input errors ---------------------------------------------------------------------------------------

describe("invalid input fails at once with the field, the value and the fix", () => {
  const cases: Array<[string, Partial<FarcarEnvoyInput>, RegExp]> = [
    ["a route timeout API Gateway would beat", { timeouts: { routeSec: 29 } }, /routeSec 29 must be below API Gateway's 29 s/],
    ["no targets", { targets: [] }, /targets is empty/],
    ["a duplicate target", { targets: [PAYMENTS, PAYMENTS] }, /targets\[1\]\.name "payments" is listed twice/],
    ["a target SPIFFE ID that is not one", { targets: [{ ...PAYMENTS, spiffeId: "https://payments" }] }, /targets\[0\]\.spiffeId "https:\/\/payments" is not a SPIFFE ID/],
    ["an address without a port", { targets: [{ ...PAYMENTS, address: "payments.mesh.internal" }] }, /targets\[0\]\.address .* must be host:port/],
    ["a target name that is not a DNS label", { targets: [{ ...PAYMENTS, name: "Payments_1" }] }, /targets\[0\]\.name "Payments_1"/],
    ["clashing ports", { healthPort: 8080 }, /must all differ/],
    ["a stream idle timeout shorter than the route", { timeouts: { streamIdleSec: 20 } }, /streamIdleSec 20 must exceed timeouts.routeSec 25/],
    ["a header name with upper case", { stripRequestHeaders: ["X-Caller"] }, /"X-Caller" is not a lowercase HTTP header name/],
    ["an upstream protocol other than http1 or http2", { upstreamProtocol: "h2c" as "http2" }, /upstreamProtocol "h2c" must be "http1" or "http2"/],
  ];

  it.each(cases)("rejects %s", (_name, override, message) => {
    const build = (): unknown => farcarBootstrap({ ...INPUT, ...override });
    expect(build).toThrow(FarcarEnvoyInputError);
    expect(build).toThrow(message);
  });
});
