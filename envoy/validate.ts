/**
 * Strict validation of Envoy configuration against Envoy's own v3 API protos.
 *
 * There is no Envoy binary on the build machines, so this is the check that stands in for
 * `envoy --mode validate`: the JSON (proto-JSON, as Envoy parses it) is walked against the message
 * types of the real API — `envoy.config.bootstrap.v3.Bootstrap` for a bootstrap — and every error
 * is reported with its JSON path, not just the first one.
 *
 * The protos come from `@grpc/grpc-js-xds` (a devDependency: it ships envoy-api, cncf/xds,
 * googleapis and protoc-gen-validate under `deps/`). They are parsed once per process with
 * `protobufjs` and cached; validating a bootstrap afterwards takes about a millisecond.
 *
 * What fails (each error carries a `kind`):
 *   - `unknown-field`: a field the message does not have, at any depth, including inside
 *     `typed_config` and every other `google.protobuf.Any` (the `@type` is resolved and the payload
 *     is walked as that message). lowerCamelCase spellings are rejected too, with the snake_case
 *     name to use: Envoy would accept them, but we generate snake_case and one spelling keeps diffs
 *     and greps honest.
 *   - `unknown-type`: an `@type` that names no message in the API (or no `@type` at all).
 *   - `enum`: a value that is not a name of the enum. Numeric enum values, which proto-JSON also
 *     accepts, are rejected: names are what a reader can check.
 *   - `type`: the wrong JSON type for a field (string where a number belongs, a number out of the
 *     32/64-bit range, a malformed Duration such as `"2"` instead of `"2s"`, a non-base64 bytes
 *     value, an object where a list belongs, …). `null` is rejected everywhere except in
 *     `google.protobuf.Value`: proto-JSON reads it as "unset", which is never what a generator
 *     means; omit the field instead. 32-bit integers must be JSON numbers; 64-bit integers may be
 *     numbers or decimal strings, as proto-JSON writes them.
 *   - `oneof`: two members of the same oneof set, or none of a oneof Envoy requires
 *     (`(validate.required)`).
 *   - `deprecated`: a field, enum value or message marked `deprecated = true`, or one Envoy
 *     disallows by default (`envoy.annotations.disallowed_by_default`).
 *   - `rule`: a protoc-gen-validate rule Envoy enforces at load time (`message.required`, string
 *     lengths and header-name/value patterns, numeric and Duration bounds, list and map sizes, `in`
 *     / `not_in`). Rules this walker does not implement (`pattern`, `address`, `uri`, …) are skipped,
 *     not guessed.
 *   - `reference` (bootstraps only): a route naming a cluster that is not defined, or a duplicate
 *     listener or cluster name — Envoy rejects both when it loads a static bootstrap.
 *   - `extension` (bootstraps only): what the protos cannot express — an extension `typed_config`
 *     type the pinned Envoy does not register (per the table in envoy/extensions.ts), a `name` other
 *     than the one it is registered under (the overload manager refuses DownstreamConnectionsConfig
 *     under any name but `envoy.resource_monitors.global_downstream_max_connections`), or a type in a
 *     place its category does not belong (validateExtensions).
 *
 * Known limit: the API snapshot in `@grpc/grpc-js-xds` is older than the Envoy image we run
 * (see envoy/README.md). A field added after the snapshot is reported as unknown (so it cannot slip
 * through unchecked); a field deprecated after the snapshot is not caught here.
 *
 * This module imports `protobufjs`, a devDependency: it is for tests, scripts and benchmarks, never
 * for the synthesized stacks at run time.
 */
import * as fs from "fs";
import * as path from "path";
import * as protobuf from "protobufjs";
import { envoyExtension, type ExtensionPosition } from "./extensions";
import { SECRET_TYPE_URL, type SdsDocument } from "./sds";

/** Fully qualified name of the Envoy bootstrap message. */
export const BOOTSTRAP_TYPE = "envoy.config.bootstrap.v3.Bootstrap";
/** Fully qualified name of the xDS response that file-based SDS documents are parsed as. */
export const DISCOVERY_RESPONSE_TYPE = "envoy.service.discovery.v3.DiscoveryResponse";

export type ValidationErrorKind =
  | "unknown-field"
  | "unknown-type"
  | "enum"
  | "type"
  | "oneof"
  | "deprecated"
  | "rule"
  | "reference"
  | "extension";

export interface ValidationError {
  /** JSONPath of the offending value, e.g. `$.static_resources.clusters[0].connect_timeout`. */
  readonly path: string;
  readonly kind: ValidationErrorKind;
  /** What is wrong, the value received where it helps, and the fix. */
  readonly message: string;
}

/** The parsed API, shared by every validation in the process. */
export interface EnvoyApiSchema {
  readonly root: protobuf.Root;
  /** Number of .proto files parsed. */
  readonly fileCount: number;
  /** API files left out because an import is not shipped (e.g. OpenCensus, OpenTelemetry). */
  readonly skippedFiles: readonly string[];
  /** Wall-clock time the load took, in milliseconds. */
  readonly loadMs: number;
}

// ---------------------------------------------------------------------------------------------
// Loading the API
// ---------------------------------------------------------------------------------------------

