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
  /** In fast mode, re-run every Nth case through runSimulation (default 97, a prime, so the sample walks every method × endpoint; 0 = never). */
  readonly crossCheckEvery?: number;
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
  readonly kind: ApiKind;
  readonly env: FleetEnvironment;
  readonly services: readonly ApiServiceUnderTest[];
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
  const crossCheckEvery = options.crossCheckEvery ?? 97;
  const explainBudget = { left: options.explainMismatches ?? 200 };
  const problems: string[] = [];
  const notes: string[] = [];
  const standIns = standInAccounts(fleet);
  const partition = partitionOf(fleet.region);

  // Pass 1: every API in every stack, resolved (also the pool of foreign endpoints).
  const apis: ApiUnderTest[] = [];
  for (const stack of Object.keys(synthesized).sort()) {
    const api = describeApi(fleet, stack, synthesized[stack], standIns, problems);
    if (api) apis.push(api);
  }
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
  const engine = { crossChecked: 0, disagreements: [] as string[] };
  const reports: StackIsolationReport[] = [];
  let counter = 0;

  for (const api of selected) {
    if (options.simulateOnly && !options.simulateOnly.includes(api.stack)) continue;
    const t0 = performance.now();
    // The network half: every integration reaches its own service's listener, target group and Farcar.
    const network =
      options.traceIntegrations === false ? { traces: [], problems: [] } : traceIntegrations(api.stack, api.kind, api.env, synthesized[api.stack]);
    problems.push(...network.problems);
    const others = apis.filter((a) => a.endpointId !== api.endpointId);
    const foreignEndpoint: TestEndpoint = others.length
      ? { kind: "foreign", id: others[0].endpointId, label: `the endpoint of ${others[0].stack}` }
      : { kind: "foreign", id: `vpce-${shortHash(`foreign:${api.stack}`, 17)}`, label: "another VPC endpoint" };
    const endpoints: TestEndpoint[] = [
      { kind: "environment", id: api.endpointId, label: "this environment's endpoint" },
      foreignEndpoint,
      { kind: "none", label: "no VPC endpoint" },
    ];
    const principals = testPrincipals({ partition, apiAccountId: api.apiAccountId, services: api.services, listedInFleet: listed });
    const paths = probePaths(api.services, {
      knownSegments: api.kind === "ingress" ? meshServices : [],
      foreignPrefixes: [
        ...fleetServices,
        ...grantedPrefixes(api.resourcePolicy.document, api.executionArn).map((name) => ({
          name,
          why: `granted by the policy under test, but not a service of this API`,
        })),
      ],
    });
    const mismatches: Mismatch[] = [];
    let cases = 0;
    let allowed = 0;

    for (const principal of principals) {
      for (const [identity, policies] of identityVariants(api, principal, problems)) {
        for (const path of paths) {
          for (const method of API_GATEWAY_METHODS) {
            for (const endpoint of endpoints) {
              const req = invokeRequest(api, principal, method, path, endpoint);
              const n = counter++;
              let got: EvaluationResult;
              if (mode === "checked") {
                const checked = await evaluateChecked(req, api.resourcePolicy, policies);
                if (checked.errors || !checked.result) {
                  problems.push(`${api.stack}: iam-simulate could not evaluate ${describeRequest(req)}: ${checked.errors}`);
                  continue;
                }
                got = checked.result;
              } else {
                got = evaluate(req, api.resourcePolicy, policies);
                if (crossCheckEvery > 0 && n % crossCheckEvery === 0) {
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
              const expected = expectedAllowed(principal, path, endpoint, api.apiAccountId, method, api.services);
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
      integrationsTraced: network.traces.length,
      ms: performance.now() - t0,
    });
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

/** Resolve one stack's API: its expected services, account, endpoint, stage and policies. */
function describeApi(
  fleet: Fleet,
  stack: string,
  tf: TerraformJson,
  standIns: ReadonlyMap<string, StandInAccount>,
  problems: string[],
): ApiUnderTest | undefined {
  const policies: Resources = tf.resource?.aws_api_gateway_rest_api_policy ?? {};
  const apis: Resources = tf.resource?.aws_api_gateway_rest_api ?? {};
  const problem = (message: string) => {
    problems.push(`${stack}: ${message}`);
    return undefined;
  };
  for (const [id, api] of Object.entries(apis)) {
    if (api.policy !== undefined) problem(`aws_api_gateway_rest_api.${id} has an inline policy, which verify does not check; use aws_api_gateway_rest_api_policy`);
  }
  const policyIds = Object.keys(policies);
  if (policyIds.length === 0) {
    if (Object.keys(apis).length > 0 && STACK_NAME.test(stack)) problem("has a REST API but no aws_api_gateway_rest_api_policy");
    return undefined;
  }
  if (policyIds.length > 1) return problem(`has ${policyIds.length} API resource policies; verify expects one API per stack`);
  const m = STACK_NAME.exec(stack);
  const env = m ? fleet.environments.find((e) => e.key === m[1]) : undefined;
  if (!m || !env) return problem("has an API resource policy but is not an <acquisition>-<environment>-ingress/-egress stack of the fleet file: no expected matrix");
  const kind = m[2] as ApiKind;
  const services: ApiServiceUnderTest[] =
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

  const resolver = new ReferenceResolver({ stack, partition: partitionOf(env.region), region: env.region, apiAccountId, standIns });
  const policyRes = policies[policyIds[0]];
  const apiRef = parseResourceReference(policyRes.rest_api_id);
  const apiRes = apiRef?.type === "aws_api_gateway_rest_api" ? apis[apiRef.id] : undefined;
  if (!apiRef || !apiRes) return problem(`aws_api_gateway_rest_api_policy.${policyIds[0]}.rest_api_id does not reference a REST API of the stack`);
  const executionArn = resolver.resolveString(`\${aws_api_gateway_rest_api.${apiRef.id}.execution_arn}`);
  const apiId = resolver.resolveString(`\${aws_api_gateway_rest_api.${apiRef.id}.id}`);

  const endpointIds: unknown[] = apiRes.endpoint_configuration?.vpc_endpoint_ids ?? [];
  const types: unknown[] = apiRes.endpoint_configuration?.types ?? [];
  if (!types.includes("PRIVATE")) problem(`aws_api_gateway_rest_api.${apiRef.id} is not PRIVATE (types ${JSON.stringify(types)})`);
  if (endpointIds.length !== 1) return problem(`aws_api_gateway_rest_api.${apiRef.id} is bound to ${endpointIds.length} VPC endpoints; verify expects exactly one (this environment's)`);
  const endpointId = resolver.resolveString(String(endpointIds[0]));

  const stages = Object.values((tf.resource?.aws_api_gateway_stage ?? {}) as Resources)
    .filter((s) => parseResourceReference(s.rest_api_id)?.id === apiRef.id)
    .map((s) => String(s.stage_name));
  if (stages.length > 1) return problem(`the API has ${stages.length} stages; verify expects one`);
  const stage = stages[0] ?? String(tf.output?.stage_name?.value ?? env.environment);

  let document: unknown;
  try {
    document = JSON.parse(resolver.resolveString(String(policyRes.policy)));
  } catch (err) {
    return problem(`the API resource policy is not JSON after resolving references: ${(err as Error).message}`);
  }
  const expanded = expandExecuteApiShorthand(document, executionArn);
  const resourcePolicy = prepareResourcePolicy(`${stack} API resource policy`, expanded.policy);
  if (resourcePolicy.errors.length) return problem(`the API resource policy is invalid: ${resourcePolicy.errors.join("; ")}`);

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
  if (unresolved.length) return problem(`cannot resolve ${unresolved.join(", ")} to a concrete value: verify does not guess`);
  return {
    stack,
    kind,
    env,
    services,
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
