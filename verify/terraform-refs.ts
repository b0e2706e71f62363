/**
 * Terraform references in synthesized JSON → fake but consistent concrete values.
 *
 * The policies in cdk.tf.json name the API, the VPC endpoint and created accounts through
 * Terraform references (`${aws_api_gateway_rest_api.<id>.execution_arn}`, …) that only exist at
 * apply time; an IAM evaluator needs concrete ARNs. Every reference is mapped deterministically
 * (same stack and resource → same value) and every mapping is recorded so the report can say what
 * was substituted. A reference verify does not know is never guessed: it is reported.
 */
import { shortHash } from "../config/names";

/** Parsed `cdk.tf.json` of one stack. */
export type TerraformJson = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One substitution made while resolving a stack. */
export interface ResolvedReference {
  readonly reference: string;
  readonly value: string;
  /** Why this value (e.g. "fake API id", "stand-in for the account the org stack creates for afterpay/staging"). */
  readonly note: string;
}

export interface StandInAccount {
  readonly accountId: string;
  /** `<acquisition>-<environment>` whose created proxy account this stands for. */
  readonly environmentKey: string;
}

export interface ReferenceContext {
  readonly stack: string;
  readonly partition: string;
  readonly region: string;
  /** Account that owns the stack's REST API(s): the account part of every `execution_arn`. */
  readonly apiAccountId: string;
  /** Stand-ins for created accounts, by org-stack output name (`account_id_<acq>_<env>`). */
  readonly standIns: ReadonlyMap<string, StandInAccount>;
}

/** Deterministic fake REST API id (10 lowercase alphanumerics, like real ones). */
export function fakeApiId(stack: string, resourceId: string): string {
  return shortHash(`api:${stack}:${resourceId}`, 10);
}

/** Deterministic fake VPC endpoint id (`vpce-` + 17 hex, like real ones). */
export function fakeVpcEndpointId(stack: string, resourceId: string): string {
  return `vpce-${shortHash(`vpce:${stack}:${resourceId}`, 17)}`;
}

export function executionArn(partition: string, region: string, accountId: string, apiId: string): string {
  return `arn:${partition}:execute-api:${region}:${accountId}:${apiId}`;
}

const REF = /\$\{([^}]*)\}/g;

/**
 * Resolves references within one stack, remembering each substitution and each reference it could
 * not resolve.
 */
export class ReferenceResolver {
  private readonly resolved = new Map<string, ResolvedReference>();
  private readonly unresolved = new Set<string>();

  constructor(private readonly ctx: ReferenceContext) {}

  /** Every reference in `text` replaced; unknown ones are left in place and recorded. */
  resolveString(text: string): string {
    return text.replace(REF, (whole, inner: string) => {
      const value = this.resolveReference(inner.trim());
      if (value === undefined) {
        this.unresolved.add(whole);
        return whole;
      }
      return value;
    });
  }

  /** The value of one reference (without `${}`), or undefined when verify does not know it. */
  resolveReference(ref: string): string | undefined {
    const { ctx } = this;
    let m = /^aws_api_gateway_rest_api\.([\w-]+)\.(execution_arn|id|arn)$/.exec(ref);
    if (m) {
      const apiId = fakeApiId(ctx.stack, m[1]);
      const value =
        m[2] === "id"
          ? apiId
          : m[2] === "execution_arn"
            ? executionArn(ctx.partition, ctx.region, ctx.apiAccountId, apiId)
            : `arn:${ctx.partition}:apigateway:${ctx.region}::/restapis/${apiId}`;
      return this.record(ref, value, m[2] === "id" ? "fake API id" : `fake API id ${apiId} in the stack's account`);
    }
    m = /^aws_vpc_endpoint\.([\w-]+)\.id$/.exec(ref);
    if (m) return this.record(ref, fakeVpcEndpointId(ctx.stack, m[1]), "fake VPC endpoint id");
    m = /^data\.terraform_remote_state\.[\w-]+\.outputs\.(\w+)$/.exec(ref);
    if (m) {
      const standIn = ctx.standIns.get(m[1]);
      if (standIn) {
        return this.record(ref, standIn.accountId, `stand-in for the account the org stack creates for ${standIn.environmentKey}`);
      }
    }
    return undefined;
  }

  /** Deep copy of `value` with every string resolved. */
  resolveDeep<T>(value: T): T {
    if (typeof value === "string") return this.resolveString(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.resolveDeep(v)) as T;
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolveDeep(v)])) as T;
    }
    return value;
  }

  get substitutions(): ResolvedReference[] {
    return [...this.resolved.values()];
  }

  get unresolvedReferences(): string[] {
    return [...this.unresolved];
  }

  private record(reference: string, value: string, note: string): string {
    if (!this.resolved.has(reference)) this.resolved.set(reference, { reference: `\${${reference}}`, value, note });
    return value;
  }
}

/** `${type.id.attr}` → `{ type, id, attr }` when `text` is exactly one resource reference. */
export function parseResourceReference(text: unknown): { type: string; id: string; attr: string } | undefined {
  if (typeof text !== "string") return undefined;
  const m = /^\$\{([a-z0-9_]+)\.([\w-]+)\.(\w+)\}$/.exec(text.trim());
  return m ? { type: m[1], id: m[2], attr: m[3] } : undefined;
}

/**
 * Expands API Gateway's resource-policy shorthand `execute-api:/{stage}/{method}/{path}` (API
 * Gateway expands it to the current API when it stores the policy; iam-simulate does not) to
 * `{executionArn}/{stage}/{method}/{path}`. Returns the new policy and how many were expanded.
 */
export function expandExecuteApiShorthand(policy: unknown, apiExecutionArn: string): { policy: unknown; expanded: number } {
  let expanded = 0;
  const expand = (r: unknown): unknown => {
    if (typeof r === "string" && r.startsWith("execute-api:/")) {
      expanded++;
      return `${apiExecutionArn}/${r.slice("execute-api:/".length)}`;
    }
    return r;
  };
  const doc = policy as { Statement?: unknown };
  if (!doc || typeof doc !== "object" || !doc.Statement) return { policy, expanded };
  const statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]).map((s: Record<string, unknown>) => {
    const out = { ...s };
    for (const key of ["Resource", "NotResource"]) {
      if (out[key] === undefined) continue;
      out[key] = Array.isArray(out[key]) ? (out[key] as unknown[]).map(expand) : expand(out[key]);
    }
    return out;
  });
  return { policy: { ...doc, Statement: statements }, expanded };
}
