/**
 * Layer 3 of DESIGN.md: every stack synthesized from examples/fleet.yaml passes `terraform init`,
 * `validate` and `plan` against the real AWS provider schema (offline mirror).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { synthFleetFile } from "../support/synth";
import { checkStack, describeFailure } from "../support/terraform";

const synthesized = synthFleetFile();
const work = mkdtempSync(path.join(tmpdir(), "farcar-tf-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("terraform validate and plan on the example fleet", () => {
  test("synthesizes the org stack and one ingress stack per environment", () => {
    expect(synthesized.stackNames).toEqual(
      expect.arrayContaining(["org", "afterpay-staging-ingress", "afterpay-production-ingress", "tidal-production-ingress"]),
    );
  });

  test.each(synthesized.stackNames)("%s validates and plans", async (stack) => {
    const check = await checkStack(synthesized.dir(stack), work);
    if (!check.plan?.ok) throw new Error(describeFailure(check));
    expect(check.validate?.json?.valid).toBe(true);
    expect(check.validate?.json?.warning_count ?? 0).toBe(0);
    expect(check.plan.stdout).toMatch(/Plan: \d+ to add, 0 to change, 0 to destroy|No changes/);
  });
});
