/**
 * The strict validator: every class of mistake it exists to catch is caught, at the right JSON
 * path, starting from a bootstrap it accepts. Each negative test changes one thing.
 */
import { farcarBootstrap, targetClusterName, type FarcarEnvoyInput } from "../../envoy/bootstrap";
import { ENVOY_EXTENSIONS } from "../../envoy/extensions";
import { certificateSdsDocument, trustBundleSdsDocument } from "../../envoy/sds";
import {
  BOOTSTRAP_TYPE,
  formatValidationErrors,
  loadEnvoyApi,
  validateBootstrap,
  validateMessage,
  validateSdsDocument,
  type ValidationError,
} from "../../envoy/validate";

const INPUT: FarcarEnvoyInput = {
  acquisition: "afterpay",
  environment: "staging",
  service: "checkout",
  spiffeId: "spiffe://block.example/acquisition/afterpay/staging/checkout",
  targets: [{ name: "payments", spiffeId: "spiffe://block.example/payments", address: "payments.mesh.internal:8443" }],
};

type Json = Record<string, any>;

/** A fresh, mutable copy of the generated bootstrap, changed by `change`. */
function bootstrapWith(change: (config: Json) => void): Json {
  const config = structuredClone(farcarBootstrap(INPUT)) as Json;
  change(config);
  return config;
}

const TRAFFIC = "$.static_resources.listeners[0]";
const HCM = `${TRAFFIC}.filter_chains[0].filters[0].typed_config`;
const hcmOf = (config: Json): Json => config.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
/** The first target route (routes[0] is the shared rejected_path route). */
const routeOf = (config: Json): Json => hcmOf(config).route_config.virtual_hosts[0].routes[1];

/** The errors, reduced to what the assertions compare. */
function found(errors: ValidationError[]): Array<Pick<ValidationError, "path" | "kind">> {
  return errors.map(({ path, kind }) => ({ path, kind }));
}

beforeAll(() => {
  loadEnvoyApi();
});

describe("accepts", () => {
  it("the generated bootstrap", () => {
    expect(formatValidationErrors(validateBootstrap(farcarBootstrap(INPUT)))).toBe("");
  });

  it("both SDS documents the sidecar writes", () => {
    expect(validateSdsDocument(certificateSdsDocument())).toEqual([]);
    expect(validateSdsDocument(trustBundleSdsDocument())).toEqual([]);
  });

  it("64-bit integers as decimal strings, and well-known types packed in an Any", () => {
    const config = bootstrapWith((c) => {
      routeOf(c).route.retry_policy.host_selection_retry_max_attempts = "3";
      c.node.metadata = { nested: { list: [1, "two", null] } };
    });
    expect(validateBootstrap(config)).toEqual([]);
    const metadata = { typed_filter_metadata: { "farcar.example": { "@type": "type.googleapis.com/google.protobuf.Duration", value: "1.5s" } } };
    expect(validateMessage("envoy.config.core.v3.Metadata", metadata)).toEqual([]);
  });
});

