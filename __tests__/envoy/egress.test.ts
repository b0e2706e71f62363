/**
 * Behaviour of the egress Farcar bootstrap (parent service → acquisition service): one upstream,
 * called with the acquisition's native identity — SigV4 re-signing, mTLS, or an injected header —
 * and none of the caller's own credentials.
 */
import {
  API_GATEWAY_INTEGRATION_TIMEOUT_SEC,
  DEFAULT_DRAIN_TIMING,
  FARCAR_LISTENER_NAMES,
  FARCAR_PORTS,
  HEALTH_CHECK_PATH,
  MAX_REQUEST_BYTES,
  REJECTED_PATH_BODY,
  REJECTED_PATH_ROUTE,
  TARGET_HEADER,
  farcarBootstrap,
  type EnvoyBootstrap,
} from "../../envoy/bootstrap";
import {
  AWS_CONTAINER_CREDENTIALS_FULL_URI_ENV,
  CALLER_CREDENTIAL_HEADERS,
  EGRESS_AWS_CREDENTIALS_ENDPOINT,
  EGRESS_FILTER_NAMES,
  EGRESS_IDENTITY_FILES,
  EGRESS_SDS_SECRET_NAMES,
  FarcarEgressInputError,
  SYSTEM_CA_BUNDLE_FILE,
  egressAwsCredentialsUri,
  egressClusterName,
  egressContainerLaunch,
  egressIdentityNeeds,
  egressIdentityPath,
  egressRoleSessionName,
  farcarEgressBootstrap,
  headerCredentialSdsConfig,
  headerCredentialSdsDocument,
  type EgressUpstreamAuth,
  type FarcarEgressInput,
} from "../../envoy/egress";
import { IDENTITY_DIR, IDENTITY_FILES, SDS_SECRET_NAMES } from "../../envoy/identity-files";
import { ENVOY_ADMIN_PORT_ENV, ENVOY_CONFIG_ENV, ENVOY_CONTAINER_USER, envoyContainerLaunch } from "../../envoy/render";
import { fileSdsConfig } from "../../envoy/sds";
import { formatValidationErrors, validateBootstrap, validateSdsDocument } from "../../envoy/validate";
import { DEFAULT_FLEET_FILE, loadFleet } from "../../config/load";
import type { UpstreamAuth } from "../../config/fleet";
import { NON_DEFAULT_TUNING } from "./support/tuning";

// ----- fixtures and navigation helpers ----------------------------------------------------------

const BASE = { acquisition: "afterpay", environment: "production" } as const;

const SIGV4: FarcarEgressInput = {
  ...BASE,
  service: "risk-scores",
  upstream: { url: "https://risk.afterpay.internal", auth: { kind: "sigv4", service: "execute-api", region: "ap-southeast-2" } },
};
const SIGV4_ROLE: FarcarEgressInput = {
  ...SIGV4,
  upstream: {
    ...SIGV4.upstream,
    auth: { kind: "sigv4", service: "execute-api", region: "ap-southeast-2", roleArn: "arn:aws:iam::666666666666:role/farcar-risk-invoker" },
  },
};
const MTLS: FarcarEgressInput = {
  ...BASE,
  service: "merchant-profile",
  upstream: { url: "https://merchants.afterpay.internal:8443", auth: { kind: "mtls", caBundlePem: "-----BEGIN CERTIFICATE-----\n…" } },
};
const HEADER: FarcarEgressInput = {
  acquisition: "tidal",
  environment: "production",
  service: "catalog",
  upstream: { url: "https://catalog.tidal.internal", auth: { kind: "header", name: "X-Api-Key" } },
};

type Json = Record<string, any>;

function listener(config: EnvoyBootstrap, name: string): Json {
  const found = (config.static_resources.listeners as Json[]).find((l) => l.name === name);
  if (!found) throw new Error(`no listener ${name}`);
  return found;
}

function hcm(config: EnvoyBootstrap, listenerName: string = FARCAR_LISTENER_NAMES.traffic): Json {
  return listener(config, listenerName).filter_chains[0].filters[0].typed_config;
}

