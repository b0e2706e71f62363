/**
 * The IAM policy documents a resource renders, read back from its synthesized arguments so rules
 * can inspect their statements. Shared by the IAM rules; not a rule itself.
 */
import { blocks, strings, type ResourceConfig } from "./rule";

/**
 * What a document does:
 * - `resource`: a resource policy that grants access to the resource (API, secret, bucket, key…);
 * - `endpoint`: a VPC endpoint policy — a filter on what may pass through the endpoint; it grants
 *   nothing by itself (the resource policy and the caller's identity policy must still allow);
 * - `trust`: who may assume a role;
 * - `identity`: what a principal may do (no Principal element);
 * - `any`: an `aws_iam_policy_document` data source, whose use is not known at the source.
 */
export type PolicyKind = "resource" | "endpoint" | "trust" | "identity" | "any";

export interface EmbeddedPolicy {
  /** The argument holding it, e.g. `policy`, `assume_role_policy`, `inline_policy[0].policy`. */
  readonly attribute: string;
  readonly kind: PolicyKind;
  readonly document: PolicyRead;
}

/** One statement, with every element that may be a list as a list. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Action?: string[];
  readonly NotAction?: string[];
  readonly Resource?: string[];
  readonly NotResource?: string[];
  readonly Condition?: unknown;
}

export type PolicyRead =
  | { readonly status: "statements"; readonly statements: Statement[] }
  /** A reference to a document checked where it is defined (an `aws_iam_policy_document`, an `aws_iam_policy`). */
  | { readonly status: "reference"; readonly source: string }
  /** Not a document the rules can read (an expression such as `${var.policy}` or `${file(...)}`, or invalid JSON). */
  | { readonly status: "unreadable"; readonly reason: string };

/** Arguments holding a policy document, by resource type. */
const POLICY_ARGUMENTS: Record<string, ReadonlyArray<{ readonly attribute: string; readonly kind: PolicyKind }>> = {
  aws_api_gateway_rest_api: [{ attribute: "policy", kind: "resource" }],
  aws_api_gateway_rest_api_policy: [{ attribute: "policy", kind: "resource" }],
  aws_vpc_endpoint: [{ attribute: "policy", kind: "endpoint" }],
  aws_vpc_endpoint_policy: [{ attribute: "policy", kind: "endpoint" }],
  aws_secretsmanager_secret: [{ attribute: "policy", kind: "resource" }],
  aws_secretsmanager_secret_policy: [{ attribute: "policy", kind: "resource" }],
  aws_s3_bucket_policy: [{ attribute: "policy", kind: "resource" }],
  aws_sqs_queue: [{ attribute: "policy", kind: "resource" }],
  aws_sqs_queue_policy: [{ attribute: "policy", kind: "resource" }],
  aws_sns_topic: [{ attribute: "policy", kind: "resource" }],
  aws_sns_topic_policy: [{ attribute: "policy", kind: "resource" }],
  aws_kms_key: [{ attribute: "policy", kind: "resource" }],
  aws_kms_key_policy: [{ attribute: "policy", kind: "resource" }],
  aws_ecr_repository_policy: [{ attribute: "policy", kind: "resource" }],
  aws_ecr_registry_policy: [{ attribute: "policy", kind: "resource" }],
  aws_acmpca_policy: [{ attribute: "policy", kind: "resource" }],
  aws_cloudwatch_log_resource_policy: [{ attribute: "policy_document", kind: "resource" }],
  aws_iam_role: [{ attribute: "assume_role_policy", kind: "trust" }],
  aws_iam_role_policy: [{ attribute: "policy", kind: "identity" }],
  aws_iam_policy: [{ attribute: "policy", kind: "identity" }],
  aws_iam_user_policy: [{ attribute: "policy", kind: "identity" }],
  aws_iam_group_policy: [{ attribute: "policy", kind: "identity" }],
};

/**
 * Read once per resource: three rules ask for the same resource's documents, and parsing a policy
 * is most of what they cost (issue 14).
 */
const readPolicies = new WeakMap<ResourceConfig, readonly EmbeddedPolicy[]>();

/** Every policy document a resource renders (none for types that hold no policy). */
export function embeddedPolicies(resource: ResourceConfig): readonly EmbeddedPolicy[] {
  let policies = readPolicies.get(resource);
  if (!policies) {
    policies = readEmbeddedPolicies(resource);
    readPolicies.set(resource, policies);
  }
  return policies;
}

function readEmbeddedPolicies(resource: ResourceConfig): EmbeddedPolicy[] {
  if (resource.mode === "data") {
    return resource.type === "aws_iam_policy_document"
      ? [{ attribute: "document", kind: "any", document: { status: "statements", statements: dataSourceStatements(resource.config) } }]
      : [];
  }
  const out: EmbeddedPolicy[] = [];
  for (const { attribute, kind } of POLICY_ARGUMENTS[resource.type] ?? []) {
    const value = resource.config[attribute];
    if (value !== undefined && value !== null && value !== "") out.push({ attribute, kind, document: readPolicy(value) });
  }
  if (resource.type === "aws_iam_role") {
    blocks(resource.config.inline_policy).forEach((inline, i) => {
      if (inline.policy !== undefined && inline.policy !== "") {
        out.push({ attribute: `inline_policy[${i}].policy`, kind: "identity", document: readPolicy(inline.policy) });
      }
    });
  }
  return out;
}

