/**
 * Applies the security rules at synth (cdktf Aspect): a violation anywhere fails synth with a
 * SynthError that lists every violation, before any stack is written.
 *
 * Why a SynthError and not `Annotations.addError`: cdktf fails synth on error annotations only
 * stack by stack, after writing the stacks before it; `cdktf synth` sets
 * CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS, so every stack is written to cdktf.out before the
 * CLI reports the errors; and that variable turns the check off. Applied suppressions (INFO) and
 * suppressions that silence nothing (WARN) are reported through Annotations.
 *
 * Why the first stack checks them all: cdktf runs a stack's Aspects right before writing that
 * stack, one stack after another. So the Aspect, visiting the first stack it governs, checks
 * every stack it governs (they are all fully built by then, cross-stack references prepared);
 * visiting any later stack (or a stack synthesized alone, as `Testing.synth` does) it checks that
 * stack again. Caveat: changes another Aspect makes to a later stack's resources are seen by that
 * stack's own check, not the first one.
 */
import { Annotations, AnnotationMetadataEntryType, Aspects, TerraformStack, type IAspect } from "cdktf";
import type { IConstruct } from "constructs";
import { SynthError } from "../../config/errors";
import { SECURITY_RULES } from "./catalog";
import { checkSecurityRules, securityRulesMessage, type SecurityRulesReport } from "./check";
import type { SecurityRule } from "./rule";

export class SecurityRulesAspect implements IAspect {
  constructor(private readonly rules: readonly SecurityRule[] = SECURITY_RULES) {}

  public visit(node: IConstruct): void {
    if (!TerraformStack.isStack(node)) return;
    const governed = node.node.root.node
      .findAll()
      .filter(TerraformStack.isStack)
      .filter((s) => Aspects.of(s).all.includes(this));
    const report = checkSecurityRules(governed[0] === node ? governed : [node], this.rules);
    if (report.violations.length) throw new SynthError(securityRulesMessage(report.violations));
    annotate(report, node);
  }
}

/**
 * Enforces the security rules on every stack under `scope` (an App, or one stack). Call it once
 * every stack exists.
 */
export function enforceSecurityRules(scope: IConstruct, rules: readonly SecurityRule[] = SECURITY_RULES): SecurityRulesAspect {
  const stacks = scope.node.findAll().filter(TerraformStack.isStack);
  if (!stacks.length) throw new Error(`enforceSecurityRules: no stack under "${scope.node.path}"; call it after the stacks are created`);
  const aspect = new SecurityRulesAspect(rules);
  for (const stack of stacks) Aspects.of(stack).add(aspect);
  return aspect;
}

/** INFO for each suppressed violation, WARN for each suppression that silences nothing — for `stack` only, once. */
function annotate(report: SecurityRulesReport, stack: TerraformStack): void {
  const once = (node: IConstruct, level: AnnotationMetadataEntryType, message: string) => {
    if (node.node.metadata.some((m) => m.type === level && m.data === message)) return;
    if (level === AnnotationMetadataEntryType.INFO) Annotations.of(node).addInfo(message);
    else Annotations.of(node).addWarning(message);
  };
  for (const s of report.suppressed) {
    if (TerraformStack.of(s.resource) !== stack) continue;
    once(s.resource, AnnotationMetadataEntryType.INFO, `${s.ruleId} suppressed (${s.violation}): ${s.reason}`);
  }
  for (const u of report.unusedSuppressions) {
    if (TerraformStack.of(u.scope) !== stack) continue;
    once(u.scope, AnnotationMetadataEntryType.WARN, `${u.ruleId} is suppressed here but nothing here violates it: remove the suppression`);
  }
}