/** The routes after the shared REJECTED_PATH_ROUTE (path rules: __tests__/envoy/routing.test.ts). */
function routes(config: EnvoyBootstrap): Json[] {
  const all: Json[] = hcm(config).route_config.virtual_hosts[0].routes;
  expect(all[0].name).toBe(REJECTED_PATH_ROUTE);
  return all.slice(1);
}

function onlyCluster(config: EnvoyBootstrap): Json {
  expect(config.static_resources.clusters).toHaveLength(1);
  return config.static_resources.clusters[0] as Json;
}

function protocolOptions(config: EnvoyBootstrap): Json {
  return onlyCluster(config).typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"];
}

function upstreamFilters(config: EnvoyBootstrap): Json[] {
  return protocolOptions(config).http_filters ?? [];
}

function tls(config: EnvoyBootstrap): Json {
  return onlyCluster(config).transport_socket.typed_config;
}

function durationSec(value: string): number {
  expect(value).toMatch(/^\d+(\.\d+)?s$/);
  return parseFloat(value);
}

function expectValid(config: EnvoyBootstrap): void {
  expect(formatValidationErrors(validateBootstrap(config))).toBe("");
}

// ----- sigv4 ----------------------------------------------------------------------------------------

describe("sigv4: re-signed for the acquisition's API", () => {
  const config = farcarEgressBootstrap(SIGV4);

  it("signs in the cluster's upstream filter chain with the service, region and upstream host", () => {
    expect(upstreamFilters(config).map((f) => f.name)).toEqual([EGRESS_FILTER_NAMES.awsRequestSigning, EGRESS_FILTER_NAMES.upstreamCodec]);
    expect(upstreamFilters(config)[0].typed_config).toMatchObject({
      "@type": "type.googleapis.com/envoy.extensions.filters.http.aws_request_signing.v3.AwsRequestSigning",
      service_name: "execute-api",
      region: "ap-southeast-2",
      host_rewrite: "risk.afterpay.internal",
      use_unsigned_payload: false,
      signing_algorithm: "AWS_SIGV4",
    });
  });

  it("does not sign downstream, where the path is not yet rewritten", () => {
    expect(hcm(config).http_filters.map((f: Json) => f.name)).toEqual(["envoy.filters.http.buffer", "envoy.filters.http.router"]);
  });

  it("carries no credentials: the default chain (ECS task role) supplies them at run time", () => {
    const text = JSON.stringify(config);
    expect(text).not.toMatch(/credential_provider|access_key|secret_access_key|session_token|AKIA|ASIA/);
    expect(egressIdentityNeeds(SIGV4.upstream.auth)).toEqual({
      clientCertificate: false,
      trustBundle: false,
      headerSecret: false,
      sigv4Signer: "taskRole",
    });
    const env = egressContainerLaunch(SIGV4).environment.map((e) => e.name);
    expect(env).not.toContain(AWS_CONTAINER_CREDENTIALS_FULL_URI_ENV);
  });

  it("with roleArn: same bootstrap, the assumed role's keys come from the sidecar's loopback endpoint", () => {
    expect(farcarEgressBootstrap(SIGV4_ROLE)).toEqual(config);
    const needs = egressIdentityNeeds(SIGV4_ROLE.upstream.auth);
    expect(needs).toEqual({
      clientCertificate: false,
      trustBundle: false,
      headerSecret: false,
      sigv4Signer: "assumedRole",
      sigv4AssumeRoleArn: "arn:aws:iam::666666666666:role/farcar-risk-invoker",
      awsCredentialsEndpoint: "http://127.0.0.1:9911/farcar/v1/aws-credentials",
    });
    const launch = egressContainerLaunch(SIGV4_ROLE);
    expect(launch.environment).toContainEqual({ name: AWS_CONTAINER_CREDENTIALS_FULL_URI_ENV, value: egressAwsCredentialsUri() });
    // Loopback only, never mapped.
    expect(egressAwsCredentialsUri()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(launch.portMappings.map((p) => p.containerPort)).not.toContain(EGRESS_AWS_CREDENTIALS_ENDPOINT.port);
  });

  it("names the assumed-role session after the Farcar, within STS's 64 characters and without collisions", () => {
    expect(egressRoleSessionName(SIGV4_ROLE)).toBe("farcar-afterpay-production-risk-scores");
    const long = { acquisition: "a".repeat(30), environment: "b".repeat(20), service: "c".repeat(30) };
    const name = egressRoleSessionName(long);
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).toMatch(/^[\w+=,.@-]+$/);
    expect(egressRoleSessionName({ ...long, service: `${"c".repeat(29)}d` })).not.toBe(name);
  });

  it("verifies the upstream's certificate against the system CAs and its host name", () => {
    expect(tls(config).sni).toBe("risk.afterpay.internal");
    expect(tls(config).common_tls_context.validation_context).toEqual({
      trusted_ca: { filename: SYSTEM_CA_BUNDLE_FILE },
      match_typed_subject_alt_names: [{ san_type: "DNS", matcher: { exact: "risk.afterpay.internal" } }],
    });
    expect(tls(config).common_tls_context.tls_certificate_sds_secret_configs).toBeUndefined();
  });

  it("can trust the acquisition's private CA (SDS trust bundle) instead", () => {
    const custom = farcarEgressBootstrap({ ...SIGV4, upstreamCa: "trustBundle" });
    expect(tls(custom).common_tls_context.combined_validation_context).toEqual({
      default_validation_context: {
        match_typed_subject_alt_names: [{ san_type: "DNS", matcher: { exact: "risk.afterpay.internal" } }],
      },
      validation_context_sds_secret_config: { name: SDS_SECRET_NAMES.trustBundle, sds_config: fileSdsConfig("trustBundleSds") },
    });
    expect(egressIdentityNeeds(SIGV4.upstream.auth, { upstreamCa: "trustBundle" }).trustBundle).toBe(true);
    expectValid(custom);
  });

  it("rewrites the path under the URL's base path, and signs the rewritten request", () => {
    const based = farcarEgressBootstrap({ ...SIGV4, upstream: { ...SIGV4.upstream, url: "https://risk.afterpay.internal/prod/v1" } });
    expect(routes(based)[0].route.prefix_rewrite).toBe("/prod/v1/");
    expect(routes(config)[0].route.prefix_rewrite).toBeUndefined();
    // The signer is an upstream filter, so it runs after the router applied prefix_rewrite.
    expect(upstreamFilters(based)[0].name).toBe(EGRESS_FILTER_NAMES.awsRequestSigning);
  });
});