describe("rejects, with the JSON path", () => {
  it("an unknown field at the top level", () => {
    const errors = validateBootstrap(bootstrapWith((c) => (c.static_resource = {})));
    expect(found(errors)).toEqual([{ path: "$.static_resource", kind: "unknown-field" }]);
    expect(errors[0].message).toContain('did you mean "static_resources"');
  });

  it("an unknown field inside a typed_config", () => {
    const errors = validateBootstrap(bootstrapWith((c) => (hcmOf(c).use_remote_adress = true)));
    expect(found(errors)).toEqual([{ path: `${HCM}.use_remote_adress`, kind: "unknown-field" }]);
    expect(errors[0].message).toContain("HttpConnectionManager");
  });

  it("an unknown field two Anys deep (a filter's typed_config inside the connection manager's)", () => {
    const errors = validateBootstrap(bootstrapWith((c) => (hcmOf(c).http_filters[1].typed_config.supress_envoy_headers = true)));
    expect(found(errors)).toEqual([{ path: `${HCM}.http_filters[1].typed_config.supress_envoy_headers`, kind: "unknown-field" }]);
  });

  it("a wrong enum value", () => {
    const errors = validateBootstrap(bootstrapWith((c) => (c.static_resources.clusters[0].type = "STRICTDNS")));
    expect(found(errors)).toEqual([{ path: "$.static_resources.clusters[0].type", kind: "enum" }]);
    expect(errors[0].message).toContain("STRICT_DNS");
  });

  it("an enum given as a number", () => {
    const errors = validateBootstrap(bootstrapWith((c) => (c.static_resources.clusters[0].lb_policy = 0)));
    expect(found(errors)).toEqual([{ path: "$.static_resources.clusters[0].lb_policy", kind: "enum" }]);
  });

  it("an @type that names no message", () => {
    const errors = validateBootstrap(
      bootstrapWith((c) => (hcmOf(c).http_filters[1].typed_config["@type"] = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Routr")),
    );
    expect(found(errors)).toEqual([{ path: `${HCM}.http_filters[1].typed_config["@type"]`, kind: "unknown-type" }]);
  });

  it("an Any without @type", () => {
    const errors = validateBootstrap(bootstrapWith((c) => delete hcmOf(c).http_filters[0].typed_config["@type"]));
    expect(found(errors)).toEqual([{ path: `${HCM}.http_filters[0].typed_config["@type"]`, kind: "unknown-type" }]);
  });

  it("a string where a number belongs", () => {
    const errors = validateBootstrap(bootstrapWith((c) => (c.admin.address.socket_address.port_value = "9901")));
    expect(found(errors)).toEqual([{ path: "$.admin.address.socket_address.port_value", kind: "type" }]);
  });

  it("a number where a bool belongs, and a uint32 out of range", () => {
    const errors = validateBootstrap(
      bootstrapWith((c) => {
        hcmOf(c).use_remote_address = 1;
        c.static_resources.listeners[1].address.socket_address.port_value = 2 ** 32;
      }),
    );
    expect(found(errors)).toEqual([
      { path: `${HCM}.use_remote_address`, kind: "type" },
      { path: "$.static_resources.listeners[1].address.socket_address.port_value", kind: "type" },
    ]);
  });

  it("a Duration without its unit", () => {
    const errors = validateBootstrap(bootstrapWith((c) => (c.static_resources.clusters[0].connect_timeout = "2")));
    expect(found(errors)).toEqual([{ path: "$.static_resources.clusters[0].connect_timeout", kind: "type" }]);
  });

  it("a UInt32Value wrapper written as an object", () => {
    const errors = validateBootstrap(bootstrapWith((c) => (hcmOf(c).http_filters[0].typed_config.max_request_bytes = { value: 10 })));
    expect(found(errors)).toEqual([{ path: `${HCM}.http_filters[0].typed_config.max_request_bytes`, kind: "type" }]);
  });

  it("two members of one oneof", () => {
    const errors = validateBootstrap(bootstrapWith((c) => (routeOf(c).direct_response = { status: 404 })));
    expect(found(errors)).toEqual([{ path: `${HCM}.route_config.virtual_hosts[0].routes[1].direct_response`, kind: "oneof" }]);
    expect(errors[0].message).toContain('oneof "action"');
  });

  it("no member of a oneof Envoy requires", () => {
    const errors = validateBootstrap(bootstrapWith((c) => delete routeOf(c).match.prefix));
    expect(found(errors)).toEqual([{ path: `${HCM}.route_config.virtual_hosts[0].routes[1].match`, kind: "oneof" }]);
  });

  it("a deprecated field", () => {
    const errors = validateBootstrap(bootstrapWith((c) => (c.static_resources.clusters[0].max_requests_per_connection = 100)));
    expect(found(errors)).toEqual([{ path: "$.static_resources.clusters[0].max_requests_per_connection", kind: "deprecated" }]);
  });

  it("a deprecated enum value", () => {
    const sds = bootstrapWith((c) => {
      const context = c.static_resources.clusters[0].transport_socket.typed_config.common_tls_context;
      context.tls_certificate_sds_secret_configs[0].sds_config.resource_api_version = "V2";
    });
    expect(found(validateBootstrap(sds))).toEqual([
      {
        path: "$.static_resources.clusters[0].transport_socket.typed_config.common_tls_context.tls_certificate_sds_secret_configs[0].sds_config.resource_api_version",
        kind: "deprecated",
      },
    ]);
  });

  it("lowerCamelCase field names, pointing at the snake_case one", () => {
    const errors = validateBootstrap(bootstrapWith((c) => (c.staticResources = c.static_resources)));
    expect(found(errors)).toEqual([{ path: "$.staticResources", kind: "unknown-field" }]);
    expect(errors[0].message).toContain('"static_resources"');
  });

  it("null, which Envoy would silently read as unset", () => {
    const errors = validateBootstrap(bootstrapWith((c) => (c.admin.access_log = null)));
    expect(found(errors)).toEqual([{ path: "$.admin.access_log", kind: "type" }]);
  });

  it("a protoc-gen-validate rule Envoy enforces (empty stat_prefix)", () => {
    const errors = validateBootstrap(bootstrapWith((c) => (hcmOf(c).stat_prefix = "")));
    expect(found(errors)).toEqual([{ path: `${HCM}.stat_prefix`, kind: "rule" }]);
  });

  it("a route to a cluster that is not defined, and a duplicate cluster", () => {
    const errors = validateBootstrap(
      bootstrapWith((c) => {
        routeOf(c).route.cluster = "target_ledger";
        c.static_resources.clusters.push(structuredClone(c.static_resources.clusters[0]));
      }),
    );
    expect(found(errors)).toEqual([
      { path: "$.static_resources.clusters[1].name", kind: "reference" },
      { path: `${HCM}.route_config.virtual_hosts[0].routes[1].route.cluster`, kind: "reference" },
    ]);
    expect(errors.map((e) => e.message).join("\n")).toContain(`duplicate cluster name "${targetClusterName("payments")}"`);
  });

  it("every error at once, not just the first", () => {
    const errors = validateBootstrap(
      bootstrapWith((c) => {
        c.bogus = 1;
        c.static_resources.clusters[0].type = "DNS";
        c.admin.address.socket_address.port_value = "x";
      }),
    );
    expect(errors.map((e) => e.kind).sort()).toEqual(["enum", "type", "unknown-field"]);
  });

  it("a well-known type packed in an Any with a malformed value", () => {
    const metadata = { typed_filter_metadata: { x: { "@type": "type.googleapis.com/google.protobuf.Duration", value: "1.5" } } };
    expect(found(validateMessage("envoy.config.core.v3.Metadata", metadata))).toEqual([
      { path: "$.typed_filter_metadata.x.value", kind: "type" },
    ]);
  });

  it("a TypedStruct whose payload does not fit the type it names", () => {
    const filter = {
      name: "envoy.filters.http.router",
      typed_config: {
        "@type": "type.googleapis.com/xds.type.v3.TypedStruct",
        type_url: "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router",
        value: { suppress_envoy_headers: true, dynamic_stats: "yes" },
      },
    };
    const type = "envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter";
    expect(found(validateMessage(type, filter))).toEqual([{ path: "$.typed_config.value.dynamic_stats", kind: "type" }]);
  });

  it("an SDS document holding something other than a Secret", () => {
    const document = { resources: [{ "@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster", name: "x" }] };
    expect(found(validateSdsDocument(document))).toEqual([{ path: '$.resources[0]["@type"]', kind: "unknown-type" }]);
  });
});

describe("extension names Envoy 1.39 registers (envoy/extensions.ts)", () => {
  it("refuses the overload monitor under its old name, with the name to use", () => {
    // GIVEN the name every bootstrap carried before: Envoy refused it at startup.
    const config = bootstrapWith((c) => {
      c.overload_manager.resource_monitors[0].name = "envoy.resource_monitors.downstream_connections";
    });
    // THEN the proto walk alone sees nothing wrong…
    expect(validateMessage(BOOTSTRAP_TYPE, config)).toEqual([]);
    // …and the bootstrap check names the place, the type and the fix.
    const errors = validateBootstrap(config);
    expect(found(errors)).toEqual([{ path: "$.overload_manager.resource_monitors[0].name", kind: "extension" }]);
    expect(errors[0].message).toContain(
      'registers envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig as ' +
        '"envoy.resource_monitors.global_downstream_max_connections", got name "envoy.resource_monitors.downstream_connections"',
    );
    expect(errors[0].message).toMatch(/refuses the bootstrap at startup/);
  });

  it("refuses a filter under another extension's name", () => {
    const config = bootstrapWith((c) => {
      hcmOf(c).http_filters[0].name = "envoy.filters.http.router";
    });
    const path = `${HCM}.http_filters[0].name`;
    expect(found(validateBootstrap(config))).toEqual([{ path, kind: "extension" }]);
  });

  it("refuses a type the table does not list, even one the API knows", () => {
    const config = bootstrapWith((c) => {
      hcmOf(c).http_filters.splice(0, 0, {
        name: "envoy.filters.http.cors",
        typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors" },
      });
    });
    const errors = validateBootstrap(config);
    expect(found(errors)).toEqual([{ path: `${HCM}.http_filters[0].name`, kind: "extension" }]);
    expect(errors[0].message).toMatch(/not in the table .* add it there/);
  });

  it("refuses an upstream-only filter among the downstream filters", () => {
    const config = bootstrapWith((c) => {
      hcmOf(c).http_filters.splice(0, 0, {
        name: "envoy.filters.http.upstream_codec",
        typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec" },
      });
    });
    expect(found(validateBootstrap(config))).toEqual([{ path: `${HCM}.http_filters[0].name`, kind: "extension" }]);
  });

  it("refuses a typed_extension_protocol_options key that is not the factory's name", () => {
    const config = bootstrapWith((c) => {
      const options = c.static_resources.clusters[0].typed_extension_protocol_options;
      options["envoy.upstreams.http.http_protocol_options"] = options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"];
      delete options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"];
    });
    expect(found(validateBootstrap(config))).toEqual([
      {
        path: '$.static_resources.clusters[0].typed_extension_protocol_options["envoy.upstreams.http.http_protocol_options"]',
        kind: "extension",
      },
    ]);
  });

  it("lists a source file for every entry, and each type once", () => {
    for (const entry of ENVOY_EXTENSIONS) expect(entry.source).toMatch(/^(source|envoy)\//);
    expect(new Set(ENVOY_EXTENSIONS.map((e) => e.type)).size).toBe(ENVOY_EXTENSIONS.length);
    // Every listed type exists in the API the proto walk uses.
    for (const entry of ENVOY_EXTENSIONS) expect(() => validateMessage(entry.type, {})).not.toThrow();
  });
});

describe("loading and speed", () => {
  it("loads the API once per process", () => {
    expect(loadEnvoyApi()).toBe(loadEnvoyApi());
    expect(loadEnvoyApi().fileCount).toBeGreaterThan(300);
  });

  it("refuses to validate against a type the API does not have", () => {
    expect(() => validateMessage("envoy.config.bootstrap.v3.Bootstrapp", {})).toThrow(/not a message type/);
    expect(BOOTSTRAP_TYPE).toBe("envoy.config.bootstrap.v3.Bootstrap");
  });

  it("validates fifty bootstraps well under a second once loaded", () => {
    const configs = Array.from({ length: 50 }, (_, i) =>
      farcarBootstrap({ ...INPUT, service: `svc${i}`, targets: [...INPUT.targets, { ...INPUT.targets[0], name: "ledger" }] }),
    );
    const started = performance.now();
    for (const config of configs) expect(validateBootstrap(config)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
