/**
 * Layer 3 of DESIGN.md: every stack synthesized from examples/fleet.yaml passes `terraform plan`
 * (which validates the configuration first) against the real AWS provider schema (offline mirror).
 * All stacks are planned at once, as child modules of one root (support/terraform.ts `planStacks`);
 * each stack still passes or fails on its own errors and warnings.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { synthFleetFile } from "../support/synth";
import { describeStackPlan, planStacks, type FleetPlan } from "../support/terraform";

const synthesized = synthFleetFile();
const work = mkdtempSync(path.join(tmpdir(), "farcar-tf-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let fleetPlan: FleetPlan;
beforeAll(async () => {
  fleetPlan = await planStacks(synthesized.stackNames.map(synthesized.dir), work);
}, 600_000);

describe("terraform validate and plan on the example fleet", () => {
  test("synthesizes the org stack and one ingress stack per environment", () => {
    expect(synthesized.stackNames).toEqual(
      expect.arrayContaining(["org", "afterpay-staging-ingress", "afterpay-production-ingress", "tidal-production-ingress"]),
    );
  });

  test.each(synthesized.stackNames)("%s validates and plans without warnings", (stack) => {
    const p = fleetPlan.stack(stack);
    if (!p.ok || p.warnings.length) throw new Error(describeStackPlan(p));
    const actions = new Set([...p.changes.values()].filter((a) => a !== "read"));
    expect(p.changes.size).toBeGreaterThan(0);
    expect([...actions]).toEqual(["create"]);
  });
});
