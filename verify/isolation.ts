/**
 * Verification layer 4, the isolation proof: every private API's resource policy, as synthesized,
 * simulated for every (principal, method, path, source endpoint) against the 1:1 matrix the fleet
 * file implies (./matrix.ts).
 *
 * Covered automatically: every stack with an `aws_api_gateway_rest_api_policy` named
 * `<acquisition>-<environment>-ingress` (services = `inbound`, roles = `roleArns`, account = the
 * proxy account) or `<acquisition>-<environment>-egress` (services = `outbound`, roles =
 * `callerRoleArns`, account = `egressProxyAccount`). A policy in any other stack is reported as a
 * problem: verify will not guess its expected matrix.
 */
import type { EvaluationResult } from "@cloud-copilot/iam-simulate";
import type { Fleet, FleetEnvironment } from "../config/fleet";
import { accountIdOutputName, partitionOf, shortHash } from "../config/names";
import {
  API_GATEWAY_METHODS,
  expectedAllowed,
  grantedPrefixes,
  probePaths,
  serviceNamesInFleet,
  rolesListedInFleet,
  testPrincipals,
  type ApiKind,
  type ApiServiceUnderTest,
  type TestEndpoint,
  type TestPath,
  type TestPrincipal,
} from "./matrix";
import {
  accountOfArn,
  evaluate,
  evaluateChecked,
  prepareIdentityPolicy,
  prepareResourcePolicy,
  simulatorVersion,
  type InvokeRequest,
  type PreparedPolicy,
} from "./simulator";
import {
  expandExecuteApiShorthand,
  parseResourceReference,
  ReferenceResolver,
  type ResolvedReference,
  type StandInAccount,
  type TerraformJson,
} from "./terraform-refs";
import { traceIntegrations } from "./integrations";
import { NoApplicableAllow } from "./no-allow";

export type IdentityVariant = "generated" | "allow-all";

/** One simulated request and its outcome. */
export interface IsolationCase {
  readonly stack: string;
  /** Simulated principal (roles call as assumed-role sessions). */
  readonly principal: string;
  readonly roleArn: string;
  readonly principalKind: TestPrincipal["kind"];
  readonly principalLabel: string;
  /** Identity policy the caller had: the generated `caller_identity_policies` one, or allow-everything. */
  readonly identity: IdentityVariant;
  readonly method: string;
  /** Path after the stage. */
  readonly path: string;
  readonly pathWhy: string;
  readonly endpoint: TestEndpoint;
  readonly resourceArn: string;
  readonly expected: "Allowed" | "Denied";
  readonly got: EvaluationResult;
}

export interface Mismatch extends IsolationCase {
  /** Statements that applied, from iam-simulate's full analysis (e.g. "Allow resource:InvokeCheckout"). */
  readonly decisive?: readonly string[];
}

export interface StackIsolationReport {
  readonly stack: string;
  /** Terraform resource ID of the API (a stack has one per service). */
  readonly api: string;
  readonly kind: ApiKind;
  readonly environment: string;
  readonly apiAccountId: string;
  readonly apiId: string;
  readonly stage: string;
  readonly endpointId: string;
  readonly foreignEndpoint: TestEndpoint;
  readonly services: readonly string[];
  readonly principals: number;
  readonly paths: number;
  readonly methods: number;
  readonly cases: number;
  readonly allowed: number;
  readonly denied: number;
  readonly mismatches: readonly Mismatch[];
  /** Every Terraform reference replaced by a concrete value, and why that value. */
  readonly substitutions: readonly ResolvedReference[];
  /** `execute-api:/…` shorthands expanded to full ARNs. */
  readonly shorthandsExpanded: number;
  /** Integrations traced to their own service's listener, target group and ECS service (./integrations.ts). */
  readonly integrationsTraced: number;
  readonly ms: number;
}

export interface EngineReport {
  readonly name: string;
  readonly version: string;
  readonly mode: "fast" | "checked";
  /** Cases re-run through the validated runSimulation (fast mode). */
  readonly crossChecked: number;
  /**
   * Cases settled as denied without simulating them: expected denied, and no Allow statement could
   * apply (fast mode, ./no-allow.ts). Those in the cross-check sample are simulated all the same.
   */
  readonly settled: number;
  /** Cases where the two disagreed, or runSimulation reported errors / ignored context keys. */
  readonly disagreements: readonly string[];
}