// ----- mtls -----------------------------------------------------------------------------------------

describe("mtls: the acquisition's own PKI", () => {
  const config = farcarEgressBootstrap(MTLS);
  const context = (c: EnvoyBootstrap): Json => tls(c).common_tls_context;

  it("presents the client certificate and trusts the CA bundle from the same SDS files as ingress", () => {
    expect(context(config).tls_certificate_sds_secret_configs).toEqual([
      { name: SDS_SECRET_NAMES.certificate, sds_config: fileSdsConfig("certificateSds") },
    ]);
    expect(context(config).combined_validation_context.validation_context_sds_secret_config).toEqual({
      name: SDS_SECRET_NAMES.trustBundle,
      sds_config: fileSdsConfig("trustBundleSds"),
    });
    // The bundle itself travels to the sidecar, never into the bootstrap.
    expect(JSON.stringify(config)).not.toContain("BEGIN CERTIFICATE");
    expect(egressIdentityNeeds(MTLS.upstream.auth)).toEqual({ clientCertificate: true, trustBundle: true, headerSecret: false });
  });

  it("checks the upstream host as a DNS SAN by default and sends it as SNI", () => {
    expect(tls(config).sni).toBe("merchants.afterpay.internal");
    expect(context(config).combined_validation_context.default_validation_context).toEqual({
      match_typed_subject_alt_names: [{ san_type: "DNS", matcher: { exact: "merchants.afterpay.internal" } }],
    });
  });

  it.each([
    ["spiffe://afterpay.example/merchants", "URI"],
    ["urn://merchants", "URI"],
    ["merchants.internal.afterpay.example", "DNS"],
    ["10.1.2.3", "IP_ADDRESS"],
  ])("checks serverSan %s as a %s SAN", (serverSan, sanType) => {
    const custom = farcarEgressBootstrap({ ...MTLS, upstream: { ...MTLS.upstream, auth: { kind: "mtls", serverSan } } });
    expect(context(custom).combined_validation_context.default_validation_context.match_typed_subject_alt_names).toEqual([
      { san_type: sanType, matcher: { exact: serverSan } },
    ]);
    expect(tls(custom).sni).toBe("merchants.afterpay.internal");
  });

  it("sends no SNI to an IP upstream and expects its IP SAN", () => {
    const ip = farcarEgressBootstrap({ ...MTLS, upstream: { ...MTLS.upstream, url: "https://10.20.30.40:8443" } });
    expect(tls(ip).sni).toBeUndefined();
    expect(context(ip).combined_validation_context.default_validation_context.match_typed_subject_alt_names).toEqual([
      { san_type: "IP_ADDRESS", matcher: { exact: "10.20.30.40" } },
    ]);
    expectValid(ip);
  });

  it("adds no upstream HTTP filter: the certificate is the identity", () => {
    expect(protocolOptions(config).http_filters).toBeUndefined();
  });
});