/** Well-known types bundled with protobufjs (its `common` set); everything else is read from disk. */
const BUNDLED_WELL_KNOWN = new Set(
  ["any", "duration", "empty", "field_mask", "struct", "timestamp", "wrappers"].map(
    (n) => `google/protobuf/${n}.proto`,
  ),
);

let cachedSchema: EnvoyApiSchema | undefined;
/** Message types by name (`@type` lookups repeat a lot); filled lazily against cachedSchema.root. */
const typeCache = new Map<string, protobuf.Type | null>();

/**
 * Parses Envoy's v3 API (every v3 and v3alpha file under envoy/, plus the cncf/xds and udpa types
 * that may appear behind an `@type`) once per process and returns the cached result afterwards.
 */
export function loadEnvoyApi(): EnvoyApiSchema {
  if (cachedSchema) return cachedSchema;
  const started = performance.now();

  const deps = path.join(path.dirname(require.resolve("@grpc/grpc-js-xds/package.json")), "deps");
  const includeDirs = [
    path.join(deps, "envoy-api"),
    path.join(deps, "xds"),
    path.join(deps, "googleapis"),
    path.join(deps, "protoc-gen-validate"),
    // google/protobuf/descriptor.proto, which the annotation protos extend.
    path.dirname(require.resolve("protobufjs/package.json")),
  ];
  const located = new Map<string, string | undefined>();
  const locate = (file: string): string | undefined => {
    if (!located.has(file)) {
      located.set(file, includeDirs.map((dir) => path.join(dir, file)).find((candidate) => fs.existsSync(candidate)));
    }
    return located.get(file);
  };

  const entryFiles = [
    ...protoFilesUnder(path.join(deps, "envoy-api"), "envoy"),
    ...protoFilesUnder(path.join(deps, "xds"), "xds"),
    ...protoFilesUnder(path.join(deps, "xds"), "udpa"),
  ].filter((file) => /\/v3(alpha)?\/|^udpa\/type\/v1\//.test(file));

  // Leave out files whose imports (transitively) are not shipped, instead of failing the load.
  const loadable = new Map<string, boolean>();
  const isLoadable = (file: string, visiting: Set<string>): boolean => {
    if (BUNDLED_WELL_KNOWN.has(file)) return true;
    const known = loadable.get(file);
    if (known !== undefined) return known;
    if (visiting.has(file)) return true; // import cycle: decided by the outer call
    const location = locate(file);
    let ok = location !== undefined;
    if (location) {
      visiting.add(file);
      ok = importsOf(fs.readFileSync(location, "utf8")).every((dep) => isLoadable(dep, visiting));
      visiting.delete(file);
    }
    loadable.set(file, ok);
    return ok;
  };
  const files = entryFiles.filter((file) => isLoadable(file, new Set()));
  const skippedFiles = entryFiles.filter((file) => !loadable.get(file));

  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (BUNDLED_WELL_KNOWN.has(target) ? target : (locate(target) ?? target));
  root.loadSync(files, { keepCase: true });
  root.resolveAll();

  cachedSchema = { root, fileCount: files.length, skippedFiles, loadMs: performance.now() - started };
  return cachedSchema;
}

function protoFilesUnder(includeDir: string, subdir: string): string[] {
  const out: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of fs.readdirSync(path.join(includeDir, relative), { withFileTypes: true })) {
      const child = `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (entry.name.endsWith(".proto")) out.push(child);
    }
  };
  if (fs.existsSync(path.join(includeDir, subdir))) walk(subdir);
  return out.sort();
}

function importsOf(source: string): string[] {
  return [...source.matchAll(/^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;/gm)].map((m) => m[1]);
}

// ---------------------------------------------------------------------------------------------
// Public entry points
// ---------------------------------------------------------------------------------------------

/**
 * Validates `json` as the proto-JSON form of message `typeName` (fully qualified, without a
 * leading dot). Returns every error found; an empty array means valid.
 */
export function validateMessage(typeName: string, json: unknown): ValidationError[] {
  return new Walker(loadEnvoyApi().root).validateRoot(typeName, json);
}

/**
 * Validates an Envoy bootstrap: the proto walk, then the cross-references Envoy checks when it
 * loads static resources (routes point at defined clusters; listener and cluster names unique).
 */
export function validateBootstrap(config: unknown): ValidationError[] {
  const walker = new Walker(loadEnvoyApi().root);
  const errors = walker.validateRoot(BOOTSTRAP_TYPE, config);
  return [...errors, ...checkStaticReferences(config, walker.routeClusterRefs), ...validateExtensions(config)];
}

const TYPE_URL_PREFIX = "type.googleapis.com/";
const HCM_TYPE_NAME = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
const HTTP_PROTOCOL_OPTIONS_TYPE_NAME = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

/**
 * The extension-name checks (kind `extension`): every `{name, typed_config}` in `config` — filters,
 * transport sockets, access loggers, resource monitors, retry predicates, injected credentials,
 * formatters — and every `typed_extension_protocol_options` key, against ENVOY_EXTENSIONS
 * (envoy/extensions.ts): the type must be listed, the name must be the one Envoy 1.39 registers it
 * under, and the place must be one its category belongs to.
 */
export function validateExtensions(config: unknown): ValidationError[] {
  const errors: ValidationError[] = [];
  const check = (typeUrl: unknown, name: unknown, position: ExtensionPosition | undefined, where: string, what: string): void => {
    if (typeof typeUrl !== "string") return; // the proto walk reports a missing @type
    const type = typeUrl.startsWith(TYPE_URL_PREFIX) ? typeUrl.slice(TYPE_URL_PREFIX.length) : typeUrl;
    const known = envoyExtension(type);
    if (!known) {
      if (!isApiMessage(type)) return; // the proto walk reports an @type that names no message
      errors.push({
        path: where,
        kind: "extension",
        message:
          `"${type}" is not in the table of extensions the pinned Envoy registers (envoy/extensions.ts); ` +
          `find its factory in Envoy's source and add it there with its registered name and source file`,
      });
      return;
    }
    if (name !== known.name) {
      errors.push({
        path: where,
        kind: "extension",
        message:
          `Envoy 1.39 registers ${type} as "${known.name}", got ${what} ${JSON.stringify(name)}; use "${known.name}"` +
          (known.note ? ` (${known.note})` : ""),
      });
    }
    if (position && !known.positions.includes(position)) {
      errors.push({
        path: where,
        kind: "extension",
        message: `${known.name} is a ${known.positions.join("/")} extension and cannot be used as a ${position}`,
      });
    }
  };

  const walk = (node: unknown, path: string, key: string | undefined, enclosingType: string | undefined): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, `${path}[${i}]`, key, enclosingType));
      return;
    }
    if (!isPlainObject(node)) return;
    const ownType = typeof node["@type"] === "string" ? String(node["@type"]).replace(TYPE_URL_PREFIX, "") : enclosingType;
    if (typeof node.name === "string" && isPlainObject(node.typed_config)) {
      check(node.typed_config["@type"], node.name, positionOf(path, key, enclosingType), `${path}.name`, "name");
    }
    for (const [field, value] of Object.entries(node)) {
      if (field === "typed_extension_protocol_options" && isPlainObject(value)) {
        for (const [optionKey, options] of Object.entries(value)) {
          const where = `${path}.${field}[${JSON.stringify(optionKey)}]`;
          if (isPlainObject(options)) check(options["@type"], optionKey, "protocol-options", where, "key");
          walk(options, where, undefined, undefined);
        }
        continue;
      }
      walk(value, `${path}.${field}`, field, ownType);
    }
  };
  walk(config, "$", undefined, undefined);
  return errors;
}

