/**
 * The IAM evaluator behind `npm run verify`: @cloud-copilot/iam-simulate (AGPL, devDependency only;
 * nothing here is imported by the stacks).
 *
 * Two ways to evaluate one request, which must agree:
 *   - `evaluate` (fast, ~0.3 ms): `runUnsafeSimulation` on policies validated once up front. It
 *     skips the per-request resource-type lookup that makes `runSimulation` cost ~2.5 ms (profiled:
 *     almost all of it is iam-utils' resource-pattern intersection, independent of the policies).
 *     Our requests need none of what it skips: ARNs are concrete and fully expanded, context keys
 *     are spelled canonically and are all global string keys.
 *   - `evaluateChecked` (~2.5 ms): the validated `runSimulation`, with statement-level analysis. The
 *     isolation proof re-runs a sample of cases and every mismatch through it.
 *
 * Two facts about iam-simulate the proof depends on:
 *   - it does NOT populate `aws:PrincipalAccount` / `aws:PrincipalArn` from the principal (AWS
 *     always does, the caller cannot choose them); without them a `StringEquals
 *     aws:PrincipalAccount` deny never applies. `principalContext` sets them like AWS would.
 *   - `runUnsafeSimulation` crashes on a raw resource policy (it reads the name of a policy loaded
 *     without metadata); a pre-validated policy (`createValidatedPolicy`, with a name) avoids it.
 *     `@cloud-copilot/iam-policy` is iam-simulate's own dependency, loaded from iam-simulate's
 *     location so both use the same copy.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import {
  runSimulation,
  runUnsafeSimulation,
  type EvaluationResult,
  type RequestAnalysis,
  type Simulation,
} from "@cloud-copilot/iam-simulate";

interface ValidationError {
  readonly message: string;
  readonly path: string;
}

interface ValidatedPolicy {
  readonly __validated: true;
  readonly policyDocument: unknown;
  readonly metadata?: { name: string };
  readonly errors: readonly ValidationError[];
}

interface IamPolicyModule {
  createValidatedPolicy(doc: unknown, validate: (doc: unknown) => ValidationError[], metadata?: { name: string }): ValidatedPolicy;
  validateResourcePolicy(doc: unknown): ValidationError[];
  validateIdentityPolicy(doc: unknown): ValidationError[];
  validateServiceControlPolicy(doc: unknown): ValidationError[];
}

const requireFromSimulator = createRequire(require.resolve("@cloud-copilot/iam-simulate"));
const iamPolicy = requireFromSimulator("@cloud-copilot/iam-policy") as IamPolicyModule;

/** Version of iam-simulate in use (for the report). */
export function simulatorVersion(): string {
  // The package's "exports" hide package.json; walk up from its entry point instead.
  let dir = path.dirname(require.resolve("@cloud-copilot/iam-simulate"));
  for (let i = 0; i < 5; i++, dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (pkg.name === "@cloud-copilot/iam-simulate") return pkg.version ?? "unknown";
  }
  return "unknown";
}

/** A policy validated once, reused for every request. */
export interface PreparedPolicy {
  readonly name: string;
  readonly document: unknown;
  readonly errors: readonly string[];
  /** @internal */
  readonly validated: ValidatedPolicy;
}

export function prepareResourcePolicy(name: string, document: unknown): PreparedPolicy {
  return prepare(name, document, iamPolicy.validateResourcePolicy);
}

export function prepareIdentityPolicy(name: string, document: unknown): PreparedPolicy {
  return prepare(name, document, iamPolicy.validateIdentityPolicy);
}

/** An SCP validated as AWS Organizations would (used by the guardrail proof, verify/guardrails.ts). */
export function prepareServiceControlPolicy(name: string, document: unknown): PreparedPolicy {
  return prepare(name, document, iamPolicy.validateServiceControlPolicy);
}

function prepare(name: string, document: unknown, validate: (doc: unknown) => ValidationError[]): PreparedPolicy {
  const validated = iamPolicy.createValidatedPolicy(document, validate, { name });
  return { name, document, errors: validated.errors.map((e) => `${e.path}: ${e.message}`), validated };
}

