/**
 * What a security rule is (STYLE.md §8, after cdk-nag's `src/rules/apigw/APIGWAuthorization.ts`):
 * a small pure function from one Terraform resource, as synthesized, to compliant /
 * non-compliant (with the reason) / not-applicable. The id, the rule's intent and its fix live
 * next to the check, in the rule's own file; modules/rules/catalog.ts lists them.
 */

/** A Terraform resource or data source as it will be written to `cdk.tf.json`. */
export interface ResourceConfig {
  /** Terraform type, e.g. `aws_api_gateway_method`. */
  readonly type: string;
  /**
   * `data` for a data source.
   * @default "resource"
   */
  readonly mode?: "resource" | "data";
  /**
   * Arguments after token resolution: snake_case keys, single nested blocks as objects, references
   * as `${aws_x.y.attr}` strings (as in `cdk.tf.json`).
   */
  readonly config: Readonly<Record<string, unknown>>;
}

export type RuleResult =
  | { readonly compliance: "compliant" }
  | { readonly compliance: "non-compliant"; readonly reason: string }
  | { readonly compliance: "not-applicable" };

export interface SecurityRule<Id extends string = string> {
  /** Stable id: used in messages, suppressions and help/security-rules.md. */
  readonly id: Id;
  /** What the rule requires, in one line. */
  readonly description: string;
  /** Why it matters for Farcar (the threat it closes). */
  readonly why: string;
  /** What to change when it fails. */
  readonly fix: string;
  /** Terraform types the rule looks at (data sources as `data.<type>`); it is not-applicable to the rest. */
  readonly appliesTo: readonly string[];
  readonly evaluate: (resource: ResourceConfig) => RuleResult;
}

/** Declares a rule, keeping its id as a literal type (so suppressions of unknown ids don't compile). */
export function defineRule<Id extends string>(rule: SecurityRule<Id>): SecurityRule<Id> {
  return rule;
}

export const COMPLIANT: RuleResult = { compliance: "compliant" };
export const NOT_APPLICABLE: RuleResult = { compliance: "not-applicable" };

/** Non-compliant when there are reasons (joined with "; "), compliant otherwise. */
export function failIf(reasons: readonly string[]): RuleResult {
  return reasons.length ? { compliance: "non-compliant", reason: reasons.join("; ") } : COMPLIANT;
}

/** `type` as listed in `appliesTo`: `data.<type>` for data sources. */
export function qualifiedType(resource: ResourceConfig): string {
  return resource.mode === "data" ? `data.${resource.type}` : resource.type;
}

// --- reading synthesized values ------------------------------------------------------------------

/** A single nested block: cdktf writes it as an object; escape hatches may write a one-element list. */
export function block(value: unknown): Record<string, unknown> | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Repeated nested blocks (or one). */
export function blocks(value: unknown): Record<string, unknown>[] {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return list.filter((v): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v));
}

/** A string or list of strings as a list (anything else dropped). */
export function strings(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return list.filter((v): v is string => typeof v === "string");
}

/** Terraform accepts `true` and `"true"`. */
export function isTrue(value: unknown): boolean {
  return value === true || value === "true";
}

/** The whole value is one Terraform expression, e.g. `${var.x}` (its value is unknown at synth). */
export function isExpression(value: unknown): value is string {
  return typeof value === "string" && /^\$\{[\s\S]*\}$/.test(value);
}

/** A value rendered for a reason: strings quoted, absent as "unset". */
export function show(value: unknown): string {
  return value === undefined || value === null ? "unset" : JSON.stringify(value);
}
