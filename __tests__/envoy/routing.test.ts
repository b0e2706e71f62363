/**
 * Target selection cannot be moved by the caller (issue 11 item 3). API Gateway forwards `/X/Z/<caller's
 * part>` as `/Z/<caller's part>` (integrationUri in modules/private-api); the Farcar routes on that
 * prefix. Requests are run through envoy/route-model.ts, which follows Envoy's documented path handling
 * and route matching and refuses settings it does not model (normalize_path on, for one).
 */
import { farcarBootstrap, REJECTED_PATH_ROUTE, targetClusterName, targetPathPrefix, TARGET_HEADER, UNKNOWN_TARGET_ROUTE, type FarcarEnvoyInput } from "../../envoy/bootstrap";
import { farcarEgressBootstrap } from "../../envoy/egress";
import { routeRequest, type ModelOutcome } from "../../envoy/route-model";
import { integrationUri } from "../../modules/private-api/private-rest-api";

const INPUT: FarcarEnvoyInput = {
  acquisition: "afterpay",
  environment: "staging",
  service: "checkout",
  spiffeId: "spiffe://block.example/acquisition/afterpay/staging/checkout",
  targets: [
    { name: "payments", spiffeId: "spiffe://block.example/payments", address: "payments.mesh.internal:8443" },
    { name: "ledger", spiffeId: "spiffe://block.example/ledger", address: "ledger.mesh.internal:9443" },
  ],
};
const config = farcarBootstrap(INPUT);

/** The path API Gateway sends for `/X/<target>/<callerPart>`: the integration URI with {proxy} filled in. */
function forwardedPath(target: string, callerPart: string): string {
  return integrationUri("", target, true).replace("{proxy}", callerPart);
}

/** Caller-controlled path parts that try to leave /payments/ for /ledger/. */
const ATTACKS = [
  "../ledger/v1/accounts",
  "..%2fledger/v1/accounts",
  "%2e%2e/ledger/v1/accounts",
  "%2E%2E/ledger",
  ".%2e/ledger",
  "v1/../../ledger/x",
  "v1/%2e%2e/%2e%2e/ledger/x",
  "%2Fledger/x",
  "..%2Fledger",
  "%5C..%5Cledger",
  "..\\ledger",
  "v1/..;/..;/ledger",
  "./../ledger",
  "//ledger/x",
  "/../ledger",
  "ledger/../../ledger",
  "x?a=/../ledger",
];

/** API Gateway may pass the caller's part as sent, or percent-decoded once: both must be safe. */
function variants(callerPart: string): string[] {
  let decoded: string;
  try {
    decoded = decodeURIComponent(callerPart);
  } catch {
    decoded = callerPart;
  }
  return [...new Set([callerPart, decoded])];
}

function staysOnPayments(outcome: ModelOutcome): boolean {
  return outcome.kind === "rejected" || (outcome.kind === "forwarded" && outcome.cluster === targetClusterName("payments"));
}

describe("the target travels in the path API Gateway writes", () => {
  it("integration URIs put the target's prefix before the caller's part", () => {
    expect(integrationUri("http://nlb:8080", "payments", true)).toBe("http://nlb:8080/payments/{proxy}");
    expect(integrationUri("http://nlb:8080", "payments", false)).toBe("http://nlb:8080/payments/");
    expect(integrationUri("http://nlb:8080", undefined, true)).toBe("http://nlb:8080/{proxy}");
  });

  it("routes each target's prefix to its cluster and strips the prefix", () => {
    for (const target of ["payments", "ledger"]) {
      expect(routeRequest(config, { path: forwardedPath(target, "v1/charges?id=7") })).toEqual({
        kind: "forwarded",
        route: target,
        cluster: targetClusterName(target),
        path: "/v1/charges?id=7",
      });
    }
    expect(routeRequest(config, { path: targetPathPrefix("payments") })).toMatchObject({ cluster: "target_payments", path: "/" });
  });

  it("answers a target X may not call, or no target, with 404", () => {
    expect(routeRequest(config, { path: "/billing/v1" })).toEqual({ kind: "direct", status: 404, route: UNKNOWN_TARGET_ROUTE });
    expect(routeRequest(config, { path: "/" })).toEqual({ kind: "direct", status: 404, route: UNKNOWN_TARGET_ROUTE });
    // A prefix is a whole segment: /paymentsx/ is not /payments/.
    expect(routeRequest(config, { path: "/paymentsx/v1" })).toMatchObject({ route: UNKNOWN_TARGET_ROUTE });
  });

  it("keeps legitimate dots: /.well-known, file.json, ...x", () => {
    for (const part of [".well-known/jwks.json", "v1/file.json", "v1/...x", "v1/.hidden/.."+"x"]) {
      expect(routeRequest(config, { path: forwardedPath("payments", part) })).toMatchObject({ kind: "forwarded", cluster: "target_payments" });
    }
  });
});