/** One execute-api:Invoke request as API Gateway authorizes it. */
export interface InvokeRequest {
  /** The calling principal (for roles: the assumed-role session ARN SigV4 requests carry). */
  readonly principal: string;
  /** Context AWS derives from the principal (see `principalContext`). */
  readonly principalAccount: string;
  readonly principalArn: string;
  /** Fully expanded `arn:…:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}`. */
  readonly resourceArn: string;
  /** Account that owns the API (same-account vs cross-account evaluation hinges on it). */
  readonly resourceAccount: string;
  /** `aws:SourceVpce` — absent when the request does not come through a VPC endpoint. */
  readonly sourceVpce?: string;
}

export interface CheckedResult {
  readonly result?: EvaluationResult;
  readonly errors?: string;
  /** `effect policy:Sid` of every statement that applied, resource policy first. */
  readonly decisive: string[];
  /** Context keys runSimulation ignored as not applicable (the fast path would not ignore them). */
  readonly ignoredContextKeys: string[];
}

function contextOf(req: InvokeRequest): Record<string, string> {
  const ctx: Record<string, string> = {
    "aws:PrincipalAccount": req.principalAccount,
    "aws:PrincipalArn": req.principalArn,
  };
  if (req.sourceVpce !== undefined) ctx["aws:SourceVpce"] = req.sourceVpce;
  return ctx;
}

function simulation(req: InvokeRequest, resourcePolicy: PreparedPolicy, identityPolicies: readonly PreparedPolicy[]): Simulation {
  return {
    request: {
      principal: req.principal,
      action: "execute-api:Invoke",
      resource: { resource: req.resourceArn, accountId: req.resourceAccount },
      contextVariables: contextOf(req),
    },
    identityPolicies: identityPolicies.map((p) => ({ name: p.name, policy: p.validated })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: resourcePolicy.validated,
  };
}

/** Fast evaluation (policies must have no validation errors). */
export function evaluate(req: InvokeRequest, resourcePolicy: PreparedPolicy, identityPolicies: readonly PreparedPolicy[]): EvaluationResult {
  return runUnsafeSimulation(simulation(req, resourcePolicy, identityPolicies), {});
}

/** Full, validated evaluation with the statements that decided it. */
export async function evaluateChecked(
  req: InvokeRequest,
  resourcePolicy: PreparedPolicy,
  identityPolicies: readonly PreparedPolicy[],
): Promise<CheckedResult> {
  const res = await runSimulation(simulation(req, resourcePolicy, identityPolicies), { simulationMode: "Strict" });
  if (res.resultType === "error") return { errors: JSON.stringify(res.errors), decisive: [], ignoredContextKeys: [] };
  if (res.resultType === "wildcard") {
    return { result: res.overallResult, errors: "resource ARN contains a wildcard", decisive: [], ignoredContextKeys: [] };
  }
  return {
    result: res.overallResult,
    decisive: decisiveStatements(res.result.analysis),
    ignoredContextKeys: res.result.ignoredContextKeys ?? [],
  };
}

type StatementList = NonNullable<RequestAnalysis["resourceAnalysis"]>["allowStatements"];

function decisiveStatements(analysis: RequestAnalysis): string[] {
  const out: string[] = [];
  const add = (where: string, effect: string, list: StatementList) => {
    for (const s of list) out.push(`${effect} ${where}:${s.statement.sid() ?? `#${s.statement.index()}`}`);
  };
  if (analysis.resourceAnalysis) {
    add("resource", "Deny", analysis.resourceAnalysis.denyStatements);
    add("resource", "Allow", analysis.resourceAnalysis.allowStatements);
  }
  if (analysis.identityAnalysis) {
    add("identity", "Deny", analysis.identityAnalysis.denyStatements);
    add("identity", "Allow", analysis.identityAnalysis.allowStatements);
  }
  return out;
}

/** The account of an IAM/STS ARN (what AWS puts in `aws:PrincipalAccount`). */
export function accountOfArn(arn: string): string {
  const account = arn.split(":")[4];
  if (!/^\d{12}$/.test(account ?? "")) throw new Error(`no account id in ARN ${arn}`);
  return account;
}

/** `arn:aws:iam::1:role/path/name` → `arn:aws:sts::1:assumed-role/name/{session}` (SigV4 callers are sessions). */
export function roleSessionArn(roleArn: string, session = "farcar-verify"): string {
  const m = /^arn:([\w-]+):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
  if (!m) return roleArn;
  return `arn:${m[1]}:sts::${m[2]}:assumed-role/${m[3]}/${session}`;
}