// ----- header ---------------------------------------------------------------------------------------

describe("header: a static credential injected from a watched file", () => {
  const config = farcarEgressBootstrap(HEADER);
  const injector = (): Json => upstreamFilters(config)[0].typed_config;

  it("injects the header (lowercased) from an SDS generic secret, overwriting, and refuses to send without it", () => {
    expect(upstreamFilters(config).map((f) => f.name)).toEqual([EGRESS_FILTER_NAMES.credentialInjector, EGRESS_FILTER_NAMES.upstreamCodec]);
    expect(injector()).toEqual({
      "@type": "type.googleapis.com/envoy.extensions.filters.http.credential_injector.v3.CredentialInjector",
      overwrite: true,
      allow_request_without_credential: false,
      credential: {
        name: "envoy.http.injected_credentials.generic",
        typed_config: {
          "@type": "type.googleapis.com/envoy.extensions.http.injected_credentials.generic.v3.Generic",
          credential: { name: EGRESS_SDS_SECRET_NAMES.headerCredential, sds_config: headerCredentialSdsConfig() },
          header: "x-api-key",
        },
      },
    });
  });

  it("reads the value from the file the sidecar writes, watched for rotation", () => {
    expect(egressIdentityPath("headerCredential")).toBe(`${IDENTITY_DIR}/${EGRESS_IDENTITY_FILES.headerCredential}`);
    expect(headerCredentialSdsConfig()).toEqual({
      path_config_source: { path: egressIdentityPath("headerCredentialSds"), watched_directory: { path: IDENTITY_DIR } },
      resource_api_version: "V3",
    });
    expect(headerCredentialSdsDocument().resources[0]).toMatchObject({
      name: EGRESS_SDS_SECRET_NAMES.headerCredential,
      generic_secret: { secret: { filename: egressIdentityPath("headerCredential") } },
    });
    expect(validateSdsDocument(headerCredentialSdsDocument())).toEqual([]);
    // New files only: the ingress contract keeps its own names.
    expect(Object.values(IDENTITY_FILES)).not.toEqual(expect.arrayContaining(Object.values(EGRESS_IDENTITY_FILES)));
    expect(egressIdentityNeeds(HEADER.upstream.auth)).toEqual({
      clientCertificate: false,
      trustBundle: false,
      headerSecret: true,
      headerName: "x-api-key",
    });
  });

  it("removes the caller's copy of the header before the injection (route level, ahead of upstream filters)", () => {
    expect(hcm(config).route_config.request_headers_to_remove).toContain("x-api-key");
    expect(hcm(config).http_filters.map((f: Json) => f.name)).not.toContain(EGRESS_FILTER_NAMES.credentialInjector);
  });

  it("never logs the injected header, and the bootstrap holds no value", () => {
    const log = JSON.stringify(hcm(config).access_log);
    expect(log.toLowerCase()).not.toContain("x-api-key");
    // The only inline data is the body of the 400 for dot-segment paths.
    const inline = JSON.stringify(config).match(/"inline_(string|bytes)":"(?:[^"\\]|\\.)*"/g) ?? [];
    expect(inline).toEqual([`"inline_string":${JSON.stringify(REJECTED_PATH_BODY)}`]);
  });

  it("accepts Authorization as the credential header (e.g. a bearer token) and still strips the caller's", () => {
    const bearer = farcarEgressBootstrap({ ...HEADER, upstream: { ...HEADER.upstream, auth: { kind: "header", name: "Authorization" } } });
    expect(upstreamFilters(bearer)[0].typed_config.credential.typed_config.header).toBe("authorization");
    expect(hcm(bearer).route_config.request_headers_to_remove).toContain("authorization");
    expectValid(bearer);
  });
});