export interface IsolationReport {
  readonly stacks: readonly StackIsolationReport[];
  /** Environments/directions with nothing to verify (e.g. no egress stack synthesized yet). */
  readonly notes: readonly string[];
  /** Anything that stops the proof from being complete: each one fails verification. */
  readonly problems: readonly string[];
  readonly engine: EngineReport;
  readonly cases: number;
  readonly mismatches: number;
  readonly ok: boolean;
  readonly ms: number;
}

export interface VerifyOptions {
  /** Only these stacks (default: every stack with an API resource policy). */
  readonly stacks?: readonly string[];
  /** "fast" (default): runUnsafeSimulation + cross-check sample; "checked": runSimulation for every case. */
  readonly engine?: "fast" | "checked";
  /** In fast mode, re-run every Nth case through runSimulation (default CROSS_CHECK_EVERY; 0 = never). */
  readonly crossCheckEvery?: number;
  /**
   * In fast mode, settle a case expected to be denied without simulating it when no Allow
   * statement could apply to it (./no-allow.ts); false simulates every case.
   * @default true
   */
  readonly settleWithoutAllow?: boolean;
  /** Mismatches explained with statement-level analysis (default 200). */
  readonly explainMismatches?: number;
  /**
   * Also trace every integration to its own service's Farcar (./integrations.ts).
   * @default true
   */
  readonly traceIntegrations?: boolean;
  /**
   * Simulate only these APIs (stack names) of the selection; everything else (problems, notes) is
   * reported as usual. For `verifyIsolationParallel` (./parallel.ts), which gives each worker a share.
   */
  readonly simulateOnly?: readonly string[];
  /**
   * In a direction with more than FULL_MATRIX_SERVICES services, the other services whose roles and
   * names are tried against each API (besides every role and prefix its policy names); 0 = all.
   * @default 4
   */
  readonly neighbours?: number;
}

/**
 * In fast mode, every Nth case (and every mismatch) is re-run through the validated runSimulation.
 * A prime that shares no factor with the 7 methods × 3 endpoints of a path, so the sample walks
 * every method × endpoint; on the example fleet about 216 of 84,000 cases (each costs ~1.5 ms,
 * ~30 fast cases). It detects drift between the two engines; the test suite runs a whole matrix
 * both ways (__tests__/verify/isolation.test.ts), and `--full` runs every case through runSimulation.
 */
export const CROSS_CHECK_EVERY = 389;

/** Up to this many services in a direction, every API is probed by every role and name of the fleet. */
export const FULL_MATRIX_SERVICES = 20;
const DEFAULT_NEIGHBOURS = 4;

/** Every `AWS` principal ARN an Allow or Deny statement of `policy` names. */
function principalArnsIn(policy: unknown): string[] {
  const statements = ([] as unknown[]).concat((policy as { Statement?: unknown })?.Statement ?? []) as Array<Record<string, unknown>>;
  return statements.flatMap((st) => {
    const p = st.Principal as { AWS?: unknown } | string | undefined;
    return typeof p === "object" && p ? ([] as unknown[]).concat(p.AWS ?? []).filter((x): x is string => typeof x === "string") : [];
  });
}

const ALLOW_ALL = prepareIdentityPolicy("AllowEverything", {
  Version: "2012-10-17",
  Statement: [{ Sid: "AllowEverything", Effect: "Allow", Action: "*", Resource: "*" }],
});

/** Stand-in account IDs for the proxy accounts the org stack creates, unused anywhere in the fleet. */
export function standInAccounts(fleet: Fleet): Map<string, StandInAccount> {
  const used = new Set(JSON.stringify({ ...fleet, mesh: { ...fleet.mesh, trustBundlePem: "" } }).match(/\d{12}/g) ?? []);
  const out = new Map<string, StandInAccount>();
  let next = 900000000001;
  for (const env of fleet.environments) {
    if (env.proxyAccount.id) continue;
    while (used.has(String(next))) next++;
    out.set(accountIdOutputName(env.acquisition, env.environment), { accountId: String(next), environmentKey: env.key });
    used.add(String(next++));
  }
  return out;
}

