/** Shared helpers of the isolation-proof tests (isolation.test.ts, parallel.test.ts, sampled.test.ts). */
import { API_GATEWAY_METHODS, type IsolationReport, type Mismatch, type TerraformJson } from "../../verify";
import type { Synthesized } from "../support/synth";

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const STACK = "afterpay-staging-ingress";
export const CHECKOUT = "arn:aws:sts::333333333333:assumed-role/checkout-staging/farcar-verify";
export const PROXY_ADMIN = "arn:aws:sts::900000000001:assumed-role/farcar-verify-proxy-admin/farcar-verify";

export function stacksOf(s: Synthesized): Record<string, TerraformJson> {
  return Object.fromEntries(s.stackNames.map((n) => [n, s.json(n)]));
}

/** Distinct (principal, identity, path, endpoint kind) of the mismatches, sorted, with the methods each covers. */
export function holes(mismatches: readonly Mismatch[]): string[] {
  const byKey = new Map<string, Set<string>>();
  for (const m of mismatches) {
    const key = `${m.principal} ${m.identity} ${m.path} ${m.endpoint.kind} expected ${m.expected} got ${m.got}`;
    byKey.set(key, (byKey.get(key) ?? new Set()).add(m.method));
  }
  for (const [key, methods] of byKey) expect({ key, methods: [...methods].sort() }).toEqual({ key, methods: [...API_GATEWAY_METHODS].sort() });
  return [...byKey.keys()].sort();
}

/** The report of `service`'s API in `stack` (each service has its own API). */
export function stackReport(report: IsolationReport, stack = STACK, service = "checkout") {
  const s = report.stacks.find((r) => r.stack === stack && r.services.includes(service));
  expect(s).toBeDefined();
  return s!;
}

/** Every API report of `stack`, summed. */
export function stackTotals(report: IsolationReport, stack = STACK) {
  const apis = report.stacks.filter((r) => r.stack === stack);
  expect(apis.length).toBeGreaterThan(0);
  return {
    apis: apis.length,
    allowed: apis.reduce((n, r) => n + r.allowed, 0),
    cases: apis.reduce((n, r) => n + r.cases, 0),
    mismatches: apis.flatMap((r) => r.mismatches),
  };
}

/** Replace one statement's Resource list (policy JSON still holds Terraform references). */
export function withResources(sid: string, f: (resources: string[]) => string[]) {
  return (doc: { Statement: Json[] }) => ({
    ...doc,
    Statement: doc.Statement.map((s) => (s.Sid === sid ? { ...s, Resource: f([s.Resource].flat()) } : s)),
  });
}

export function withoutStatement(sid: string) {
  return (doc: { Statement: Json[] }) => {
    expect(doc.Statement.some((s) => s.Sid === sid)).toBe(true);
    return { ...doc, Statement: doc.Statement.filter((s) => s.Sid !== sid) };
  };
}

/** Terraform ID of the resource policy of `service`'s API in stack JSON `tf`. */
export function policyIdOf(tf: Json, service: string): string {
  const ids = Object.keys(tf.resource.aws_api_gateway_rest_api_policy).filter((k) => k.startsWith(`api-${service}_policy_`));
  expect(ids).toHaveLength(1);
  return ids[0];
}

/**
 * Stack JSON with only the resource policies of `services`' APIs (the APIs, their routes and
 * everything else kept): verify then simulates those APIs alone, each with the matrix the fleet
 * file gives it, for tests whose point is one API.
 */
export function onlyApisOf(tf: TerraformJson, services: readonly string[]): TerraformJson {
  const copy = JSON.parse(JSON.stringify(tf)) as Json;
  const keep = new Set(services.map((s) => policyIdOf(copy, s)));
  for (const id of Object.keys(copy.resource.aws_api_gateway_rest_api_policy)) if (!keep.has(id)) delete copy.resource.aws_api_gateway_rest_api_policy[id];
  return copy;
}
