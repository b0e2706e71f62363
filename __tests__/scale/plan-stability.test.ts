/**
 * Adding one service changes only that service's resources, plus the documented shared ones
 * (help/scaling.md), proven on `terraform plan`s (offline mirror): the environment's plan with
 * N services and with N + 1. The variants are planned side by side, as child modules of one
 * Terraform root (one init, one plan, one show for all of them: support/terraform.ts `planStacks`).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { BASE_FLEET } from "../config/fleet-fixture";
import { fleetFromYaml, synthFleet } from "../support/synth";
import { describeStackPlan, planStacks, type FleetPlan } from "../support/terraform";
import { comparePlans } from "./plans";

const STACK = "afterpay-staging-ingress";
/**
 * Resources shared by services that a new service may change (help/scaling.md): none when its
 * roles are in a caller account another service already has. (A new caller account changes the
 * execute-api endpoint policy, which lists the callers' accounts: the second test.)
 */
const SHARED_TYPES = new Set<string>();

const work = mkdtempSync(path.join(tmpdir(), "farcar-plan-"));
afterAll(() => (process.env.KEEP_PLANS ? undefined : rmSync(work, { recursive: true, force: true })));

const refunds = (account: string) => `          refunds:\n            roleArns: [arn:aws:iam::${account}:role/refunds-staging]\n            targets: [payments]\n`;
const VARIANTS = {
  n: BASE_FLEET,
  "n-plus-1": BASE_FLEET + refunds("333333333333"),
  "n-plus-1-new-account": BASE_FLEET + refunds("999999999999"),
};

let fleetPlan: FleetPlan;
beforeAll(async () => {
  const dirs = new Map(Object.entries(VARIANTS).map(([label, yaml]) => [label, synthFleet(fleetFromYaml(yaml)).dir(STACK)]));
  fleetPlan = await planStacks(dirs, work, { show: true });
}, 900_000);

/** The planned resources of one variant; fails with Terraform's diagnostics, by variant and resource, if it did not plan. */
function plan(label: keyof typeof VARIANTS) {
  const p = fleetPlan.stack(label);
  if (!p.ok) throw new Error(describeStackPlan(p));
  return p.planned;
}

test("adding a service changes only its own resources (and, for a new caller account, the endpoint policy)", () => {
  const before = plan("n");
  expect(before.size).toBeGreaterThan(50);
  // The comparison covers each resource's configuration too, not only its values known at plan time.
  expect([...before].filter(([, r]) => r.expressions === undefined).map(([a]) => a)).toEqual([]);
  const after = plan("n-plus-1");
  const { removed, changed, added } = comparePlans(before, after);
  expect(removed).toEqual([]); // nothing of another service disappears
  expect(changed.filter((a) => !SHARED_TYPES.has(a.split(".")[0]))).toEqual([]);
  expect(added.length).toBeGreaterThan(20);
  // Every new resource is the new service's: its API, Farcar, identity and routes carry its name.
  expect(added.filter((a) => !/refunds/.test(a))).toEqual([]);

  // The comparison sees what changes: a service from a caller account no other service has
  // changes the endpoint policy (it names the callers' accounts), and only that.
  const otherAccount = plan("n-plus-1-new-account");
  expect(comparePlans(before, otherAccount).changed).toEqual([expect.stringMatching(/^aws_vpc_endpoint_policy\.acquisition-network_execute-api-endpoint-policy/)]);
});
