/**
 * The isolation proof's two engines agree: the fast runUnsafeSimulation and the validated
 * runSimulation, on every case of a matrix. (Split from isolation.test.ts: the validated engine is
 * the slowest part of the suite, and a file of its own lets the other Jest worker run the rest.)
 */
import { verifyIsolation, type IsolationReport } from "../../verify";
import { fleetWith } from "../config/fleet-fixture";
import { fleetFromYaml, synthFleet } from "../support/synth";
import { STACK, stacksOf } from "./support";

describe("engines", () => {
  test("the fast engine and runSimulation agree on every case of the matrix", async () => {
    const base = fleetFromYaml(fleetWith());
    const stacks = stacksOf(synthFleet(base));
    const [fast, checked] = [
      await verifyIsolation(base, stacks, { stacks: [STACK], crossCheckEvery: 0 }),
      await verifyIsolation(base, stacks, { stacks: [STACK], engine: "checked" }),
    ];
    expect(checked.problems).toEqual([]);
    expect(checked.ok).toBe(true);
    const summary = (r: IsolationReport) => r.stacks.map(({ cases, allowed, denied, principals, paths }) => ({ cases, allowed, denied, principals, paths }));
    // 6 identity variants (2 service roles × 2, proxy admin, unlisted) × 21 paths × 7 methods × 3 endpoints
    expect(summary(fast)).toEqual([{ cases: 6 * 21 * 7 * 3, allowed: 7 * 2 * (7 + 5), denied: 6 * 21 * 7 * 3 - 168, principals: 4, paths: 21 }]);
    expect(summary(checked)).toEqual(summary(fast));
  });
});
