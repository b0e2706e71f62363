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
 * every stack it governs (they are all fully built by then, cross-stack references prepared) —
 * or, when it is the only Aspect in the app, reports the check it already made of each stack as
 * soon as `App.synth` prepared it (`prepared`, called through `TerraformStack.afterPrepare`).
 * The rules run on each stack's Terraform JSON (`stack.toTerraform()`, ./check.ts), and that same
 * JSON is what cdktf's writer writes: rendered to the bytes of `cdk.tf.json` as soon as the
 * stack is checked (modules/stable-json.ts, the bytes cdktf's own rendering gives) and handed over
 * as `stack.renderedTerraform` (patches/cdktf+0.21.0.patch), so no stack's JSON is held while the
 * next one is resolved and checked. Nothing is written before every stack is checked. When this
 * is the only Aspect in the app, nothing has changed any stack since `App.synth` resolved it to
 * prepare it (cross-stack references), so the JSON is composed from that resolution
 * (`toTerraform({ reusePrepared: true })`): a stack is resolved once in all, not three times
 * (issue 14).
 * Visiting a later stack, the Aspect reuses the first check's result for it —
 * unless another Aspect is registered on the stack, an ancestor or a construct inside it (it may
 * have changed the stack since): then, as for a stack synthesized alone (`Testing.synth`), it
 * checks the stack again and the writer resolves it again.
 */
import { Annotations, AnnotationMetadataEntryType, Aspects, TerraformStack, type IAspect } from "cdktf";
import type { IConstruct } from "constructs";
import { SynthError } from "../../config/errors";
import { SECURITY_RULES } from "./catalog";
import { checkSecurityRules, SecurityRulesCheck, securityRulesMessage, type SecurityRulesReport } from "./check";
import type { SecurityRule } from "./rule";
import { stableJsonBytes } from "../stable-json";

interface AppState {
  /** The stacks this Aspect governs, in the order cdktf prepares and writes them. */
  readonly governed: TerraformStack[];
  readonly governedSet: ReadonlySet<TerraformStack>;
  /** No other Aspect anywhere in the app. */
  readonly alone: boolean;
  /** The first governed stack's report on them all, reused when a later stack is visited. */
  report?: SecurityRulesReport;
  /**
   * This synth's check of each governed stack as soon as cdktf prepared it (`prepared`), with
   * each stack's number of constructs then.
   */
  early?: { readonly check: SecurityRulesCheck; readonly constructs: Map<TerraformStack, number> };
}

export class SecurityRulesAspect implements IAspect {
  private readonly byRoot = new WeakMap<IConstruct, AppState>();

  constructor(private readonly rules: readonly SecurityRule[] = SECURITY_RULES) {}

  /**
   * Called by `App.synth` right after it prepared `stack` (`TerraformStack.afterPrepare`,
   * patches/cdktf+0.21.0.patch), before it prepares the next stack. With no other Aspect in the
   * app nothing can change the stack before it is written, so it is checked and rendered now,
   * while only its own resolution is held (issue 14: at 100×20 every stack's resolution held at
   * once was the peak of the synth). Violations are reported when the first stack is visited,
   * before anything is written.
   */
  public prepared(stack: TerraformStack): void {
    const app = this.appState(stack.node.root);
    if (!app.alone || !app.governedSet.has(stack)) return;
    if (stack === app.governed[0]) app.early = { check: new SecurityRulesCheck(this.rules), constructs: new Map() };
    if (!app.early) return;
    app.early.check.checkStack(stack, { reusePrepared: true, onStackChecked: (s, json) => (s.renderedTerraform = stableJsonBytes(json)) });
    app.early.constructs.set(stack, stack.node.findAll().length);
  }

  public visit(node: IConstruct): void {
    if (!TerraformStack.isStack(node)) return;
    const app = this.appState(node.node.root);
    let report: SecurityRulesReport;
    if (app.governed[0] === node) {
      const early = app.early;
      app.early = undefined;
      // Every governed stack checked as it was prepared, and none changed since — a later
      // stack's cross-stack reference adds an output to the stack it refers to: then all are
      // checked again here, each resolved anew.
      if (early && early.constructs.size === app.governed.length && app.governed.every((s) => early.constructs.get(s) === s.node.findAll().length)) {
        report = app.report = early.check.report();
      } else {
        report = app.report = checkSecurityRules(app.governed, this.rules, {
          reusePrepared: app.alone && !early,
          // The writer writes the JSON the rules checked (cdktf writes a stack right after its
          // Aspects run, synthesize/synthesizer.js) — only for stacks no other Aspect touches:
          // anything else could change them before they are written, and is resolved again then.
          onStackChecked: (stack, json) => {
            stack.renderedTerraform = this.onlyAspectOn(stack) ? stableJsonBytes(json) : undefined;
          },
        });
      }
    } else if (!app.governedSet.has(node)) {
      report = checkSecurityRules([node], this.rules);
    } else if (app.report && this.onlyAspectOn(node)) {
      report = app.report;
    } else {
      report = checkSecurityRules([node], this.rules);
    }
    if (report.violations.length) throw new SynthError(securityRulesMessage(report.violations));
    annotate(report, node);
  }

  /** Once per app, not once per stack: a walk over every construct of the app. */
  private appState(root: IConstruct): AppState {
    let app = this.byRoot.get(root);
    if (!app) {
      const all = root.node.findAll();
      const governed = all.filter(TerraformStack.isStack).filter((s) => Aspects.of(s).all.includes(this));
      app = {
        governed,
        governedSet: new Set(governed),
        // No other Aspect anywhere: nothing runs between App.synth preparing a stack and writing it.
        alone: all.every((c) => Aspects.of(c).all.every((a) => a === this)),
      };
      this.byRoot.set(root, app);
    }
    return app;
  }

  /** No other Aspect on `stack`, its ancestors or any construct in it. */
  private onlyAspectOn(stack: TerraformStack): boolean {
    const mine = (c: IConstruct) => Aspects.of(c).all.every((a) => a === this);
    for (let scope: IConstruct | undefined = stack.node.scope; scope; scope = scope.node.scope) if (!mine(scope)) return false;
    return stack.node.findAll().every(mine);
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
  for (const stack of stacks) {
    Aspects.of(stack).add(aspect);
    stack.afterPrepare = () => aspect.prepared(stack);
  }
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
