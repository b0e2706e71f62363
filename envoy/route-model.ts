/**
 * A small model of how Envoy picks a route for a request on a generated traffic listener — only the
 * parts our bootstraps use, each following Envoy's documented semantics, and refusing (throwing) on
 * any setting it does not model, so a bootstrap change cannot silently outgrow it. Tests use it to
 * show that no caller-controlled part of a request moves it to another target's cluster.
 *
 * Order and semantics (Envoy v3 API docs, http_connection_manager.proto and route_components.proto):
 *   1. `path_with_escaped_slashes_action: REJECT_REQUEST`: a path containing `%2F`, `%2f`, `%5C` or
 *      `%5c` is rejected with 400 before routing. KEEP_UNCHANGED leaves it as is.
 *   2. `normalize_path`: RFC 3986 normalization before routing. NOT modelled: the model requires it
 *      off (it would decode `%2e` and remove dot-segments, which is exactly what the routes must not
 *      be exposed to — see farcarTrafficListener).
 *   3. `merge_slashes`: adjacent slashes in the path merged into one before routing.
 *   4. Routes in order, first match wins. `prefix`: "the prefix must match the beginning of the :path
 *      header" (query included); `path`: exact match of :path "once the query string is removed";
 *      `safe_regex`: "the entire path (without the query string) must match the regex" (RE2; our
 *      regexes use only syntax RE2 and JavaScript read alike). Matching is case-sensitive (the
 *      default; `case_sensitive` is not modelled).
 *   5. `headers` matchers: `string_match.exact` — in Envoy 1.39 each value of a repeated header is
 *      matched separately (a request with values [a, b] matches `exact: b`); `present_match`.
 *   6. `prefix_rewrite` replaces the matched prefix of the path.
 */
import type { EnvoyBootstrap } from "./bootstrap";

export interface ModelRequest {
  /** `:path` as it reaches Envoy, query included. */
  readonly path: string;
  /** Request headers, each with all its values in order (lowercase names). */
  readonly headers?: Readonly<Record<string, readonly string[]>>;
}

export type ModelOutcome =
  | { readonly kind: "rejected"; readonly status: number; readonly by: "escaped-slash" | "route"; readonly route?: string }
  | { readonly kind: "direct"; readonly status: number; readonly route: string }
  | { readonly kind: "forwarded"; readonly route: string; readonly cluster: string; readonly path: string }
  | { readonly kind: "no-route"; readonly status: 404 };

type Json = Record<string, any>;

/** Where `request` goes on the traffic listener (the first listener) of `bootstrap`. */
export function routeRequest(bootstrap: EnvoyBootstrap, request: ModelRequest): ModelOutcome {
  const hcm = trafficConnectionManager(bootstrap);
  const unsupported = (what: string): never => {
    throw new Error(`route model: ${what} is not modelled; extend envoy/route-model.ts from Envoy's documentation first`);
  };

  const [rawPathOnly] = splitQuery(request.path);
  const escapedSlashAction = hcm.path_with_escaped_slashes_action ?? "IMPLEMENTATION_SPECIFIC_DEFAULT";
  if (escapedSlashAction === "REJECT_REQUEST") {
    if (/%(2f|5c)/i.test(rawPathOnly)) return { kind: "rejected", status: 400, by: "escaped-slash" };
  } else if (escapedSlashAction !== "KEEP_UNCHANGED") {
    unsupported(`path_with_escaped_slashes_action ${escapedSlashAction}`);
  }
  if (hcm.normalize_path !== false) unsupported(`normalize_path ${String(hcm.normalize_path)} (must be explicitly false)`);

  let path = request.path;
  if (hcm.merge_slashes === true) {
    const [pathOnly, query] = splitQuery(path);
    path = pathOnly.replace(/\/{2,}/g, "/") + query;
  }
  const [pathOnly] = splitQuery(path);

  const virtualHosts: Json[] = hcm.route_config?.virtual_hosts ?? [];
  if (virtualHosts.length !== 1 || JSON.stringify(virtualHosts[0].domains) !== '["*"]') unsupported("anything but one virtual host for *");
  for (const route of virtualHosts[0].routes as Json[]) {
    const match: Json = route.match;
    for (const key of Object.keys(match)) {
      if (!["prefix", "path", "safe_regex", "headers"].includes(key)) unsupported(`route match field "${key}"`);
    }
    let matchedPrefix: string | undefined;
    if (typeof match.prefix === "string") {
      if (!path.startsWith(match.prefix)) continue;
      matchedPrefix = match.prefix;
    } else if (typeof match.path === "string") {
      if (pathOnly !== match.path) continue;
    } else if (match.safe_regex) {
      if (!new RegExp(`^(?:${match.safe_regex.regex})$`, "u").test(pathOnly)) continue;
    } else {
      unsupported("a route without prefix, path or safe_regex");
    }
    if (!(match.headers ?? []).every((matcher: Json) => headerMatches(matcher, request.headers ?? {}, unsupported))) continue;

    if (route.direct_response) {
      const status: number = route.direct_response.status;
      return status >= 400 && status < 500 && status !== 404
        ? { kind: "rejected", status, by: "route", route: route.name }
        : { kind: "direct", status, route: route.name };
    }
    if (!route.route?.cluster) unsupported(`route "${route.name}" without a cluster`);
    const rewrite: string | undefined = route.route.prefix_rewrite;
    if (rewrite !== undefined && matchedPrefix === undefined) unsupported("prefix_rewrite on a non-prefix match");
    const forwarded = rewrite !== undefined && matchedPrefix !== undefined ? rewrite + path.slice(matchedPrefix.length) : path;
    return { kind: "forwarded", route: route.name, cluster: route.route.cluster, path: forwarded };
  }
  return { kind: "no-route", status: 404 };
}

function headerMatches(
  matcher: Json,
  headers: Readonly<Record<string, readonly string[]>>,
  unsupported: (what: string) => never,
): boolean {
  for (const key of Object.keys(matcher)) {
    if (!["name", "string_match", "present_match"].includes(key)) unsupported(`header matcher field "${key}"`);
  }
  const values = headers[String(matcher.name).toLowerCase()];
  if (matcher.present_match !== undefined) return (values !== undefined) === matcher.present_match;
  if (values === undefined) return false;
  const stringMatch: Json = matcher.string_match ?? unsupported("a header matcher without string_match");
  if (Object.keys(stringMatch).join() !== "exact") unsupported(`string_match ${JSON.stringify(stringMatch)}`);
  // Envoy 1.39: each value of a repeated header is matched on its own.
  return values.some((value) => value === stringMatch.exact);
}

function trafficConnectionManager(bootstrap: EnvoyBootstrap): Json {
  const listener = bootstrap.static_resources.listeners[0] as Json;
  const filter: Json | undefined = listener?.filter_chains?.[0]?.filters?.[0];
  if (filter?.name !== "envoy.filters.network.http_connection_manager") {
    throw new Error("route model: the first listener's first filter is not an HTTP connection manager");
  }
  return filter.typed_config;
}

/** `[path, "?query"]` (the query part empty when there is none). */
function splitQuery(path: string): [string, string] {
  const at = path.indexOf("?");
  return at === -1 ? [path, ""] : [path.slice(0, at), path.slice(at)];
}