// ----- common to every kind -------------------------------------------------------------------------

describe.each([
  ["sigv4", SIGV4],
  ["mtls", MTLS],
  ["header", HEADER],
])("every kind (%s)", (_kind, input) => {
  const config = farcarEgressBootstrap(input);
  const manager = hcm(config);

  it("has one route to one cluster, with the Host rewritten to the upstream", () => {
    expect(routes(config)).toHaveLength(1);
    const [route] = routes(config);
    expect(route.match).toEqual({ prefix: "/" });
    expect(route.route.cluster).toBe(egressClusterName(input.service));
    expect(onlyCluster(config).name).toBe(egressClusterName(input.service));
    expect(route.route.host_rewrite_literal).toBe(new URL(input.upstream.url).host);
  });

  it("resolves the upstream by DNS, on the URL's port (443 by default for https)", () => {
    const url = new URL(input.upstream.url);
    const cluster = onlyCluster(config);
    expect(cluster.type).toBe("STRICT_DNS");
    expect(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({
      address: url.hostname,
      port_value: url.port ? Number(url.port) : 443,
    });
    expect(cluster.transport_socket.name).toBe("envoy.transport_sockets.tls");
    expect(tls(config).common_tls_context.tls_params.tls_minimum_protocol_version).toBe("TLSv1_2");
  });

  it("removes the caller's credentials and every identity-claiming header before forwarding", () => {
    const removed = manager.route_config.request_headers_to_remove;
    for (const header of [...CALLER_CREDENTIAL_HEADERS, "x-forwarded-client-cert", "x-envoy-retry-on", "x-envoy-internal", TARGET_HEADER]) {
      expect(removed).toContain(header);
    }
    expect(manager.route_config.internal_only_headers).toContain("x-envoy-upstream-rq-timeout-ms");
    expect(manager.forward_client_cert_details).toBe("SANITIZE");
    expect(manager.use_remote_address).toBe(true);
    expect(manager.internal_address_config).toEqual({ cidr_ranges: [{ address_prefix: "127.0.0.1", prefix_len: 32 }] });
    expect(manager.http_filters.at(-1).typed_config.suppress_envoy_headers).toBe(true);
  });

  it("logs JSON without any credential header", () => {
    const [log] = manager.access_log;
    expect(log.name).toBe("envoy.access_loggers.stdout");
    const format = log.typed_config.log_format.json_format;
    expect(format).toMatchObject({ direction: "egress", service: input.service, response_code: "%RESPONSE_CODE%", upstream_auth: input.upstream.auth.kind });
    // Exactly these request headers are read; none of them carries a credential.
    const read = [...JSON.stringify(format).matchAll(/%REQ(?:_WITHOUT_QUERY)?\(([^)]+)\)/g)].map((m) => m[1].toLowerCase());
    expect(read.sort()).toEqual([":method", ":path", "user-agent", "x-amzn-trace-id", "x-forwarded-for", "x-request-id"]);
    for (const secret of [...CALLER_CREDENTIAL_HEADERS, "x-api-key", "cookie"]) expect(read).not.toContain(secret);
    // The path without its query string: a presigned request carries credentials there.
    expect(format.path).toBe("%REQ_WITHOUT_QUERY(:PATH)%");
    expect(JSON.stringify(format)).not.toMatch(/%(REQUEST_HEADERS|DYNAMIC_METADATA|FILTER_STATE)/);
  });

  it("gives up before API Gateway does and retries only what never reached the upstream", () => {
    const [route] = routes(config);
    expect(durationSec(route.route.timeout)).toBeLessThan(API_GATEWAY_INTEGRATION_TIMEOUT_SEC);
    expect(route.route.retry_policy.retry_on).toBe("connect-failure,reset-before-request");
    expect(onlyCluster(config).circuit_breakers.thresholds[0]).toMatchObject({ priority: "DEFAULT", max_connections: 1024 });
  });

  it("rejects bodies over 10 MiB, binds admin to loopback and answers health on its own listener", () => {
    expect(manager.http_filters[0]).toMatchObject({ name: "envoy.filters.http.buffer", typed_config: { max_request_bytes: MAX_REQUEST_BYTES } });
    expect(config.admin.address).toEqual({ socket_address: { address: "127.0.0.1", port_value: FARCAR_PORTS.admin } });
    expect(listener(config, FARCAR_LISTENER_NAMES.traffic).address.socket_address).toEqual({ address: "0.0.0.0", port_value: 8080 });
    const health = listener(config, FARCAR_LISTENER_NAMES.health);
    expect(health.address.socket_address).toEqual({ address: "0.0.0.0", port_value: 8081 });
    expect(hcm(config, FARCAR_LISTENER_NAMES.health).http_filters[0].typed_config.headers).toEqual([
      { name: ":path", string_match: { exact: HEALTH_CHECK_PATH } },
    ]);
    // The very same health listener as the ingress Farcar.
    const ingress = farcarBootstrap({
      ...BASE,
      service: "checkout",
      spiffeId: "spiffe://block.example/checkout",
      targets: [{ name: "payments", spiffeId: "spiffe://block.example/payments", address: "payments.mesh.internal:8443" }],
    });
    expect(health).toEqual(listener(ingress, FARCAR_LISTENER_NAMES.health));
  });

  it("is valid against Envoy's API protos", () => {
    expectValid(config);
  });
});