function isApiMessage(type: string): boolean {
  try {
    return loadEnvoyApi().root.lookupType(type) !== null;
  } catch {
    return false;
  }
}

/** The extension position of a `{name, typed_config}` found under `key` (its field name). */
function positionOf(path: string, key: string | undefined, enclosingType: string | undefined): ExtensionPosition | undefined {
  switch (key) {
    case "filters":
      return /\.filter_chains\[\d+\]\.filters\[\d+\]$/.test(path) ? "network-filter" : undefined;
    case "http_filters":
      if (enclosingType === HCM_TYPE_NAME) return "http-filter";
      if (enclosingType === HTTP_PROTOCOL_OPTIONS_TYPE_NAME) return "upstream-http-filter";
      return undefined;
    case "transport_socket":
      return "transport-socket";
    case "access_log":
      return "access-logger";
    case "resource_monitors":
      return "resource-monitor";
    case "retry_host_predicate":
      return "retry-host-predicate";
    case "credential":
      return "injected-credential";
    case "formatters":
      return "formatter";
    default:
      return undefined;
  }
}

/**
 * Validates a file-based SDS document (envoy/sds.ts): a DiscoveryResponse whose resources are all
 * `envoy.extensions.transport_sockets.tls.v3.Secret`.
 */
export function validateSdsDocument(document: SdsDocument | unknown): ValidationError[] {
  const errors = validateMessage(DISCOVERY_RESPONSE_TYPE, document);
  const resources = isPlainObject(document) ? document.resources : undefined;
  if (Array.isArray(resources)) {
    resources.forEach((resource, i) => {
      const typeUrl = isPlainObject(resource) ? resource["@type"] : undefined;
      if (typeof typeUrl === "string" && typeUrl !== SECRET_TYPE_URL) {
        errors.push({
          path: `$.resources[${i}]["@type"]`,
          kind: "unknown-type",
          message: `an SDS file must hold Secret resources; got "${typeUrl}", use "${SECRET_TYPE_URL}"`,
        });
      }
    });
  }
  return errors;
}

/** One line per error, for test failures and script output. */
export function formatValidationErrors(errors: readonly ValidationError[]): string {
  return errors.map((e) => `${e.path}: [${e.kind}] ${e.message}`).join("\n");
}

// ---------------------------------------------------------------------------------------------
// The walker
// ---------------------------------------------------------------------------------------------

/** protoc-gen-validate rules as protobufjs parses them (`(validate.rules)` option objects). */
type Rules = Record<string, any>;

