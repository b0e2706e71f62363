/**
 * The expected 1:1 matrix of one private API, derived from the fleet file alone (never from the
 * policy under test): who calls, which paths they try, through which endpoint, and whether AWS
 * must let the request through.
 *
 * The rule (DESIGN.md, "Non-negotiables"): a request is allowed exactly when
 *   - the caller is a role listed for service X of this API, and
 *   - the method is one the fleet file lets X use (all seven unless `methods` narrows them), and
 *   - the path belongs to X — it starts with `/X/` (X's routes are `/X/{target}` and
 *     `/X/{target}/{proxy+}`; `/X` alone is no route of X), and
 *   - it comes through this environment's execute-api endpoint, and
 *   - the caller is not a principal of the API's own (proxy) account.
 * Everything else must be denied. (The API root `/` is not probed: iam-simulate rejects the ARN
 * `…/{stage}/GET/` with "no.resource.types", although API Gateway can produce it.) Which *targets* X may call is not IAM's job (the API has resources
 * only for X's targets and X's Farcar routes only to them), so `/X/{not-a-target}/…` is X's path.
 */
import type { FleetEnvironment } from "../config/fleet";
import { accountOfArn, roleSessionArn } from "./simulator";

/** Methods API Gateway can put in an execute-api ARN (what `ANY` answers). Kept here on purpose,
 *  independent of the policy builder's list, so a method the builder forgot shows up as denied. */
export const API_GATEWAY_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

export type ApiKind = "ingress" | "egress";

/** A service of the API: its path prefix and the roles that act as it. */
export interface ApiServiceUnderTest {
  readonly name: string;
  readonly roleArns: readonly string[];
  /** Second path segments to probe under `/name/` (ingress: its targets). */
  readonly segments: readonly string[];
  /** Methods the fleet file lets its roles use. @default - all API_GATEWAY_METHODS */
  readonly methods?: readonly string[];
}

export type PrincipalKind = "service-role" | "proxy-account" | "unlisted" | "listed-elsewhere";

export interface TestPrincipal {
  /** The principal simulated (roles call as assumed-role sessions). */
  readonly arn: string;
  /** The role behind the session (`aws:PrincipalArn`). */
  readonly roleArn: string;
  readonly account: string;
  readonly kind: PrincipalKind;
  /** Human description: "role of checkout", "listed for tidal/production inbound royalties", … */
  readonly label: string;
  /** Services of this API the role is listed for. */
  readonly services: readonly string[];
}

export type EndpointKind = "environment" | "foreign" | "none";

export interface TestEndpoint {
  readonly kind: EndpointKind;
  /** `aws:SourceVpce`; undefined = not through a VPC endpoint. */
  readonly id?: string;
  readonly label: string;
}

export interface TestPath {
  /** Request path after the stage, starting with `/`. */
  readonly path: string;
  /** Service the path belongs to, if any. */
  readonly owner?: string;
  /** Why it is probed. */
  readonly why: string;
}

/** `/X/...` belongs to X when X is a service; `/X` alone and `/Xy/...` do not. */
export function ownerOfPath(path: string, services: readonly string[]): string | undefined {
  const m = /^\/([^/]+)\//.exec(path);
  return m && services.includes(m[1]) ? m[1] : undefined;
}

export interface ProbeOptions {
  /** Second segments that exist somewhere (ingress: the mesh services), to find a target X may not call. */
  readonly knownSegments?: readonly string[];
  /**
   * First segments that are not services of this API but are worth trying: service names used
   * elsewhere in the fleet, and every prefix the policy under test itself grants (a policy that
   * grants a path no service owns must be caught even though the fleet file never names it).
   */
  readonly foreignPrefixes?: ReadonlyArray<{ readonly name: string; readonly why: string }>;
}

/** The paths to try against an API: every service's own, its neighbours', and the tricky ones. */
export function probePaths(services: readonly ApiServiceUnderTest[], options: ProbeOptions = {}): TestPath[] {
  const knownSegments = options.knownSegments ?? [];
  const names = services.map((s) => s.name);
  const out = new Map<string, TestPath>();
  const add = (path: string, why: string) => {
    if (!out.has(path)) out.set(path, { path, owner: ownerOfPath(path, names), why });
  };
  for (const svc of services) {
    const x = svc.name;
    const segs = svc.segments.length ? svc.segments : ["x"];
    const first = segs[0];
    for (const t of segs) {
      add(`/${x}/${t}`, `bare /${x}/{target} route`);
      add(`/${x}/${t}/a/b`, `under /${x}/{target}`);
    }
    const foreign = knownSegments.find((s) => !segs.includes(s)) ?? "not-a-target";
    add(`/${x}/${foreign}/a`, `a target ${x} may not call (the API's routes and the Farcar stop it, not IAM)`);
    add(`/${x}`, `/${x} alone (no route)`);
    add(`/${x}/`, `/${x}/ with nothing after it`);
    add(`/${x}x/${first}/a`, `prefix confusion: /${x}x`);
    add(`/${x}-v2/${first}/a`, `prefix confusion: /${x}-v2`);
    add(`/${x.toUpperCase()}/${first}/a`, `case confusion: /${x.toUpperCase()}`);
    for (const other of services) {
      if (other.name === x) continue;
      const t = other.segments[0] ?? "x";
      add(`/${other.name}/${t}/${x}/a`, `${x}'s name inside ${other.name}'s path (the /{stage}/*/${x}/* hole)`);
    }
  }
  for (const { name, why } of options.foreignPrefixes ?? []) {
    if (names.includes(name)) continue;
    add(`/${name}/x/a`, why);
    // A service's name inside another prefix (the /{stage}/*/X/* hole), also on an API of one service.
    if (names.length === 1) add(`/${name}/x/${names[0]}/a`, `${names[0]}'s name inside ${name}'s path (the /{stage}/*/${names[0]}/* hole)`);
  }
  add("/farcar-verify-unknown/a/b", "a service that does not exist");
  return [...out.values()];
}

