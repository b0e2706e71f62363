/**
 * Comparing offline `terraform plan`s of one stack (for the plan comparisons in this folder). The
 * plans come from support/terraform.ts `planStacks(…, { show: true })`: its `planned` values.
 */
import type { PlannedResource } from "../support/terraform";

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