interface RouteClusterRef {
  readonly path: string;
  readonly cluster: string;
}

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
const UINT32 = { min: 0, max: 2 ** 32 - 1 };
const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
const UINT64 = { min: 0n, max: 2n ** 64n - 1n };
/** proto-JSON Duration: signed seconds with up to 9 fractional digits, suffix "s". */
const DURATION = /^-?\d+(\.\d{1,9})?s$/;
const MAX_DURATION_SECONDS = 315_576_000_000;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;
const BASE64_URL = /^[A-Za-z0-9_-]*={0,2}$/;
/** RFC 7230 token, optionally a `:`-prefixed pseudo-header (PGV's strict HTTP_HEADER_NAME). */
const HEADER_NAME_STRICT = /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/;
const HEADER_VALUE_STRICT = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
/** PGV's non-strict header rules only forbid NUL, CR and LF. */
const HEADER_LOOSE = /^[^\u0000\u000A\u000D]*$/;
/** Keys of an Any that are not fields of the packed message. */
const ANY_TYPE_KEY: ReadonlySet<string> = new Set(["@type"]);
/** Types whose payload is itself a type URL plus a Struct (Envoy unpacks them). */
const TYPED_STRUCT_TYPES = new Set(["xds.type.v3.TypedStruct", "udpa.type.v1.TypedStruct"]);

const WRAPPERS: Record<string, string> = {
  "google.protobuf.DoubleValue": "double",
  "google.protobuf.FloatValue": "float",
  "google.protobuf.Int64Value": "int64",
  "google.protobuf.UInt64Value": "uint64",
  "google.protobuf.Int32Value": "int32",
  "google.protobuf.UInt32Value": "uint32",
  "google.protobuf.BoolValue": "bool",
  "google.protobuf.StringValue": "string",
  "google.protobuf.BytesValue": "bytes",
};

/** Well-known types whose JSON form is not an object of fields (Any wraps them in `value`). */
const SPECIAL_JSON_TYPES = new Set([
  ...Object.keys(WRAPPERS),
  "google.protobuf.Duration",
  "google.protobuf.Timestamp",
  "google.protobuf.FieldMask",
  "google.protobuf.Struct",
  "google.protobuf.Value",
  "google.protobuf.ListValue",
]);

class Walker {
  readonly errors: ValidationError[] = [];
  /** RouteAction.cluster values seen, for the bootstrap reference check. */
  readonly routeClusterRefs: RouteClusterRef[] = [];
  constructor(private readonly root: protobuf.Root) {}

  validateRoot(typeName: string, json: unknown): ValidationError[] {
    const type = this.findType(typeName);
    if (!type) throw new Error(`validateMessage: "${typeName}" is not a message type of the Envoy API`);
    this.message(type, json, "$");
    return this.errors;
  }

  private report(path: string, kind: ValidationErrorKind, message: string): void {
    this.errors.push({ path, kind, message });
  }

  private findType(name: string): protobuf.Type | null {
    let found = typeCache.get(name);
    if (found === undefined) {
      const object = name.length > 0 ? this.root.lookup(name) : null;
      found = object instanceof protobuf.Type ? object : null;
      typeCache.set(name, found);
    }
    return found;
  }

  // ----- messages ------------------------------------------------------------------------------

  private message(type: protobuf.Type, json: unknown, at: string, skipKeys?: ReadonlySet<string>): void {
    const typeName = fullName(type);
    if (SPECIAL_JSON_TYPES.has(typeName)) {
      this.wellKnown(typeName, json, at);
      return;
    }
    if (typeName === "google.protobuf.Any") {
      this.any(json, at);
      return;
    }
    if (!isPlainObject(json)) {
      this.report(at, "type", `expected an object (${typeName}), got ${describe(json)}`);
      return;
    }
    if (type.options?.deprecated === true) {
      this.report(at, "deprecated", `${typeName} is deprecated; see its replacement in the Envoy API docs`);
    }

    const oneofMembersSet = new Map<string, string>();
    for (const [key, value] of Object.entries(json)) {
      if (skipKeys?.has(key)) continue;
      const fieldPath = childPath(at, key);
      const field = type.fields[key];
      if (!field) {
        this.unknownField(type, key, fieldPath);
        continue;
      }
      if (value === null && !acceptsNull(field)) {
        this.report(fieldPath, "type", `null is not allowed for "${key}"; omit the field to leave it unset`);
        continue;
      }
      if (field.options?.deprecated === true) {
        this.report(fieldPath, "deprecated", `"${key}" of ${typeName} is deprecated; use its replacement`);
      } else if (field.options?.["(envoy.annotations.disallowed_by_default)"] === true) {
        this.report(fieldPath, "deprecated", `"${key}" of ${typeName} is disallowed by default in Envoy`);
      }
      const oneof = field.partOf;
      if (oneof && !isSyntheticOneof(oneof)) {
        const other = oneofMembersSet.get(oneof.name);
        if (other !== undefined) {
          this.report(
            fieldPath,
            "oneof",
            `"${key}" and "${other}" are both members of oneof "${oneof.name}" in ${typeName}; set only one`,
          );
        } else {
          oneofMembersSet.set(oneof.name, key);
        }
      }
      this.fieldValue(field, value, fieldPath);
    }

    for (const oneof of type.oneofsArray) {
      if (oneof.options?.["(validate.required)"] === true && !oneofMembersSet.has(oneof.name)) {
        this.report(
          at,
          "oneof",
          `${typeName} requires one of ${oneof.oneof.map((n) => `"${n}"`).join(", ")} (oneof "${oneof.name}")`,
        );
      }
    }
    for (const field of type.fieldsArray) {
      // A required oneof member is only required once its oneof picks it (PGV semantics).
      const inOneof = field.partOf !== null && !isSyntheticOneof(field.partOf);
      if (!inOneof && !(field.name in json) && rulesOf(field)?.message?.required === true) {
        this.report(childPath(at, field.name), "rule", `"${field.name}" is required in ${typeName}`);
      }
    }

    if (typeName === "envoy.config.route.v3.RouteAction" && typeof json.cluster === "string") {
      this.routeClusterRefs.push({ path: childPath(at, "cluster"), cluster: json.cluster });
    }
  }