/** A whole-value reference to a document the rules check at its own resource. */
const CHECKED_AT_SOURCE = /^\$\{((?:data\.aws_iam_policy_document|aws_iam_policy)\.[^.}\s]+)\.(json|minified_json|policy)\}$/;

/** Parses a synthesized policy argument (a JSON string, possibly with `${...}` references inside). */
export function readPolicy(value: unknown): PolicyRead {
  if (typeof value === "string") {
    const reference = CHECKED_AT_SOURCE.exec(value);
    if (reference) return { status: "reference", source: reference[1] };
    let parsed: unknown;
    try {
      parsed = JSON.parse(maskQuotesInExpressions(value));
    } catch {
      return {
        status: "unreadable",
        reason: /^\$\{/.test(value) ? `it is the expression ${truncate(value)}` : "it is not valid JSON",
      };
    }
    return statementsOf(parsed);
  }
  if (value !== null && typeof value === "object") return statementsOf(value);
  return { status: "unreadable", reason: `it is ${JSON.stringify(value)}` };
}

function statementsOf(doc: unknown): PolicyRead {
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return { status: "unreadable", reason: "it is not a JSON object" };
  const raw = (doc as Record<string, unknown>).Statement;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const statements: Statement[] = [];
  for (const s of list) {
    if (s === null || typeof s !== "object") return { status: "unreadable", reason: "a statement is not a JSON object" };
    const st = s as Record<string, unknown>;
    statements.push({
      Sid: typeof st.Sid === "string" ? st.Sid : undefined,
      Effect: String(st.Effect),
      Principal: st.Principal,
      NotPrincipal: st.NotPrincipal,
      Action: optionalList(st.Action),
      NotAction: optionalList(st.NotAction),
      Resource: optionalList(st.Resource),
      NotResource: optionalList(st.NotResource),
      Condition: st.Condition,
    });
  }
  return { status: "statements", statements };
}

/** `aws_iam_policy_document` statement blocks in policy-JSON form. */
function dataSourceStatements(config: Readonly<Record<string, unknown>>): Statement[] {
  const principal = (value: unknown): unknown => {
    const list = blocks(value);
    if (!list.length) return undefined;
    const out: Record<string, string[]> = {};
    for (const p of list) {
      const type = String(p.type);
      if (type === "*") return "*";
      out[type] = [...(out[type] ?? []), ...strings(p.identifiers)];
    }
    return out;
  };
  return blocks(config.statement).map((s) => ({
    Sid: typeof s.sid === "string" ? s.sid : undefined,
    Effect: typeof s.effect === "string" ? s.effect : "Allow",
    Principal: principal(s.principals),
    NotPrincipal: principal(s.not_principals),
    Action: optionalList(s.actions),
    NotAction: optionalList(s.not_actions),
    Resource: optionalList(s.resources),
    NotResource: optionalList(s.not_resources),
    Condition: s.condition,
  }));
}

function optionalList(value: unknown): string[] | undefined {
  return value === undefined || value === null ? undefined : strings(value);
}

/**
 * `"${lookup(var.m, "k")}"` inside a JSON string is valid Terraform but not valid JSON: quotes
 * inside `${...}` are replaced so the document parses (the expression is kept otherwise).
 */
function maskQuotesInExpressions(text: string): string {
  // Copied in slices between the quotes it replaces, not a character at a time (issue 14).
  let out = "";
  let copied = 0;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (depth === 0) {
      if (c === "$" && text[i + 1] === "{" && text[i - 1] !== "$") {
        depth = 1;
        i++;
      }
      continue;
    }
    if (c === "{") depth++;
    else if (c === "}") depth--;
    else if (c === '"') {
      out += `${text.slice(copied, i)}'`;
      copied = i + 1;
    }
  }
  return out + text.slice(copied);
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** How a statement is named in a reason: its Sid, or its position. */
export function statementName(statement: Statement, index: number): string {
  return statement.Sid ? `statement "${statement.Sid}"` : `statement #${index + 1}`;
}

/** A principal that matches everyone: `"*"`, or `"*"` under any key (`{"AWS": "*"}`). */
export function isWildcardPrincipal(principal: unknown): boolean {
  if (principal === "*") return true;
  if (principal === null || typeof principal !== "object") return false;
  return Object.values(principal as Record<string, unknown>).some((v) => strings(v).includes("*"));
}

/**
 * Visit every statement of `policies` that can be read. A policy given by reference (another
 * resource's attribute) is checked where it is defined and skipped here; one that cannot be read
 * adds a reason, so an unreadable policy fails rather than passing unchecked.
 */
export function forEachStatement(
  policies: readonly EmbeddedPolicy[],
  reasons: string[],
  visit: (statement: Statement, index: number, policy: EmbeddedPolicy) => void,
): void {
  for (const policy of policies) {
    const doc = policy.document;
    if (doc.status === "reference") continue;
    if (doc.status === "unreadable") {
      reasons.push(`${policy.attribute} cannot be checked: ${doc.reason}`);
      continue;
    }
    doc.statements.forEach((statement, i) => visit(statement, i, policy));
  }
}