/** Every service name of the fleet (any environment, either direction), with where it is used. */
export function serviceNamesInFleet(environments: readonly FleetEnvironment[]): Array<{ name: string; why: string }> {
  const out = new Map<string, string>();
  for (const env of environments) {
    const at = `${env.acquisition}/${env.environment}`;
    for (const s of env.inbound) if (!out.has(s.name)) out.set(s.name, `a service of ${at} inbound, not of this API`);
    for (const s of env.outbound) if (!out.has(s.name)) out.set(s.name, `a service of ${at} outbound, not of this API`);
  }
  return [...out].map(([name, why]) => ({ name, why }));
}

/**
 * First path segments an Allow statement of `policy` grants on `executionArn` (`…/{stage}/{method}/{first}/…`),
 * wildcards stripped (`checkout*` → `checkout`).
 */
export function grantedPrefixes(policy: unknown, executionArn: string): string[] {
  const out = new Set<string>();
  const statements = ([] as unknown[]).concat((policy as { Statement?: unknown })?.Statement ?? []) as Array<Record<string, unknown>>;
  for (const st of statements) {
    if (st.Effect !== "Allow") continue;
    for (const r of ([] as unknown[]).concat(st.Resource ?? [])) {
      if (typeof r !== "string" || !r.startsWith(`${executionArn}/`)) continue;
      const first = r.slice(executionArn.length + 1).split("/")[2]?.replace(/[*?]/g, "");
      if (first && /^[A-Za-z0-9._~-]+$/.test(first)) out.add(first);
    }
  }
  return [...out];
}

/** A role listed somewhere in the fleet, and where. */
export interface ListedRole {
  readonly roleArn: string;
  readonly where: string;
}

/** Every role ARN the fleet lists, for any environment and direction. */
export function rolesListedInFleet(environments: readonly FleetEnvironment[]): ListedRole[] {
  const out: ListedRole[] = [];
  for (const env of environments) {
    const at = `${env.acquisition}/${env.environment}`;
    for (const s of env.inbound) for (const r of s.roleArns) out.push({ roleArn: r, where: `${at} inbound ${s.name}` });
    for (const s of env.outbound) {
      for (const r of s.callerRoleArns) out.push({ roleArn: r, where: `${at} outbound ${s.name}` });
      if (s.upstream.auth.kind === "sigv4" && s.upstream.auth.roleArn) {
        out.push({ roleArn: s.upstream.auth.roleArn, where: `${at} outbound ${s.name} upstream signer` });
      }
    }
  }
  return out;
}

/** Who calls an API: its own roles, a proxy-account admin, unlisted roles, and roles listed elsewhere. */
export function testPrincipals(input: {
  readonly partition: string;
  readonly apiAccountId: string;
  readonly services: readonly ApiServiceUnderTest[];
  readonly listedInFleet: readonly ListedRole[];
}): TestPrincipal[] {
  const { partition, apiAccountId } = input;
  const out: TestPrincipal[] = [];
  const servicesOf = new Map<string, string[]>();
  for (const s of input.services) {
    for (const r of s.roleArns) servicesOf.set(r, [...(servicesOf.get(r) ?? []), s.name]);
  }
  for (const [roleArn, services] of servicesOf) {
    out.push({
      arn: roleSessionArn(roleArn),
      roleArn,
      account: accountOfArn(roleArn),
      kind: "service-role",
      label: `role of ${services.join(", ")}`,
      services,
    });
  }
  const synthetic = (account: string, name: string, kind: PrincipalKind, label: string) => {
    const roleArn = `arn:${partition}:iam::${account}:role/${name}`;
    out.push({ arn: roleSessionArn(roleArn), roleArn, account, kind, label, services: [] });
  };
  synthetic(apiAccountId, "farcar-verify-proxy-admin", "proxy-account", "admin of the proxy account (allow-all identity policy)");
  const callerAccounts = [...new Set([...servicesOf.keys()].map(accountOfArn))].filter((a) => a !== apiAccountId).sort();
  for (const account of callerAccounts) {
    synthetic(account, "farcar-verify-unlisted", "unlisted", `role of caller account ${account} listed nowhere`);
  }
  const elsewhere = new Map<string, string[]>();
  for (const { roleArn, where } of input.listedInFleet) {
    if (servicesOf.has(roleArn)) continue;
    elsewhere.set(roleArn, [...(elsewhere.get(roleArn) ?? []), where]);
  }
  for (const [roleArn, where] of elsewhere) {
    out.push({
      arn: roleSessionArn(roleArn),
      roleArn,
      account: accountOfArn(roleArn),
      kind: "listed-elsewhere",
      label: `listed for ${where.join("; ")}`,
      services: [],
    });
  }
  return out;
}

/** The one rule every case is checked against. */
export function expectedAllowed(
  principal: TestPrincipal,
  path: TestPath,
  endpoint: TestEndpoint,
  apiAccountId: string,
  method: string,
  services: readonly ApiServiceUnderTest[] = [],
): boolean {
  const owner = services.find((s) => s.name === path.owner);
  return (
    endpoint.kind === "environment" &&
    principal.account !== apiAccountId &&
    path.owner !== undefined &&
    principal.services.includes(path.owner) &&
    (owner?.methods ?? API_GATEWAY_METHODS).includes(method)
  );
}
