/**
 * The scale help/scaling.md designs for, end to end: a generated fleet (bench/fleet.ts) with 500
 * inbound and 50 outbound services in one environment synthesizes within every quota, passes
 * `terraform validate` and `plan` offline, passes verify with 0 mismatches, and adding one service
 * changes nothing of any other service in the plan. Slow (minutes): two plans of ~17,000 resources.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { generateFleetYaml } from "../../bench/fleet";
import { exceededQuotas } from "../../stacks/quotas";
import { verifyIsolation } from "../../verify";
import { fleetFromYaml, synthFleet, type Synthesized } from "../support/synth";
import { describeStackPlan, planStacks } from "../support/terraform";
import { comparePlans } from "./plans";

/**
 * Opt-in: `npm run test:scale` runs it at 500 inbound / 50 outbound services (26 minutes on 2
 * loaded cores when last run whole, most of it verify over 550 APIs — since then about 1 minute of
 * CPU, help/scaling.md — and two ~17,000-resource plans, 7.7 minutes); set
 * FARCAR_SCALE_INBOUND / FARCAR_SCALE_OUTBOUND for other sizes. `npm test` skips it: the layout's
 * behaviour at small sizes is covered by __tests__/terraform/variants (plan stability), scale/quotas and lock tests and
 * __tests__/verify/sampled and integrations tests. Inbound must be a multiple of 50 so that N - 1
 * services leave room for one more on the last NLB.
 */
const RUN = !!process.env.FARCAR_SCALE_INBOUND;
const INBOUND = Number(process.env.FARCAR_SCALE_INBOUND) || 500;
const OUTBOUND = Number(process.env.FARCAR_SCALE_OUTBOUND) || 50;
if (INBOUND % 50 !== 0) throw new Error(`FARCAR_SCALE_INBOUND must be a multiple of 50 (got ${INBOUND})`);
const LAST = `svc-${String(INBOUND - 1).padStart(4, "0")}`;
const INGRESS = "bigco-production-ingress";
const EGRESS = "bigco-production-egress";
(RUN ? describe : describe.skip)(`scale: ${INBOUND} inbound / ${OUTBOUND} outbound services in one environment`, () => {
// Made in a hook, not while collecting: a skipped describe's body still runs (npm test skips this).
let work: string;
afterAll(() => (process.env.KEEP_PLANS ? undefined : rmSync(work, { recursive: true, force: true })));

let synth: Synthesized;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), "farcar-500-"));
  synth = synthFleet(fleetFromYaml(generateFleetYaml({ inbound: INBOUND, outbound: OUTBOUND })));
}, 600_000);

test(`${INBOUND} inbound and ${OUTBOUND} outbound services synthesize within every quota, in the shared-NLB layout`, () => {
  const [ingress] = synth.stacks.ingress;
  const [egress] = synth.stacks.egress;
  expect(exceededQuotas(ingress.quotas)).toEqual([]);
  expect(exceededQuotas(egress.quotas)).toEqual([]);
  const figure = (quota: string) => ingress.quotas.find((f) => f.quota.startsWith(quota))!.measured;
  expect(figure("private REST APIs")).toBe(INBOUND);
  expect(figure("VPC links")).toBe(INBOUND / 50);
  expect(figure("listeners per Network Load Balancer")).toBe(50);
  const tf = synth.json(INGRESS);
  const count = (type: string) => Object.keys(tf.resource[type] ?? {}).length;
  expect([count("aws_api_gateway_rest_api"), count("aws_lb"), count("aws_api_gateway_vpc_link"), count("aws_lb_listener")]).toEqual([INBOUND, INBOUND / 50, INBOUND / 50, INBOUND]);
  expect(Object.keys(synth.json(EGRESS).resource.aws_api_gateway_rest_api)).toHaveLength(OUTBOUND);
});

test("verify proves isolation over every API with 0 mismatches", async () => {
  const stacks = Object.fromEntries([INGRESS, EGRESS].map((n) => [n, synth.json(n)]));
  const report = await verifyIsolation(synth.fleet, stacks);
  expect(report.problems).toEqual([]);
  expect(report.engine.disagreements).toEqual([]);
  expect(report.mismatches).toBe(0);
  expect(report.ok).toBe(true);
  expect(report.stacks.filter((s) => s.stack === INGRESS)).toHaveLength(INBOUND);
  expect(report.stacks.filter((s) => s.stack === EGRESS)).toHaveLength(OUTBOUND);
  // Every integration traced to its own Farcar: 500 services × 2 targets × 2 routes, 50 × 2.
  expect(report.stacks.reduce((n, s) => n + s.integrationsTraced, 0)).toBe(INBOUND * 4 + OUTBOUND * 2);
  expect(report.notes).toEqual(expect.arrayContaining([expect.stringContaining(`${INGRESS}: more than 20 services`)]));
}, 900_000);

test("validate + plan offline; adding a service changes only that service's resources", async () => {
  const egress = (await planStacks([synth.dir(EGRESS)], work)).stack(EGRESS);
  expect({ ok: egress.ok, failure: egress.ok ? "" : describeStackPlan(egress) }).toEqual({ ok: true, failure: "" });

  // N = INBOUND - 1 (the last NLB has room for one more) and N + 1 = the fleet above (a plan
  // validates first). One root each: `terraform show -json` of a ~17,000-resource plan is large.
  const smaller = synthFleet(fleetFromYaml(generateFleetYaml({ inbound: INBOUND - 1, outbound: OUTBOUND })));
  const planned = async (label: string, dir: string) => {
    const p = (await planStacks(new Map([[label, dir]]), work, { show: true })).stack(label);
    if (!p.ok) throw new Error(describeStackPlan(p));
    return p.planned;
  };
  const before = await planned("n", smaller.dir(INGRESS));
  const after = await planned("n-plus-1", synth.dir(INGRESS));
  expect([...after.values()].every((r) => r.actions.join() === "create")).toBe(true);
  const { removed, changed, added } = comparePlans(before, after);
  // Shared resources a new service changes: none (its roles are in a caller account others have,
  // and its NLB already exists).
  expect({ removed, changed }).toEqual({ removed: [], changed: [] });
  expect(added.length).toBeGreaterThan(20);
  expect(added.filter((a) => !a.includes(LAST))).toEqual([]);
}, 1_800_000);
});
