/** Offline `terraform plan`s of one synthesized stack, as data (for the plan comparisons in this folder). */
import * as path from "node:path";
import { offlineCopy, terraform } from "../support/terraform";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface PlannedResource {
  readonly actions: string[];
  readonly after: Json;
  readonly unknown: Json;
  /** The resource's configuration expressions (literal arguments, templates and references). */
  readonly expressions: Json | undefined;
}

/**
 * init (+ validate when asked) + plan + show of an offline copy of `stackDir` under `work/label`:
 * the planned resources by address. Throws with Terraform's output when a step fails.
 */
export async function plannedResources(stackDir: string, work: string, label: string, options: { validate?: boolean } = {}): Promise<Map<string, PlannedResource>> {
  const dir = offlineCopy(stackDir, path.join(work, label));
  for (const args of [
    ["init", "-input=false", "-no-color"],
    ...(options.validate ? [["validate", "-no-color"]] : []),
    ["plan", "-input=false", "-lock=false", "-no-color", "-refresh=false", "-out=plan.bin"],
  ]) {
    const r = await terraform(dir, args);
    if (!r.ok) throw new Error(`${label}: terraform ${args[0]}: ${r.stderr}\n${r.stdout.slice(-3000)}`);
  }
  const show = await terraform(dir, ["show", "-json", "plan.bin"]);
  if (!show.ok) throw new Error(`${label}: terraform show: ${show.stderr}`);
  const plan = JSON.parse(show.stdout) as Json;
  // A first plan knows few computed values, so compare what Terraform will evaluate too: each
  // resource's configuration expressions.
  const expressions = new Map<string, Json>((plan.configuration.root_module.resources as Json[]).map((r) => [r.address, r.expressions]));
  const out = new Map<string, PlannedResource>();
  for (const rc of plan.resource_changes as Json[]) {
    out.set(rc.address, { actions: rc.change.actions, after: rc.change.after, unknown: rc.change.after_unknown, expressions: expressions.get(rc.address) });
  }
  return out;
}

/** What adding services did to the plan of `before`: addresses removed, changed, and added. */
export function comparePlans(before: ReadonlyMap<string, PlannedResource>, after: ReadonlyMap<string, PlannedResource>) {
  const removed: string[] = [];
  const changed: string[] = [];
  for (const [address, plan] of before) {
    const next = after.get(address);
    if (!next) removed.push(address);
    else if (JSON.stringify(next) !== JSON.stringify(plan)) changed.push(address);
  }
  return { removed, changed, added: [...after.keys()].filter((a) => !before.has(a)) };
}
