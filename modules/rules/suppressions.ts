/**
 * Suppressing a security rule on a construct, with a written reason (STYLE.md §8). The
 * suppression is construct metadata, read when the rules run at synth; a suppression without a
 * real reason, or of a rule that does not exist, fails synth like a violation.
 */
import type { IConstruct } from "constructs";
import type { SecurityRuleId } from "./catalog";

export const SUPPRESSION_METADATA_TYPE = "farcar:security-rule-suppression";

/** A reason shorter than this (after trimming) is not a reason. */
export const MIN_SUPPRESSION_REASON_CHARS = 20;

export interface SuppressRuleOptions {
  /**
   * Also suppress the rule on every resource below `scope` (e.g. a whole module construct).
   * @default false - the resource `scope` only
   */
  readonly applyToChildren?: boolean;
}

export interface RuleSuppression {
  readonly ruleId: string;
  readonly reason: string;
  readonly applyToChildren: boolean;
}

/**
 * Silences `ruleId` on the resource `scope` (and, with `applyToChildren`, every resource below it).
 * `reason` says why the resource is safe despite the rule; it is printed at synth (INFO) and
 * belongs in review.
 */
export function suppressRule(scope: IConstruct, ruleId: SecurityRuleId, reason: string, options: SuppressRuleOptions = {}): void {
  const suppression: RuleSuppression = { ruleId, reason, applyToChildren: options.applyToChildren ?? false };
  scope.node.addMetadata(SUPPRESSION_METADATA_TYPE, suppression);
}

/** The suppressions recorded on one construct (not its ancestors). */
export function suppressionsOn(scope: IConstruct): RuleSuppression[] {
  return scope.node.metadata
    .filter((m) => m.type === SUPPRESSION_METADATA_TYPE)
    .map((m) => {
      const data = (m.data ?? {}) as Partial<RuleSuppression>;
      return {
        ruleId: String(data.ruleId ?? ""),
        reason: typeof data.reason === "string" ? data.reason : "",
        applyToChildren: data.applyToChildren === true,
      };
    });
}