describe("plain http upstreams", () => {
  it("use port 80 and no TLS", () => {
    const plain = farcarEgressBootstrap({ ...HEADER, upstream: { ...HEADER.upstream, url: "http://catalog.tidal.internal/v2" } });
    const cluster = onlyCluster(plain);
    expect(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value).toBe(80);
    expect(cluster.transport_socket).toBeUndefined();
    expect(routes(plain)[0].route.prefix_rewrite).toBe("/v2/");
    expectValid(plain);
  });
});

// ----- container launch -----------------------------------------------------------------------------

describe("egressContainerLaunch", () => {
  it("has the shape of the ingress launch contract and carries the egress bootstrap", () => {
    const launch = egressContainerLaunch(MTLS);
    const ingress = envoyContainerLaunch({
      ...BASE,
      service: "checkout",
      spiffeId: "spiffe://block.example/checkout",
      targets: [{ name: "payments", spiffeId: "spiffe://block.example/payments", address: "payments.mesh.internal:8443" }],
    });
    expect(Object.keys(launch).sort()).toEqual(Object.keys(ingress).sort());
    expect(launch.command).toEqual(ingress.command);
    expect(launch.user).toBe(ENVOY_CONTAINER_USER);
    expect(launch.stopTimeoutSec).toBe(DEFAULT_DRAIN_TIMING.stopTimeoutSec);
    expect(launch.deregistrationDelaySec).toBe(DEFAULT_DRAIN_TIMING.deregistrationDelaySec);
    const env = Object.fromEntries(launch.environment.map((e) => [e.name, e.value]));
    expect(JSON.parse(env[ENVOY_CONFIG_ENV])).toEqual(farcarEgressBootstrap(MTLS));
    expect(launch.bootstrap).toEqual(farcarEgressBootstrap(MTLS));
    expect(env[ENVOY_ADMIN_PORT_ENV]).toBe(String(FARCAR_PORTS.admin));
    expect(launch.portMappings.map((p) => p.containerPort)).toEqual([FARCAR_PORTS.listener, FARCAR_PORTS.health]);
  });

  it("follows the ports of the input", () => {
    const moved = egressContainerLaunch({ ...HEADER, listenerPort: 18080, healthPort: 18081, adminPort: 19901 });
    expect(moved.portMappings.map((p) => p.containerPort)).toEqual([18080, 18081]);
    expect(moved.environment).toContainEqual({ name: ENVOY_ADMIN_PORT_ENV, value: "19901" });
    expect(moved.bootstrap.admin.address).toEqual({ socket_address: { address: "127.0.0.1", port_value: 19901 } });
  });
});