/** Parsed stack JSON with every API resource policy rewritten by `transform` (for deliberately broken variants). */
export function mapApiPolicies(
  stack: TerraformJson,
  transform: (policy: { Version: string; Statement: Record<string, any>[] }) => unknown, // eslint-disable-line @typescript-eslint/no-explicit-any
): TerraformJson {
  const copy = JSON.parse(JSON.stringify(stack)) as TerraformJson;
  for (const res of Object.values((copy.resource?.aws_api_gateway_rest_api_policy ?? {}) as Record<string, TerraformJson>)) {
    res.policy = JSON.stringify(transform(JSON.parse(res.policy as string)));
  }
  return copy;
}

interface ApiUnderTest {
  readonly stack: string;
  /** Terraform resource ID of the API (`api-<service>_api_…`). */
  readonly api: string;
  readonly kind: ApiKind;
  readonly env: FleetEnvironment;
  /** Services whose routes the API carries (one, in the layout the stacks generate). */
  readonly services: readonly ApiServiceUnderTest[];
  /** Every service of the stack's direction, in fleet-file order (for the neighbour sample). */
  readonly directionServices: readonly ApiServiceUnderTest[];
  readonly apiAccountId: string;
  readonly apiId: string;
  readonly executionArn: string;
  readonly stage: string;
  readonly endpointId: string;
  readonly resourcePolicy: PreparedPolicy;
  /** Generated caller identity policy per service. */
  readonly callerPolicies: ReadonlyMap<string, PreparedPolicy>;
  readonly substitutions: readonly ResolvedReference[];
  readonly shorthandsExpanded: number;
}

const STACK_NAME = /^(.+)-(ingress|egress)$/;

/**
 * Run the isolation proof over synthesized stacks (`stack name → parsed cdk.tf.json`). Never
 * throws for a bad policy: everything is in the report (`ok` false on any mismatch or problem).
 */
