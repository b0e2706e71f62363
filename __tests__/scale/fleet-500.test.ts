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
import { checkStack, describeFailure } from "../support/terraform";
import { comparePlans, plannedResources } from "./plans";

const INGRESS = "bigco-production-ingress";
const EGRESS = "bigco-production-egress";
const work = mkdtempSync(path.join(tmpdir(), "farcar-500-"));
afterAll(() => (process.env.KEEP_PLANS ? undefined : rmSync(work, { recursive: true, force: true })));

let synth: Synthesized;
beforeAll(() => {
  synth = synthFleet(fleetFromYaml(generateFleetYaml({ inbound: 500, outbound: 50 })));
}, 600_000);

test("500 inbound and 50 outbound services synthesize within every quota, in the shared-NLB layout", () => {
  const [ingress] = synth.stacks.ingress;
  const [egress] = synth.stacks.egress;
  expect(exceededQuotas(ingress.quotas)).toEqual([]);
  expect(exceededQuotas(egress.quotas)).toEqual([]);
  const figure = (quota: string) => ingress.quotas.find((f) => f.quota.startsWith(quota))!.measured;
  expect(figure("private REST APIs")).toBe(500);
  expect(figure("VPC links")).toBe(10);
  expect(figure("listeners per Network Load Balancer")).toBe(50);
  const tf = synth.json(INGRESS);
  const count = (type: string) => Object.keys(tf.resource[type] ?? {}).length;
  expect([count("aws_api_gateway_rest_api"), count("aws_lb"), count("aws_api_gateway_vpc_link"), count("aws_lb_listener")]).toEqual([500, 10, 10, 500]);
  expect(Object.keys(synth.json(EGRESS).resource.aws_api_gateway_rest_api)).toHaveLength(50);
});

test("verify proves isolation over every API with 0 mismatches", async () => {
  const stacks = Object.fromEntries([INGRESS, EGRESS].map((n) => [n, synth.json(n)]));
  const report = await verifyIsolation(synth.fleet, stacks);
  expect(report.problems).toEqual([]);
  expect(report.engine.disagreements).toEqual([]);
  expect(report.mismatches).toBe(0);
  expect(report.ok).toBe(true);
  expect(report.stacks.filter((s) => s.stack === INGRESS)).toHaveLength(500);
  expect(report.stacks.filter((s) => s.stack === EGRESS)).toHaveLength(50);
  // Every integration traced to its own Farcar: 500 services × 2 targets × 2 routes, 50 × 2.
  expect(report.stacks.reduce((n, s) => n + s.integrationsTraced, 0)).toBe(500 * 4 + 50 * 2);
  expect(report.notes).toEqual(expect.arrayContaining([expect.stringContaining(`${INGRESS}: more than 20 services`)]));
}, 900_000);

test("validate + plan offline; adding a service changes only that service's resources", async () => {
  const egress = await checkStack(synth.dir(EGRESS), work);
  expect({ ok: egress.plan?.ok === true, failure: egress.plan?.ok ? "" : describeFailure(egress) }).toEqual({ ok: true, failure: "" });

  // N = 499 (the 10th NLB has room for one more) and N + 1 = the 500 above, validated too.
  const smaller = synthFleet(fleetFromYaml(generateFleetYaml({ inbound: 499, outbound: 50 })));
  const before = await plannedResources(smaller.dir(INGRESS), work, "n");
  const after = await plannedResources(synth.dir(INGRESS), work, "n-plus-1", { validate: true });
  expect([...after.values()].every((r) => r.actions.join() === "create")).toBe(true);
  const { removed, changed, added } = comparePlans(before, after);
  // Shared resources a new service changes: none (its roles are in a caller account others have,
  // and its NLB already exists).
  expect({ removed, changed }).toEqual({ removed: [], changed: [] });
  expect(added.length).toBeGreaterThan(20);
  expect(added.filter((a) => !/svc-0499/.test(a))).toEqual([]);
}, 1_800_000);