// ----- the API check over every variant -------------------------------------------------------------

describe("the generated bootstraps against Envoy's API protos", () => {
  const variants: Array<[string, FarcarEgressInput]> = [
    ["sigv4", SIGV4],
    ["sigv4 with roleArn and a base path", { ...SIGV4_ROLE, upstream: { ...SIGV4_ROLE.upstream, url: "https://risk.afterpay.internal:4443/prod" } }],
    ["sigv4 over HTTP/2, every tuning option changed", { ...SIGV4, ...NON_DEFAULT_TUNING }],
    ["mtls with a SPIFFE server SAN", { ...MTLS, upstream: { ...MTLS.upstream, auth: { kind: "mtls", serverSan: "spiffe://afterpay.example/merchants" } } }],
    ["mtls to an IPv6 literal", { ...MTLS, upstream: { ...MTLS.upstream, url: "https://[fd00::10]:8443" } }],
    ["header over http", { ...HEADER, upstream: { ...HEADER.upstream, url: "http://catalog.tidal.internal:8080" } }],
    ["header with the private CA", { ...HEADER, upstreamCa: "trustBundle" }],
  ];

  it.each(variants)("is valid: %s", (_name, input) => {
    expectValid(farcarEgressBootstrap(input));
  });

  it("really checks the upstream filters (a typo there is caught)", () => {
    const config = JSON.parse(JSON.stringify(farcarEgressBootstrap(SIGV4)));
    const filters = config.static_resources.clusters[0].typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"].http_filters;
    filters[0].typed_config.servce_name = "execute-api";
    filters[1].typed_config["@type"] = "type.googleapis.com/envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodecc";
    const kinds = validateBootstrap(config).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(["unknown-field", "unknown-type"]));
  });

  it("is valid for every outbound service of the example fleet (all three kinds)", () => {
    const fleet = loadFleet(DEFAULT_FLEET_FILE);
    const outbound = fleet.environments.flatMap((env) => env.outbound.map((service) => ({ env, service })));
    expect(new Set(outbound.map(({ service }) => service.upstream.auth.kind))).toEqual(new Set(["sigv4", "mtls", "header"]));
    for (const { env, service } of outbound) {
      const config = farcarEgressBootstrap({
        acquisition: env.acquisition,
        environment: env.environment,
        service: service.name,
        upstream: service.upstream,
      });
      expectValid(config);
    }
  });
});

// ----- input errors ---------------------------------------------------------------------------------