export async function verifyIsolation(
  fleet: Fleet,
  synthesized: Readonly<Record<string, TerraformJson>>,
  options: VerifyOptions = {},
): Promise<IsolationReport> {
  const started = performance.now();
  const mode = options.engine ?? "fast";
  const crossCheckEvery = options.crossCheckEvery ?? CROSS_CHECK_EVERY;
  const explainBudget = { left: options.explainMismatches ?? 200 };
  const problems: string[] = [];
  const notes: string[] = [];
  const standIns = standInAccounts(fleet);
  const partition = partitionOf(fleet.region);

  // Pass 1: every API in every stack, resolved (also the pool of foreign endpoints).
  const apis: ApiUnderTest[] = [];
  for (const stack of Object.keys(synthesized).sort()) apis.push(...describeApis(fleet, stack, synthesized[stack], standIns, problems));
  for (const env of fleet.environments) {
    for (const [kind, count] of [
      ["ingress", env.inbound.length],
      ["egress", env.outbound.length],
    ] as const) {
      const stack = `${env.key}-${kind}`;
      if (count === 0 || apis.some((a) => a.stack === stack)) continue;
      if (options.stacks && !options.stacks.includes(stack)) continue;
      if (synthesized[stack] === undefined && kind === "egress") {
        notes.push(`${stack}: not synthesized (${count} outbound service(s) in the fleet file): nothing to verify yet`);
      } else if (!problems.some((p) => p.startsWith(`${stack}:`))) {
        problems.push(`${stack}: ${count} ${kind === "ingress" ? "inbound" : "outbound"} service(s) in the fleet file but no API resource policy to verify`);
      }
    }
  }

  const selected = apis.filter((a) => !options.stacks || options.stacks.includes(a.stack));
  for (const wanted of options.stacks ?? []) {
    if (!apis.some((a) => a.stack === wanted) && !problems.some((p) => p.startsWith(`${wanted}:`))) {
      problems.push(`${wanted}: no such stack with an API resource policy`);
    }
  }

  const listed = rolesListedInFleet(fleet.environments);
  const meshServices = Object.keys(fleet.mesh.services);
  const fleetServices = serviceNamesInFleet(fleet.environments);
  const engine = { crossChecked: 0, settled: 0, disagreements: [] as string[] };
  const reports: StackIsolationReport[] = [];
  let counter = 0;

  // The network half, once per stack: every integration reaches its own service's listener, target group and Farcar.
  const networks = new Map<string, ReturnType<typeof traceIntegrations>>();
  for (const api of selected) {
    if (networks.has(api.stack) || (options.simulateOnly && !options.simulateOnly.includes(api.stack))) continue;
    const network = options.traceIntegrations === false ? { traces: [], problems: [] } : traceIntegrations(api.stack, api.kind, api.env, synthesized[api.stack]);
    problems.push(...network.problems);
    networks.set(api.stack, network);
  }
  const neighbours = options.neighbours ?? DEFAULT_NEIGHBOURS;
  const sampled = new Set<string>();

  for (const api of selected) {
    if (options.simulateOnly && !options.simulateOnly.includes(api.stack)) continue;
    const t0 = performance.now();
    const network = networks.get(api.stack)!;
    const own = new Set(api.services.map((s) => s.name));
    // Who else to try against this API, and which other prefixes. Every role and service name of
    // the fleet when the direction is small; in a large one (one API per service, hundreds of
    // APIs), every role the policy under test names, every prefix it grants, and the roles and
    // names of the `neighbours` services after this API's in fleet-file order (so each service's
    // roles are also tried against that many other APIs), plus as many from elsewhere in the fleet.
    const sample = neighbours > 0 && api.directionServices.length > FULL_MATRIX_SERVICES;
    let listedHere = listed;
    let foreignNames = fleetServices;
    if (sample) {
      sampled.add(api.stack);
      const named = new Set(principalArnsIn(api.resourcePolicy.document));
      const dir = api.directionServices;
      const at = dir.findIndex((s) => own.has(s.name));
      const near = new Set<string>();
      for (let i = 1; near.size < neighbours && i < dir.length; i++) {
        const other = dir[(at + i) % dir.length];
        if (!own.has(other.name)) near.add(other.name);
      }
      const nearRoles = new Set(dir.filter((s) => near.has(s.name)).flatMap((s) => s.roleArns));
      const inDirection = new Set(dir.flatMap((s) => s.roleArns));
      const elsewhere = listed.filter((l) => !inDirection.has(l.roleArn)).slice(0, neighbours);
      listedHere = listed.filter((l) => named.has(l.roleArn) || nearRoles.has(l.roleArn) || elsewhere.includes(l));
      for (const arn of named) {
        if (!listed.some((l) => l.roleArn === arn) && /^arn:[\w-]+:iam::\d{12}:role\//.test(arn)) listedHere.push({ roleArn: arn, where: "the policy under test (listed nowhere in the fleet file)" });
      }
      const dirNames = new Set(dir.map((s) => s.name));
      foreignNames = [
        ...fleetServices.filter((f) => near.has(f.name)),
        ...fleetServices.filter((f) => !dirNames.has(f.name)).slice(0, neighbours),
      ];
    }
    const others = apis.filter((a) => a.endpointId !== api.endpointId);
    const foreignEndpoint: TestEndpoint = others.length
      ? { kind: "foreign", id: others[0].endpointId, label: `the endpoint of ${others[0].stack}` }
      : { kind: "foreign", id: `vpce-${shortHash(`foreign:${api.stack}`, 17)}`, label: "another VPC endpoint" };
    const endpoints: TestEndpoint[] = [
      { kind: "environment", id: api.endpointId, label: "this environment's endpoint" },
      foreignEndpoint,
      { kind: "none", label: "no VPC endpoint" },
    ];
    const principals = testPrincipals({ partition, apiAccountId: api.apiAccountId, services: api.services, listedInFleet: listedHere });
    const paths = probePaths(api.services, {
      knownSegments: api.kind === "ingress" ? meshServices : [],
      foreignPrefixes: [
        ...foreignNames,
        ...grantedPrefixes(api.resourcePolicy.document, api.executionArn).map((name) => ({
          name,
          why: `granted by the policy under test, but not a service of this API`,
        })),
      ],
    });
    const mismatches: Mismatch[] = [];
    let cases = 0;
    let allowed = 0;
    const noAllow = mode === "fast" && options.settleWithoutAllow !== false ? new NoApplicableAllow(api.resourcePolicy) : undefined;

    for (const principal of principals) {
      for (const [identity, policies] of identityVariants(api, principal, problems)) {
        for (const path of paths) {
          for (const method of API_GATEWAY_METHODS) {
            for (const endpoint of endpoints) {
              const req = invokeRequest(api, principal, method, path, endpoint);
              const n = counter++;
              const expected = expectedAllowed(principal, path, endpoint, api.apiAccountId, method, api.services);
              let got: EvaluationResult;
              const sampledCase = crossCheckEvery > 0 && n % crossCheckEvery === 0;
              const settled = !expected && noAllow !== undefined && noAllow.settlesAsDenied(req, policies);
              if (settled) engine.settled++;
              if (settled && !sampledCase) {
                got = "ImplicitlyDenied";
              } else if (mode === "checked") {
                const checked = await evaluateChecked(req, api.resourcePolicy, policies);
                if (checked.errors || !checked.result) {
                  problems.push(`${api.stack}: iam-simulate could not evaluate ${describeRequest(req)}: ${checked.errors}`);
                  continue;
                }
                got = checked.result;
              } else {
                got = evaluate(req, api.resourcePolicy, policies);
                if (settled && got === "Allowed") {
                  engine.disagreements.push(`${api.stack}: ${describeRequest(req)}: settled as denied (no Allow could apply), but runUnsafeSimulation Allowed`);
                }
                if (sampledCase) {
                  engine.crossChecked++;
                  const checked = await evaluateChecked(req, api.resourcePolicy, policies);
                  if (checked.result !== got || checked.ignoredContextKeys.length) {
                    engine.disagreements.push(
                      `${api.stack}: ${describeRequest(req)}: runUnsafeSimulation ${got}, runSimulation ${checked.result ?? checked.errors}` +
                        (checked.ignoredContextKeys.length ? ` (ignored context keys ${checked.ignoredContextKeys.join(", ")})` : ""),
                    );
                  }
                }
              }
              cases++;
              if (got === "Allowed") allowed++;
              if (expected !== (got === "Allowed")) {
                const mismatch: Mismatch = {
                  stack: api.stack,
                  principal: principal.arn,
                  roleArn: principal.roleArn,
                  principalKind: principal.kind,
                  principalLabel: principal.label,
                  identity,
                  method,
                  path: path.path,
                  pathWhy: path.why,
                  endpoint,
                  resourceArn: req.resourceArn,
                  expected: expected ? "Allowed" : "Denied",
                  got,
                };
                if (explainBudget.left > 0) {
                  explainBudget.left--;
                  const checked = await evaluateChecked(req, api.resourcePolicy, policies);
                  if (checked.result !== undefined && checked.result !== got) {
                    engine.disagreements.push(`${api.stack}: ${describeRequest(req)}: runUnsafeSimulation ${got}, runSimulation ${checked.result}`);
                  }
                  mismatches.push({ ...mismatch, decisive: checked.decisive });
                } else {
                  mismatches.push(mismatch);
                }
              }
            }
          }
        }
      }
    }
    reports.push({
      stack: api.stack,
      api: api.api,
      kind: api.kind,
      environment: `${api.env.acquisition}/${api.env.environment}`,
      apiAccountId: api.apiAccountId,
      apiId: api.apiId,
      stage: api.stage,
      endpointId: api.endpointId,
      foreignEndpoint,
      services: api.services.map((s) => s.name),
      principals: principals.length,
      paths: paths.length,
      methods: API_GATEWAY_METHODS.length,
      cases,
      allowed,
      denied: cases - allowed,
      mismatches,
      substitutions: api.substitutions,
      shorthandsExpanded: api.shorthandsExpanded,
      integrationsTraced: network.traces.filter((t) => own.has(t.service)).length,
      ms: performance.now() - t0,
    });
  }

  for (const stack of sampled) {
    notes.push(
      `${stack}: more than ${FULL_MATRIX_SERVICES} services: each API was probed by every role its policy names, ` +
        `its own roles, and the roles and names of ${neighbours} neighbouring services (help/scaling.md, "verify at scale")`,
    );
  }
  const cases = reports.reduce((n, r) => n + r.cases, 0);
  const mismatchCount = reports.reduce((n, r) => n + r.mismatches.length, 0);
  const uniqueProblems = [...new Set(problems)];
  return {
    stacks: reports,
    notes,
    problems: uniqueProblems,
    engine: {
      name: "@cloud-copilot/iam-simulate",
      version: simulatorVersion(),
      mode,
      crossChecked: engine.crossChecked,
      settled: engine.settled,
      disagreements: engine.disagreements,
    },
    cases,
    mismatches: mismatchCount,
    ok: mismatchCount === 0 && uniqueProblems.length === 0 && engine.disagreements.length === 0 && reports.length > 0,
    ms: performance.now() - started,
  };
}

function identityVariants(api: ApiUnderTest, principal: TestPrincipal, problems: string[]): [IdentityVariant, PreparedPolicy[]][] {
  const variants: [IdentityVariant, PreparedPolicy[]][] = [];
  if (principal.kind === "service-role") {
    const generated: PreparedPolicy[] = [];
    for (const s of principal.services) {
      const p = api.callerPolicies.get(s);
      if (p) generated.push(p);
      else problems.push(`${api.stack}: no caller identity policy generated for service ${s} (output caller_identity_policies)`);
    }
    if (generated.length) variants.push(["generated", generated]);
  }
  variants.push(["allow-all", [ALLOW_ALL]]);
  return variants;
}

function invokeRequest(api: ApiUnderTest, principal: TestPrincipal, method: string, path: TestPath, endpoint: TestEndpoint): InvokeRequest {
  return {
    principal: principal.arn,
    principalAccount: principal.account,
    principalArn: principal.roleArn,
    resourceArn: `${api.executionArn}/${api.stage}/${method}${path.path}`,
    resourceAccount: api.apiAccountId,
    sourceVpce: endpoint.id,
  };
}

function describeRequest(req: InvokeRequest): string {
  return `${req.principal} → ${req.resourceArn} via ${req.sourceVpce ?? "no endpoint"}`;
}

type Resources = Record<string, TerraformJson>;

/**
 * Resolve every API of one stack (one per service: stacks/proxy-stack.ts): for each resource
 * policy, its API, the services whose routes it carries, its account, endpoint, stage and policies.
 * Every service of the direction must be on exactly one API.
 */
function describeApis(
  fleet: Fleet,
  stack: string,
  tf: TerraformJson,
  standIns: ReadonlyMap<string, StandInAccount>,
  problems: string[],
): ApiUnderTest[] {
  const policies: Resources = tf.resource?.aws_api_gateway_rest_api_policy ?? {};
  const apis: Resources = tf.resource?.aws_api_gateway_rest_api ?? {};
  const problem = (message: string) => {
    problems.push(`${stack}: ${message}`);
    return [];
  };
  for (const [id, api] of Object.entries(apis)) {
    if (api.policy !== undefined) problem(`aws_api_gateway_rest_api.${id} has an inline policy, which verify does not check; use aws_api_gateway_rest_api_policy`);
  }
  const policyIds = Object.keys(policies);
  if (policyIds.length === 0) {
    if (Object.keys(apis).length > 0 && STACK_NAME.test(stack)) problem("has a REST API but no aws_api_gateway_rest_api_policy");
    return [];
  }
  const m = STACK_NAME.exec(stack);
  const env = m ? fleet.environments.find((e) => e.key === m[1]) : undefined;
  if (!m || !env) return problem("has an API resource policy but is not an <acquisition>-<environment>-ingress/-egress stack of the fleet file: no expected matrix");
  const kind = m[2] as ApiKind;
  const allServices: ApiServiceUnderTest[] =
    kind === "ingress"
      ? env.inbound.map((s) => ({ name: s.name, roleArns: s.roleArns, segments: s.targets.map((t) => t.name), methods: s.methods }))
      : env.outbound.map((s) => ({ name: s.name, roleArns: s.callerRoleArns, segments: [], methods: s.methods }));

  // The API's account: from the fleet file where it says so, else where the stack deploys.
  const fleetAccount =
    kind === "ingress"
      ? (env.proxyAccount.id ?? standIns.get(accountIdOutputName(env.acquisition, env.environment))?.accountId)
      : (env.egress?.accountId ?? env.egressProxyAccountId);
  const providerAccount = deployAccount(tf, new ReferenceResolver({ stack, partition: partitionOf(env.region), region: env.region, apiAccountId: "000000000000", standIns }));
  if (fleetAccount && providerAccount && fleetAccount !== providerAccount) {
    return problem(`deploys to account ${providerAccount} but the fleet file puts its ${kind} API in ${fleetAccount}`);
  }
  const apiAccountId = fleetAccount ?? providerAccount;
  if (!apiAccountId) return problem("cannot tell which account owns the API (not in the fleet file, no assume-role provider)");

  // Which services each API carries: the first path segment of its routes (the API's structure,
  // not its policy). A route that is no service of the direction is a problem.
  const routesOf = new Map<string, Set<string>>();
  for (const [id, r] of Object.entries((tf.resource?.aws_api_gateway_resource ?? {}) as Resources)) {
    const parent = parseResourceReference(r.parent_id);
    if (parent?.type !== "aws_api_gateway_rest_api" || parent.attr !== "root_resource_id") continue;
    const name = String(r.path_part);
    if (!allServices.some((s) => s.name === name)) problem(`aws_api_gateway_resource.${id}: /${name} on aws_api_gateway_rest_api.${parent.id} is no ${kind === "ingress" ? "inbound" : "outbound"} service of ${env.key}`);
    routesOf.set(parent.id, new Set([...(routesOf.get(parent.id) ?? []), name]));
  }
  const apisOf = new Map<string, string[]>();
  for (const [apiId, names] of routesOf) for (const n of names) apisOf.set(n, [...(apisOf.get(n) ?? []), apiId]);
  for (const s of allServices) {
    const on = apisOf.get(s.name) ?? [];
    if (on.length !== 1) problem(`${s.name} has routes on ${on.length} APIs (${on.join(", ") || "none"}); expected exactly one`);
  }

  const out: ApiUnderTest[] = [];
  for (const policyId of policyIds.sort()) {
    const api = describeApi(stack, tf, env, kind, policyId, { allServices, routesOf, apiAccountId, standIns, problem });
    if (api) out.push(api);
  }
  return out;
}

/** One API of a stack, from its resource policy `policyId` (see describeApis). */
function describeApi(
  stack: string,
  tf: TerraformJson,
  env: FleetEnvironment,
  kind: ApiKind,
  policyId: string,
  ctx: {
    readonly allServices: readonly ApiServiceUnderTest[];
    readonly routesOf: ReadonlyMap<string, ReadonlySet<string>>;
    readonly apiAccountId: string;
    readonly standIns: ReadonlyMap<string, StandInAccount>;
    readonly problem: (message: string) => never[];
  },
): ApiUnderTest | undefined {
  const { apiAccountId, problem } = ctx;
  const fail = (message: string) => {
    problem(message);
    return undefined;
  };
  const policies: Resources = tf.resource?.aws_api_gateway_rest_api_policy ?? {};
  const apis: Resources = tf.resource?.aws_api_gateway_rest_api ?? {};
  const resolver = new ReferenceResolver({ stack, partition: partitionOf(env.region), region: env.region, apiAccountId, standIns: ctx.standIns });
  const policyRes = policies[policyId];
  const apiRef = parseResourceReference(policyRes.rest_api_id);
  const apiRes = apiRef?.type === "aws_api_gateway_rest_api" ? apis[apiRef.id] : undefined;
  if (!apiRef || !apiRes) return fail(`aws_api_gateway_rest_api_policy.${policyId}.rest_api_id does not reference a REST API of the stack`);
  const others = Object.entries(policies).filter(([id, p]) => id !== policyId && parseResourceReference(p.rest_api_id)?.id === apiRef.id);
  if (others.length) return fail(`aws_api_gateway_rest_api.${apiRef.id} has ${others.length + 1} resource policies; expected one`);
  const routes = ctx.routesOf.get(apiRef.id) ?? new Set<string>();
  const services = ctx.allServices.filter((s) => routes.has(s.name));
  const executionArn = resolver.resolveString(`\${aws_api_gateway_rest_api.${apiRef.id}.execution_arn}`);
  const apiId = resolver.resolveString(`\${aws_api_gateway_rest_api.${apiRef.id}.id}`);

  const endpointIds: unknown[] = apiRes.endpoint_configuration?.vpc_endpoint_ids ?? [];
  const types: unknown[] = apiRes.endpoint_configuration?.types ?? [];
  if (!types.includes("PRIVATE")) problem(`aws_api_gateway_rest_api.${apiRef.id} is not PRIVATE (types ${JSON.stringify(types)})`);
  if (endpointIds.length !== 1) return fail(`aws_api_gateway_rest_api.${apiRef.id} is bound to ${endpointIds.length} VPC endpoints; verify expects exactly one (this environment's)`);
  const endpointId = resolver.resolveString(String(endpointIds[0]));

  const stages = Object.values((tf.resource?.aws_api_gateway_stage ?? {}) as Resources)
    .filter((s) => parseResourceReference(s.rest_api_id)?.id === apiRef.id)
    .map((s) => String(s.stage_name));
  if (stages.length > 1) return fail(`aws_api_gateway_rest_api.${apiRef.id} has ${stages.length} stages; verify expects one`);
  const stage = stages[0] ?? String(tf.output?.stage_name?.value ?? env.environment);

  let document: unknown;
  try {
    document = JSON.parse(resolver.resolveString(String(policyRes.policy)));
  } catch (err) {
    return fail(`the resource policy of aws_api_gateway_rest_api.${apiRef.id} is not JSON after resolving references: ${(err as Error).message}`);
  }
  const expanded = expandExecuteApiShorthand(document, executionArn);
  const resourcePolicy = prepareResourcePolicy(`${stack} API resource policy (${apiRef.id})`, expanded.policy);
  if (resourcePolicy.errors.length) return fail(`the resource policy of aws_api_gateway_rest_api.${apiRef.id} is invalid: ${resourcePolicy.errors.join("; ")}`);

  const callerPolicies = new Map<string, PreparedPolicy>();
  const outputs = (tf.output?.caller_identity_policies?.value ?? {}) as Record<string, unknown>;
  for (const svc of services) {
    const raw = outputs[svc.name];
    if (raw === undefined) continue; // reported per principal
    try {
      const doc = typeof raw === "string" ? JSON.parse(resolver.resolveString(raw)) : resolver.resolveDeep(raw);
      const policy = prepareIdentityPolicy(`caller identity policy of ${svc.name}`, expandExecuteApiShorthand(doc, executionArn).policy);
      if (policy.errors.length) problem(`caller identity policy of ${svc.name} is invalid: ${policy.errors.join("; ")}`);
      else callerPolicies.set(svc.name, policy);
    } catch (err) {
      problem(`caller identity policy of ${svc.name} is not JSON: ${(err as Error).message}`);
    }
  }

  const unresolved = resolver.unresolvedReferences;
  if (unresolved.length) return fail(`cannot resolve ${unresolved.join(", ")} to a concrete value: verify does not guess`);
  return {
    stack,
    api: apiRef.id,
    kind,
    env,
    services,
    directionServices: ctx.allServices,
    apiAccountId,
    apiId,
    executionArn,
    stage,
    endpointId,
    resourcePolicy,
    callerPolicies,
    substitutions: resolver.substitutions,
    shorthandsExpanded: expanded.expanded,
  };
}

/** Account the stack's AWS provider assumes a role in, if it does. */
function deployAccount(tf: TerraformJson, resolver: ReferenceResolver): string | undefined {
  const providers = ([] as TerraformJson[]).concat(tf.provider?.aws ?? []);
  const roleArn = providers.find((p) => !p.alias)?.assume_role?.[0]?.role_arn;
  if (typeof roleArn !== "string") return undefined;
  const resolved = resolver.resolveString(roleArn);
  if (resolver.unresolvedReferences.length) return undefined;
  try {
    return accountOfArn(resolved);
  } catch {
    return undefined;
  }
}
