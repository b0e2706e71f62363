/**
 * Runs the security rules over the resources of stacks, as they will be synthesized, and
 * collects violations (with construct path, Terraform address, reason and fix) and the
 * suppressions that silenced them.
 */
import { DefaultTokenResolver, StringConcat, TerraformDataSource, TerraformResource, TerraformStack, Tokenization } from "cdktf";
import type { IConstruct } from "constructs";
import { isSecurityRuleId, listSecurityRules, SECURITY_RULES } from "./catalog";
import type { ResourceConfig, SecurityRule } from "./rule";
import { MIN_SUPPRESSION_REASON_CHARS, suppressionsOn, type RuleSuppression } from "./suppressions";

/** Problems with a suppression itself (no reason, unknown rule) are reported under this id. */
export const SUPPRESSION_RULE_ID = "FC-SUPPRESSION";

export interface RuleViolation {
  readonly ruleId: string;
  /** Construct path; its first segment is the stack. */
  readonly path: string;
  /** Terraform address in the stack, e.g. `aws_api_gateway_method.api_m-checkout-payments_1A2B3C4D` (none for a suppression problem). */
  readonly address?: string;
  readonly reason: string;
  readonly fix: string;
}

export interface AppliedSuppression {
  readonly ruleId: string;
  readonly reason: string;
  /** The resource whose violation was silenced. */
  readonly resource: IConstruct;
  readonly address: string;
  /** The violation's reason, had it not been suppressed. */
  readonly violation: string;
}

export interface SecurityRulesReport {
  readonly violations: RuleViolation[];
  readonly suppressed: AppliedSuppression[];
  /** Valid suppressions that silenced nothing (stale, or on the wrong construct). */
  readonly unusedSuppressions: ReadonlyArray<{ readonly scope: IConstruct; readonly ruleId: string }>;
  /** Number of resources and data sources evaluated. */
  readonly resourceCount: number;
}

/** A resource or data source as it will be written to its stack's `cdk.tf.json`. */
export interface SynthesizedResource {
  readonly address: string;
  readonly resource: ResourceConfig;
}

const RESOLVER = new DefaultTokenResolver(new StringConcat());

/** The element's Terraform configuration, tokens resolved the way `cdktf synth` resolves them. */
export function synthesizedResource(element: IConstruct): SynthesizedResource | undefined {
  const mode = TerraformResource.isTerraformResource(element) ? "resource" : element instanceof TerraformDataSource ? "data" : undefined;
  if (!mode) return undefined;
  const stack = TerraformStack.of(element);
  const tf = Tokenization.resolve((element as TerraformResource | TerraformDataSource).toTerraform(), {
    scope: stack,
    preparing: false,
    resolver: RESOLVER,
  });
  const byType = tf?.[mode] as Record<string, Record<string, Record<string, unknown>>> | undefined;
  if (!byType) return undefined; // a resource that has moved: written as its moved block only
  const [type, byId] = Object.entries(byType)[0];
  const [id, attributes] = Object.entries(byId)[0];
  const { "//": _metadata, ...config } = attributes; // eslint-disable-line @typescript-eslint/no-unused-vars
  return {
    address: mode === "data" ? `data.${type}.${id}` : `${type}.${id}`,
    resource: { type, mode, config },
  };
}

export interface CheckOptions {
  /**
   * Take each stack's JSON from the resolution `App.synth` already made to prepare the stack
   * (`stack.toTerraform({ reusePrepared: true })`, patches/cdktf+0.21.0.patch) instead of
   * resolving it again. Only when nothing can have changed a stack since it was prepared.
   * @default false
   */
  readonly reusePrepared?: boolean;
  /**
   * Called with each stack's Terraform JSON (`stack.toTerraform()`, resolved once: exactly what
   * the rules saw) as soon as its resources are checked, before the next stack is resolved; the
   * check keeps no reference to it. The Aspect (enforce.ts) hands it to the writer this way.
   * @default - the JSON is dropped
   */
  readonly onStackChecked?: (stack: TerraformStack, json: Record<string, unknown>) => void;
}

/** Checks every resource of `stacks` against `rules`; nothing is thrown, the report says it all. */
export function checkSecurityRules(
  stacks: readonly TerraformStack[],
  rules: readonly SecurityRule[] = SECURITY_RULES,
  options: CheckOptions = {}
): SecurityRulesReport {
  const check = new SecurityRulesCheck(rules);
  for (const stack of stacks) check.checkStack(stack, options);
  return check.report();
}

/**
 * The check of `checkSecurityRules`, one stack at a time (the rules Aspect checks each stack as
 * soon as cdktf has prepared it: ./enforce.ts); `report()` gives what `checkSecurityRules` would
 * for the stacks checked so far, in the same order.
 */
export class SecurityRulesCheck {
  /** Suppressions above a stack (never applied), reported first, as found. */
  private readonly aboveStackViolations: RuleViolation[] = [];
  private readonly violations: RuleViolation[] = [];
  private readonly suppressed: AppliedSuppression[] = [];
  private readonly used = new Set<string>();
  private readonly valid = new Map<IConstruct, RuleSuppression[]>();
  private readonly aboveStacks = new Set<IConstruct>();
  private resourceCount = 0;

  constructor(private readonly rules: readonly SecurityRule[] = SECURITY_RULES) {}