describe("invalid input fails at once with the field, the value and the fix", () => {
  const withAuth = (auth: unknown): Partial<FarcarEgressInput> => ({ upstream: { url: SIGV4.upstream.url, auth: auth as EgressUpstreamAuth } });
  const withUrl = (url: string): Partial<FarcarEgressInput> => ({ upstream: { url, auth: SIGV4.upstream.auth } });
  const cases: Array<[string, Partial<FarcarEgressInput>, RegExp]> = [
    ["an unknown auth kind", withAuth({ kind: "oauth2", tokenUrl: "https://x" }), /upstream\.auth\.kind "oauth2" is not one of sigv4, mtls, header/],
    ["auth without a kind (the fleet-file shape)", withAuth({ sigv4: { service: "execute-api", region: "us-east-1" } }), /kind undefined is not one of sigv4, mtls, header \(got keys sigv4: pass the resolved fleet's upstream\.auth/],
    ["no auth", withAuth(undefined), /upstream\.auth is missing/],
    ["sigv4 without a region", withAuth({ kind: "sigv4", service: "execute-api" }), /upstream\.auth \(sigv4\) needs region/],
    ["sigv4 without a service", withAuth({ kind: "sigv4", region: "us-east-1" }), /upstream\.auth \(sigv4\) needs service/],
    ["sigv4 with a bad region", withAuth({ kind: "sigv4", service: "execute-api", region: "Sydney" }), /region "Sydney" is not an AWS region/],
    ["sigv4 with a bad role ARN", withAuth({ kind: "sigv4", service: "execute-api", region: "us-east-1", roleArn: "farcar-invoker" }), /roleArn "farcar-invoker" is not an IAM role ARN/],
    ["header without a name", withAuth({ kind: "header" }), /upstream\.auth \(header\) needs name/],
    ["header named Host", withAuth({ kind: "header", name: "Host" }), /"Host" is a header Envoy or HTTP controls/],
    ["header named x-envoy-*", withAuth({ kind: "header", name: "x-envoy-auth" }), /"x-envoy-auth" is a header Envoy or HTTP controls/],
    ["mtls over plain http", { upstream: { url: "http://merchants.afterpay.internal", auth: { kind: "mtls" } } }, /must be https for mtls/],
    ["mtls with the system CAs", { ...MTLS, service: "risk-scores", upstreamCa: "system" }, /upstreamCa "system" cannot be used with mtls/],
    ["a URL that is not one", withUrl("risk.afterpay.internal"), /upstream\.url "risk\.afterpay\.internal" is not a URL/],
    ["a URL with credentials", withUrl("https://user:pw@risk.afterpay.internal"), /must not carry credentials/],
    ["a URL with a query", withUrl("https://risk.afterpay.internal/?key=1"), /must not have a query or fragment/],
    ["a non-http URL", withUrl("ftp://risk.afterpay.internal"), /must be http\(s\)/],
    ["a route timeout API Gateway would beat", { timeouts: { routeSec: 29 } }, /routeSec 29 must be below API Gateway's 29 s/],
    ["clashing ports", { healthPort: 8080 }, /must all differ/],
    ["a service name that is not a DNS label", { service: "Risk_Scores" }, /service "Risk_Scores" must be a lowercase DNS label/],
  ];

  it.each(cases)("rejects %s", (_name, override, message) => {
    const build = (): unknown => farcarEgressBootstrap({ ...SIGV4, ...override });
    expect(build).toThrow(FarcarEgressInputError);
    expect(build).toThrow(message);
    expect(build).toThrow(/^Egress Farcar afterpay\/production\/[^:]+: /);
  });

  it("keeps the sidecar's credentials port free when roleArn is set", () => {
    expect(() => farcarEgressBootstrap({ ...SIGV4_ROLE, listenerPort: EGRESS_AWS_CREDENTIALS_ENDPOINT.port })).toThrow(
      /port 9911 is the identity sidecar's AWS credentials endpoint/,
    );
    expect(() => farcarEgressBootstrap({ ...SIGV4, listenerPort: EGRESS_AWS_CREDENTIALS_ENDPOINT.port })).not.toThrow();
  });

  it("egressIdentityNeeds refuses an unknown kind too", () => {
    expect(() => egressIdentityNeeds({ kind: "kerberos" } as unknown as EgressUpstreamAuth)).toThrow(/"kerberos" is not one of sigv4, mtls, header/);
  });
});

// ----- the fleet contract ---------------------------------------------------------------------------

describe("types", () => {
  it("accepts the resolved fleet's UpstreamAuth as is", () => {
    const fromFleet: UpstreamAuth = { kind: "mtls", caBundlePem: "pem", caBundlePath: "/x.pem", serverSan: "spiffe://a/b" };
    const auth: EgressUpstreamAuth = fromFleet; // compile-time check: structurally equal
    expect(egressIdentityNeeds(auth).clientCertificate).toBe(true);
  });
});