describe("the caller cannot move a request to another target", () => {
  it.each(ATTACKS)("dot-segments or escaped slashes in the caller's part: %s", (attack) => {
    for (const part of variants(attack)) {
      const outcome = routeRequest(config, { path: forwardedPath("payments", part) });
      expect({ part, staysOnPayments: staysOnPayments(outcome) }).toEqual({ part, staysOnPayments: true });
    }
  });

  it("refuses dot-segments and escaped slashes with 400 instead of resolving them", () => {
    expect(routeRequest(config, { path: forwardedPath("payments", "../ledger/x") })).toEqual({
      kind: "rejected",
      status: 400,
      by: "route",
      route: REJECTED_PATH_ROUTE,
    });
    expect(routeRequest(config, { path: forwardedPath("payments", "%2e%2E/ledger") })).toMatchObject({ kind: "rejected", route: REJECTED_PATH_ROUTE });
    expect(routeRequest(config, { path: forwardedPath("payments", "a%2Fb") })).toEqual({ kind: "rejected", status: 400, by: "escaped-slash" });
    expect(routeRequest(config, { path: forwardedPath("payments", "a%5cb") })).toEqual({ kind: "rejected", status: 400, by: "escaped-slash" });
  });

  it("ignores target headers, however many values the caller adds", () => {
    for (const values of [["ledger"], ["payments", "ledger"], ["ledger", "payments"]]) {
      const outcome = routeRequest(config, { path: forwardedPath("payments", "v1"), headers: { [TARGET_HEADER]: values } });
      expect(outcome).toMatchObject({ kind: "forwarded", cluster: "target_payments" });
    }
    // …and never forwards one.
    const hcm = (config.static_resources.listeners[0] as any).filter_chains[0].filters[0].typed_config;
    expect(hcm.route_config.request_headers_to_remove).toContain(TARGET_HEADER);
  });

  it("relies on settings the model checks: no normalization, escaped slashes rejected", () => {
    const hcm = (config.static_resources.listeners[0] as any).filter_chains[0].filters[0].typed_config;
    expect(hcm.normalize_path).toBe(false);
    expect(hcm.path_with_escaped_slashes_action).toBe("REJECT_REQUEST");
    // With RFC 3986 normalization on, /payments/%2e%2e/ledger would be routed as /ledger: the model
    // refuses to vouch for it.
    const normalized = structuredClone(config) as any;
    normalized.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.normalize_path = true;
    expect(() => routeRequest(normalized, { path: "/payments/x" })).toThrow(/normalize_path/);
  });
});

describe("egress shares the path rules", () => {
  const egress = farcarEgressBootstrap({
    acquisition: "afterpay",
    environment: "production",
    service: "risk-scores",
    upstream: { url: "https://risk.afterpay.internal/base", auth: { kind: "sigv4", service: "execute-api", region: "ap-southeast-2" } },
  });

  it("cannot climb out of the upstream's base path", () => {
    expect(routeRequest(egress, { path: "/v1/score" })).toMatchObject({ kind: "forwarded", path: "/base/v1/score" });
    for (const attack of ["/../admin", "/%2e%2e/admin", "/v1/..%2f..%2fadmin"]) {
      expect(routeRequest(egress, { path: attack })).toMatchObject({ kind: "rejected", status: 400 });
    }
  });
});