  /** Checks every resource of `stack`. */
  public checkStack(stack: TerraformStack, options: CheckOptions = {}): void {
    for (let scope = stack.node.scope; scope; scope = scope.node.scope) {
      if (this.aboveStacks.has(scope) || !suppressionsOn(scope).length) continue;
      this.aboveStacks.add(scope);
      this.aboveStackViolations.push({
        ruleId: SUPPRESSION_RULE_ID,
        path: scope.node.path || "(app)",
        reason: "suppressions above a stack are not applied",
        fix: "suppress on the resource, or on a construct or stack containing it with { applyToChildren: true }",
      });
    }

    // The whole stack resolved once, as the writer writes it; each resource and data source is
    // found in it by its address.
    const stackJson = stack.toTerraform({ reusePrepared: options.reusePrepared === true }) as Record<string, unknown>;
    for (const node of stack.node.findAll()) {
      for (const s of suppressionsOn(node)) {
        const problem = suppressionProblem(s);
        if (problem) this.violations.push({ ruleId: SUPPRESSION_RULE_ID, path: node.node.path, ...problem });
      }
      this.validOn(node); // registers the node's valid suppressions, to report the unused ones
      const synthesized = resourceInStack(node, stackJson);
      if (!synthesized) continue;
      this.resourceCount++;
      for (const rule of this.rules) {
        const result = rule.evaluate(synthesized.resource);
        if (result.compliance !== "non-compliant") continue;
        const found = this.suppressionFor(node, stack, rule.id);
        if (found) {
          this.used.add(`${found.scope.node.path}\u0000${rule.id}`);
          this.suppressed.push({
            ruleId: rule.id,
            reason: found.suppression.reason,
            resource: node,
            address: synthesized.address,
            violation: result.reason,
          });
          continue;
        }
        this.violations.push({ ruleId: rule.id, path: node.node.path, address: synthesized.address, reason: result.reason, fix: rule.fix });
      }
    }
    options.onStackChecked?.(stack, stackJson);
  }

  /** Everything found in the stacks checked so far. */
  public report(): SecurityRulesReport {
    const unusedSuppressions: Array<{ scope: IConstruct; ruleId: string }> = [];
    for (const [scope, list] of this.valid) {
      for (const s of list) if (!this.used.has(`${scope.node.path}\u0000${s.ruleId}`)) unusedSuppressions.push({ scope, ruleId: s.ruleId });
    }
    return {
      violations: [...this.aboveStackViolations, ...this.violations],
      suppressed: [...this.suppressed],
      unusedSuppressions,
      resourceCount: this.resourceCount,
    };
  }

  private validOn(node: IConstruct): RuleSuppression[] {
    let list = this.valid.get(node);
    if (!list) {
      list = suppressionsOn(node).filter((s) => !suppressionProblem(s));
      this.valid.set(node, list);
    }
    return list;
  }

  /** The suppression of `ruleId` that covers `resource` (on it, or on an ancestor up to its stack), and where it was made. */
  private suppressionFor(resource: IConstruct, stack: TerraformStack, ruleId: string) {
    for (let scope: IConstruct | undefined = resource; scope; scope = scope === stack ? undefined : scope.node.scope) {
      const s = this.validOn(scope).find((x) => x.ruleId === ruleId && (scope === resource || x.applyToChildren));
      if (s) return { scope, suppression: s };
    }
    return undefined;
  }
}

/** `element`'s configuration taken from its stack's resolved JSON (no resolution of its own); undefined if not a resource or data source, or written as a moved block only. */
function resourceInStack(element: IConstruct, stackJson: Record<string, unknown>): SynthesizedResource | undefined {
  const mode = TerraformResource.isTerraformResource(element) ? "resource" : element instanceof TerraformDataSource ? "data" : undefined;
  if (!mode) return undefined;
  const { terraformResourceType: type, friendlyUniqueId: id } = element as TerraformResource | TerraformDataSource;
  const attributes = (stackJson[mode] as Record<string, Record<string, Record<string, unknown>>> | undefined)?.[type]?.[id];
  if (!attributes) return undefined;
  const { "//": _metadata, ...config } = attributes; // eslint-disable-line @typescript-eslint/no-unused-vars
  return { address: mode === "data" ? `data.${type}.${id}` : `${type}.${id}`, resource: { type, mode, config } };
}

function suppressionProblem(s: RuleSuppression): { reason: string; fix: string } | undefined {
  if (!isSecurityRuleId(s.ruleId)) {
    return {
      reason: `suppression of unknown rule ${JSON.stringify(s.ruleId)}`,
      fix: `use one of ${listSecurityRules()
        .map((r) => r.id)
        .join(", ")} (help/security-rules.md)`,
    };
  }
  const reason = s.reason.trim();
  if (reason.length < MIN_SUPPRESSION_REASON_CHARS) {
    return {
      reason: `suppression of ${s.ruleId} ${reason ? "gives too short a reason" : "gives no reason"} (got ${JSON.stringify(s.reason)})`,
      fix: `write why this resource is safe despite the rule, in at least ${MIN_SUPPRESSION_REASON_CHARS} characters: suppressRule(construct, "${s.ruleId}", "<why>")`,
    };
  }
  return undefined;
}

/** One line: `[RULE] path (address): reason. Fix: fix.` */
export function formatViolation(v: RuleViolation): string {
  const where = v.address ? `${v.path} (${v.address})` : v.path;
  return `[${v.ruleId}] ${where}: ${v.reason}. Fix: ${v.fix}.`;
}

/** The SynthError message: every violation, one per line. */
export function securityRulesMessage(violations: readonly RuleViolation[]): string {
  const n = violations.length;
  return (
    `${n} security rule violation${n === 1 ? "" : "s"} (rules and how to suppress one: help/security-rules.md):\n` +
    violations.map((v) => `  ${formatViolation(v)}`).join("\n")
  );
}