  private unknownField(type: protobuf.Type, key: string, at: string): void {
    const typeName = fullName(type);
    const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if (snake !== key && type.fields[snake]) {
      this.report(at, "unknown-field", `"${key}" is lowerCamelCase; write the proto field name "${snake}"`);
      return;
    }
    const suggestion = closest(key, Object.keys(type.fields));
    this.report(
      at,
      "unknown-field",
      `unknown field "${key}" in ${typeName}` + (suggestion ? ` (did you mean "${suggestion}"?)` : ""),
    );
  }

  // ----- fields --------------------------------------------------------------------------------

  private fieldValue(field: protobuf.Field, value: unknown, at: string): void {
    const rules = rulesOf(field);
    if (field instanceof protobuf.MapField) {
      this.map(field, value, at, rules);
    } else if (field.repeated) {
      if (!Array.isArray(value)) {
        this.report(at, "type", `expected a list for repeated field "${field.name}", got ${describe(value)}`);
        return;
      }
      this.sizeRule(at, value.length, rules?.repeated?.min_items, rules?.repeated?.max_items, "items");
      value.forEach((element, i) => {
        const elementPath = `${at}[${i}]`;
        if (element === null && !acceptsNull(field)) {
          this.report(elementPath, "type", "null is not allowed in a list");
          return;
        }
        this.single(field, element, elementPath, rules?.repeated?.items);
      });
      if (rules?.repeated?.unique === true) {
        const seen = new Set(value.map((v) => JSON.stringify(v)));
        if (seen.size !== value.length) this.report(at, "rule", `items of "${field.name}" must be unique`);
      }
    } else {
      this.single(field, value, at, rules);
    }
  }

  private map(field: protobuf.MapField, value: unknown, at: string, rules: Rules | undefined): void {
    if (!isPlainObject(value)) {
      this.report(at, "type", `expected an object for map field "${field.name}", got ${describe(value)}`);
      return;
    }
    const entries = Object.entries(value);
    this.sizeRule(at, entries.length, rules?.map?.min_pairs, rules?.map?.max_pairs, "entries");
    for (const [key, element] of entries) {
      const elementPath = childPath(at, key);
      if (!mapKeyIsValid(field.keyType, key)) {
        this.report(elementPath, "type", `map key "${key}" is not a valid ${field.keyType}`);
      }
      if (rules?.map?.keys) this.scalarRules(elementPath, field.keyType, key, rules.map.keys);
      if (element === null) {
        this.report(elementPath, "type", "null is not allowed as a map value");
        continue;
      }
      this.single(field, element, elementPath, rules?.map?.values);
    }
  }

  /** One value of a field's type (a list element, a map value, or a singular field). */
  private single(field: protobuf.FieldBase, value: unknown, at: string, rules: Rules | undefined): void {
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Enum) {
      this.enumValue(resolved, value, at, rules?.enum);
    } else if (resolved instanceof protobuf.Type) {
      this.message(resolved, value, at);
      this.messageRules(fullName(resolved), value, at, rules);
    } else {
      if (this.scalar(field.type, value, at)) this.scalarRules(at, field.type, value, rules);
    }
  }

  // ----- enums and scalars ---------------------------------------------------------------------

  private enumValue(type: protobuf.Enum, value: unknown, at: string, rules: Rules | undefined): void {
    const typeName = fullName(type);
    if (typeName === "google.protobuf.NullValue") {
      if (value !== null) this.report(at, "type", `expected null (google.protobuf.NullValue), got ${describe(value)}`);
      return;
    }
    if (typeof value !== "string") {
      this.report(at, "enum", `expected a name of ${typeName} (${enumNames(type)}), got ${describe(value)}`);
      return;
    }
    if (!(value in type.values)) {
      this.report(at, "enum", `"${value}" is not a value of ${typeName}; use one of ${enumNames(type)}`);
      return;
    }
    const options = type.valuesOptions?.[value];
    if (options?.deprecated === true || options?.["(envoy.annotations.disallowed_by_default_enum)"] === true) {
      this.report(at, "deprecated", `${typeName}.${value} is deprecated`);
    }
    const number = type.values[value];
    if (Array.isArray(rules?.in) && !rules.in.includes(number)) {
      this.report(at, "rule", `"${value}" is not allowed here`);
    }
    if (Array.isArray(rules?.not_in) && rules.not_in.includes(number)) {
      this.report(at, "rule", `"${value}" is not allowed here`);
    }
  }

  /** Checks the JSON type and range of a scalar; returns false (and reports) when it is wrong. */
  private scalar(protoType: string, value: unknown, at: string): boolean {
    const fail = (expected: string): false => {
      this.report(at, "type", `expected ${expected}, got ${describe(value)}`);
      return false;
    };
    switch (protoType) {
      case "string":
        return typeof value === "string" || fail("a string");
      case "bool":
        return typeof value === "boolean" || fail("true or false");
      case "bytes":
        return (typeof value === "string" && (BASE64.test(value) || BASE64_URL.test(value))) || fail("base64 bytes");
      case "double":
      case "float":
        return (
          (typeof value === "number" && Number.isFinite(value)) ||
          value === "NaN" ||
          value === "Infinity" ||
          value === "-Infinity" ||
          fail("a number")
        );
      case "int32":
      case "sint32":
      case "sfixed32":
        return this.int32(value, INT32, at, protoType);
      case "uint32":
      case "fixed32":
        return this.int32(value, UINT32, at, protoType);
      case "int64":
      case "sint64":
      case "sfixed64":
        return this.int64(value, INT64, at, protoType);
      case "uint64":
      case "fixed64":
        return this.int64(value, UINT64, at, protoType);
      default:
        throw new Error(`unhandled proto scalar type ${protoType}`);
    }
  }

  private int32(value: unknown, range: { min: number; max: number }, at: string, protoType: string): boolean {
    if (typeof value !== "number" || !Number.isInteger(value)) {
      this.report(at, "type", `expected an integer (${protoType}), got ${describe(value)}`);
      return false;
    }
    if (value < range.min || value > range.max) {
      this.report(at, "type", `${value} is out of range for ${protoType} (${range.min}..${range.max})`);
      return false;
    }
    return true;
  }

  private int64(value: unknown, range: { min: bigint; max: bigint }, at: string, protoType: string): boolean {
    let parsed: bigint | undefined;
    if (typeof value === "number" && Number.isSafeInteger(value)) parsed = BigInt(value);
    else if (typeof value === "string" && /^-?\d+$/.test(value)) parsed = BigInt(value);
    if (parsed === undefined) {
      this.report(at, "type", `expected an integer (${protoType}, a number or a decimal string), got ${describe(value)}`);
      return false;
    }
    if (parsed < range.min || parsed > range.max) {
      this.report(at, "type", `${value} is out of range for ${protoType}`);
      return false;
    }
    return true;
  }

  // ----- well-known types ----------------------------------------------------------------------

  private wellKnown(typeName: string, json: unknown, at: string): void {
    const wrapped = WRAPPERS[typeName];
    if (wrapped) {
      if (json === null) this.report(at, "type", `null is not allowed for ${typeName}; omit the field`);
      else this.scalar(wrapped, json, at);
      return;
    }
    switch (typeName) {
      case "google.protobuf.Duration":
        if (typeof json !== "string" || !DURATION.test(json)) {
          this.report(at, "type", `expected a Duration such as "2s" or "0.250s", got ${describe(json)}`);
        } else if (Math.abs(parseFloat(json)) > MAX_DURATION_SECONDS) {
          this.report(at, "type", `Duration ${json} is out of range (±${MAX_DURATION_SECONDS}s)`);
        }
        return;
      case "google.protobuf.Timestamp":
        if (typeof json !== "string" || !TIMESTAMP.test(json)) {
          this.report(at, "type", `expected an RFC 3339 timestamp, got ${describe(json)}`);
        }
        return;
      case "google.protobuf.FieldMask":
        if (typeof json !== "string") this.report(at, "type", `expected a FieldMask string, got ${describe(json)}`);
        return;
      case "google.protobuf.Struct":
        if (!isPlainObject(json)) this.report(at, "type", `expected an object (Struct), got ${describe(json)}`);
        return;
      case "google.protobuf.ListValue":
        if (!Array.isArray(json)) this.report(at, "type", `expected a list (ListValue), got ${describe(json)}`);
        return;
      case "google.protobuf.Value":
        return; // any JSON value, null included
    }
  }

  /** A google.protobuf.Any: resolve `@type`, then walk the payload as that message. */
  private any(json: unknown, at: string): void {
    if (!isPlainObject(json)) {
      this.report(at, "type", `expected an object with "@type" (google.protobuf.Any), got ${describe(json)}`);
      return;
    }
    const typeUrl = json["@type"];
    const typePath = childPath(at, "@type");
    if (typeof typeUrl !== "string" || typeUrl.length === 0) {
      this.report(typePath, "unknown-type", `a google.protobuf.Any needs an "@type" such as "type.googleapis.com/<message>"`);
      return;
    }
    const typeName = typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
    const type = this.findType(typeName);
    if (!type) {
      this.report(typePath, "unknown-type", `"${typeUrl}" names no message of the Envoy API (check the spelling and version)`);
      return;
    }
    if (SPECIAL_JSON_TYPES.has(typeName)) {
      // proto-JSON wraps well-known types with a special form as {"@type": ..., "value": <form>}.
      for (const key of Object.keys(json)) {
        if (key !== "@type" && key !== "value") {
          this.report(childPath(at, key), "unknown-field", `an Any holding ${typeName} has only "@type" and "value"`);
        }
      }
      this.wellKnown(typeName, json.value, childPath(at, "value"));
      return;
    }
    this.message(type, json, at, ANY_TYPE_KEY);
    if (TYPED_STRUCT_TYPES.has(typeName)) this.typedStruct(json, at);
  }

  /** Envoy unpacks a TypedStruct into the message named by its `type_url`: check it as that. */
  private typedStruct(json: Record<string, unknown>, at: string): void {
    const typeUrl = json.type_url;
    if (typeof typeUrl !== "string") return;
    const typeName = typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
    const type = this.findType(typeName);
    if (!type) {
      this.report(childPath(at, "type_url"), "unknown-type", `"${typeUrl}" names no message of the Envoy API`);
      return;
    }
    if (json.value !== undefined) this.message(type, json.value, childPath(at, "value"));
  }

  // ----- protoc-gen-validate rules -------------------------------------------------------------

  private messageRules(typeName: string, value: unknown, at: string, rules: Rules | undefined): void {
    if (!rules) return;
    if (typeName === "google.protobuf.Duration" && rules.duration && typeof value === "string" && DURATION.test(value)) {
      const seconds = parseFloat(value);
      this.bounds(at, seconds, mapValues(rules.duration, durationSeconds), value);
    }
    const wrapped = WRAPPERS[typeName];
    if (wrapped && value !== null && value !== undefined) this.scalarRules(at, wrapped, value, rules);
    if (typeName === "google.protobuf.Any" && rules.any && isPlainObject(value)) {
      const url = value["@type"];
      if (Array.isArray(rules.any.in) && !rules.any.in.includes(url)) {
        this.report(childPath(at, "@type"), "rule", `"${String(url)}" is not allowed here; use one of ${rules.any.in.join(", ")}`);
      }
    }
  }

  private scalarRules(at: string, protoType: string, value: unknown, rules: Rules | undefined): void {
    if (!rules) return;
    if (protoType === "string" && rules.string && typeof value === "string") {
      this.stringRules(at, value, rules.string);
      return;
    }
    const numeric = rules[protoType];
    if (numeric && (typeof value === "number" || typeof value === "string")) {
      const n = Number(value);
      if (!Number.isNaN(n)) this.bounds(at, n, numeric, String(value));
    }
  }

  private stringRules(at: string, value: string, rules: Rules): void {
    const chars = [...value].length;
    const bytes = Buffer.byteLength(value, "utf8");
    const check = (ok: boolean, message: string): void => {
      if (!ok) this.report(at, "rule", message);
    };
    if (rules.min_len !== undefined) check(chars >= Number(rules.min_len), `must be at least ${rules.min_len} characters`);
    if (rules.max_len !== undefined) check(chars <= Number(rules.max_len), `must be at most ${rules.max_len} characters`);
    if (rules.len !== undefined) check(chars === Number(rules.len), `must be exactly ${rules.len} characters`);
    if (rules.min_bytes !== undefined) check(bytes >= Number(rules.min_bytes), `must be at least ${rules.min_bytes} bytes`);
    if (rules.max_bytes !== undefined) check(bytes <= Number(rules.max_bytes), `must be at most ${rules.max_bytes} bytes`);
    if (rules.prefix !== undefined) check(value.startsWith(rules.prefix), `must start with "${rules.prefix}"`);
    if (rules.suffix !== undefined) check(value.endsWith(rules.suffix), `must end with "${rules.suffix}"`);
    if (rules.const !== undefined) check(value === rules.const, `must be "${rules.const}"`);
    if (Array.isArray(rules.in)) check(rules.in.includes(value), `must be one of ${rules.in.join(", ")}`);
    if (Array.isArray(rules.not_in)) check(!rules.not_in.includes(value), `must not be "${value}"`);
    if (rules.well_known_regex === "HTTP_HEADER_NAME" || rules.well_known_regex === "HTTP_HEADER_VALUE") {
      const strict = rules.strict !== false;
      const pattern = !strict
        ? HEADER_LOOSE
        : rules.well_known_regex === "HTTP_HEADER_NAME"
          ? HEADER_NAME_STRICT
          : HEADER_VALUE_STRICT;
      check(pattern.test(value), `${JSON.stringify(value)} is not a valid ${rules.well_known_regex.toLowerCase().replace(/_/g, " ")}`);
    }
  }

  /** PGV numeric bounds (gt/gte/lt/lte/const/in/not_in), for numbers and Durations alike. */
  private bounds(at: string, n: number, rules: Rules, shown: string): void {
    const check = (ok: boolean, message: string): void => {
      if (!ok) this.report(at, "rule", `${shown} ${message}`);
    };
    if (rules.gt !== undefined) check(n > Number(rules.gt), `must be greater than ${rules.gt}`);
    if (rules.gte !== undefined) check(n >= Number(rules.gte), `must be at least ${rules.gte}`);
    if (rules.lt !== undefined) check(n < Number(rules.lt), `must be less than ${rules.lt}`);
    if (rules.lte !== undefined) check(n <= Number(rules.lte), `must be at most ${rules.lte}`);
    if (rules.const !== undefined) check(n === Number(rules.const), `must be ${rules.const}`);
    if (Array.isArray(rules.in)) check(rules.in.map(Number).includes(n), `must be one of ${rules.in.join(", ")}`);
    if (Array.isArray(rules.not_in)) check(!rules.not_in.map(Number).includes(n), `is not allowed`);
  }

  private sizeRule(at: string, size: number, min: unknown, max: unknown, noun: string): void {
    if (min !== undefined && size < Number(min)) this.report(at, "rule", `needs at least ${min} ${noun}, got ${size}`);
    if (max !== undefined && size > Number(max)) this.report(at, "rule", `allows at most ${max} ${noun}, got ${size}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Bootstrap cross-references
// ---------------------------------------------------------------------------------------------

function checkStaticReferences(config: unknown, routeRefs: readonly RouteClusterRef[]): ValidationError[] {
  if (!isPlainObject(config) || !isPlainObject(config.static_resources)) return [];
  const errors: ValidationError[] = [];
  const names = (list: unknown, what: string, listPath: string): Set<string> => {
    const seen = new Set<string>();
    if (!Array.isArray(list)) return seen;
    list.forEach((item, i) => {
      const name = isPlainObject(item) ? item.name : undefined;
      if (typeof name !== "string") return;
      if (seen.has(name)) {
        errors.push({ path: `${listPath}[${i}].name`, kind: "reference", message: `duplicate ${what} name "${name}"` });
      }
      seen.add(name);
    });
    return seen;
  };
  names(config.static_resources.listeners, "listener", "$.static_resources.listeners");
  const clusters = names(config.static_resources.clusters, "cluster", "$.static_resources.clusters");
  // With CDS the cluster may arrive later; Envoy only insists for purely static configs.
  const dynamicClusters = isPlainObject(config.dynamic_resources) && config.dynamic_resources.cds_config !== undefined;
  if (!dynamicClusters) {
    for (const ref of routeRefs) {
      if (!clusters.has(ref.cluster)) {
        errors.push({
          path: ref.path,
          kind: "reference",
          message: `route points at cluster "${ref.cluster}", which static_resources.clusters does not define`,
        });
      }
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function isPlainObject(value: unknown): value is Record<string, any> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Fully qualified name without the leading dot (protobufjs recomputes it on every access: cache it). */
const nameCache = new WeakMap<protobuf.ReflectionObject, string>();

function fullName(object: protobuf.ReflectionObject): string {
  let name = nameCache.get(object);
  if (name === undefined) {
    name = object.fullName.replace(/^\./, "");
    nameCache.set(object, name);
  }
  return name;
}

/** `$.a.b`, or `$.a["envoy.key"]` when the key is not a plain identifier. */
function childPath(parent: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  const shown = JSON.stringify(value);
  return `${typeof value} ${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown}`;
}

function enumNames(type: protobuf.Enum): string {
  return Object.keys(type.values).join(", ");
}

/** proto3 `optional` fields live in a synthetic single-member oneof named `_<field>`. */
function isSyntheticOneof(oneof: protobuf.OneOf): boolean {
  return oneof.oneof.length === 1 && oneof.name.startsWith("_");
}

function acceptsNull(field: protobuf.FieldBase): boolean {
  const resolved = field.resolvedType;
  if (!resolved) return false;
  const name = fullName(resolved);
  return name === "google.protobuf.Value" || name === "google.protobuf.NullValue";
}

/** A field's merged `(validate.rules)`, computed once per field. */
const rulesCache = new WeakMap<protobuf.FieldBase, Rules | null>();

function rulesOf(field: protobuf.FieldBase): Rules | undefined {
  let cached = rulesCache.get(field);
  if (cached === undefined) {
    cached = null;
    const parsed = (field as { parsedOptions?: Array<Record<string, unknown>> }).parsedOptions ?? [];
    for (const option of parsed) {
      const rules = option["(validate.rules)"];
      if (isPlainObject(rules)) cached = deepMerge(cached ?? {}, rules);
    }
    rulesCache.set(field, cached);
  }
  return cached ?? undefined;
}

function deepMerge(target: Rules, source: Rules): Rules {
  for (const [key, value] of Object.entries(source)) {
    target[key] = isPlainObject(value) && isPlainObject(target[key]) ? deepMerge({ ...target[key] }, value) : value;
  }
  return target;
}

function mapValues(rules: Rules, fn: (value: unknown) => unknown): Rules {
  return Object.fromEntries(Object.entries(rules).map(([k, v]) => [k, Array.isArray(v) ? v.map(fn) : fn(v)]));
}

/** A PGV Duration bound ({seconds, nanos}) in seconds; other values pass through. */
function durationSeconds(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  return Number(value.seconds ?? 0) + Number(value.nanos ?? 0) / 1e9;
}

function mapKeyIsValid(keyType: string, key: string): boolean {
  switch (keyType) {
    case "string":
      return true;
    case "bool":
      return key === "true" || key === "false";
    default: {
      // Integer keys are written as decimal strings; unsigned ones cannot be negative.
      const unsigned = keyType.startsWith("uint") || keyType.startsWith("fixed");
      return unsigned ? /^\d+$/.test(key) : /^-?\d+$/.test(key);
    }
  }
}

/** The closest field name by edit distance, if it is plausibly a typo. */
function closest(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(key, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
