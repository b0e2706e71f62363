/**
 * Fleet variants that change what a stack contains, planned for real against the AWS provider
 * schema (offline mirror) — all in ONE Terraform root (support/terraform.ts planStacks: one init,
 * one plan, one show; each variant judged on its own). A root per variant cost a provider start
 * for init-plan-show each (~6 s of CPU per variant; issue 14). The synthesized side of each
 * variant is tested in its own file: scale/arm64, scale/region, identity/ca-names, stacks/identity.
 * The knobs are independent of each other, so one stack carries them all ("knobs": ARM64, the
 * Sydney region, the SVID writer, 63-character names): each stack planned costs ~110 resources.
 *
 * Plan stability (help/scaling.md): adding one service changes only that service's resources,
 * plus the documented shared ones — proven on the plans of the environment with N services and
 * with N + 1 (variants "n", "n-plus-1", "n-plus-1-new-account").
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { BASE_FLEET } from "../config/fleet-fixture";
import { ALL_KNOBS_FLEET, ALL_KNOBS_STACK, SVID_WRITER_ARN } from "../config/fleet-variants";
import { fleetFromYaml, synthFleet, type Synthesized } from "../support/synth";
import { describeStackPlan, planStacks, validateInputs, type FleetPlan } from "../support/terraform";
import { comparePlans } from "../scale/plans";

const STACK = "afterpay-staging-ingress";
const refunds = (account: string) => `          refunds:\n            roleArns: [arn:aws:iam::${account}:role/refunds-staging]\n            targets: [payments]\n`;
const VARIANTS = {
  n: { yaml: BASE_FLEET, stack: STACK },
  "n-plus-1": { yaml: BASE_FLEET + refunds("333333333333"), stack: STACK },
  "n-plus-1-new-account": { yaml: BASE_FLEET + refunds("999999999999"), stack: STACK },
  knobs: { yaml: ALL_KNOBS_FLEET, stack: ALL_KNOBS_STACK },
};

const work = mkdtempSync(path.join(tmpdir(), "farcar-variants-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let fleetPlan: FleetPlan;
/** Each variant's synthesized fleet. */
let synthesized: Map<keyof typeof VARIANTS, Synthesized>;
const stackDir = (label: keyof typeof VARIANTS) => synthesized.get(label)!.dir(VARIANTS[label].stack);
beforeAll(async () => {
  synthesized = new Map(Object.entries(VARIANTS).map(([label, v]) => [label as keyof typeof VARIANTS, synthFleet(fleetFromYaml(v.yaml))]));
  fleetPlan = await planStacks(new Map([...synthesized.keys()].map((label) => [label, stackDir(label)])), work, { show: true });
}, 600_000);

const planned = (label: keyof typeof VARIANTS) => {
  const p = fleetPlan.stack(label);
  if (!p.ok) throw new Error(describeStackPlan(p));
  return p;
};

test.each(Object.keys(VARIANTS) as Array<keyof typeof VARIANTS>)("%s: the stack validates and plans, creating everything", (label) => {
  const p = planned(label);
  expect(p.errors).toEqual([]);
  expect(p.changes.size).toBeGreaterThan(0);
  expect(new Set([...p.changes.values()].filter((a) => a !== "read"))).toEqual(new Set(["create"]));
});

test("knobs (ARM64): every task definition plans with runtime_platform ARM64", () => {
  const tasks = [...planned("knobs").planned].filter(([address]) => address.startsWith("aws_ecs_task_definition."));
  expect(tasks.length).toBeGreaterThan(0);
  for (const [, t] of tasks) expect(t.after.runtime_platform).toEqual([expect.objectContaining({ cpu_architecture: "ARM64" })]);
});

test("knobs (Sydney): every VPC endpoint is a service of ap-southeast-2, execute-api among them", () => {
  const services = [...planned("knobs").planned].filter(([address]) => address.startsWith("aws_vpc_endpoint.")).map(([, e]) => e.after.service_name);
  expect(services).toContain("com.amazonaws.ap-southeast-2.execute-api");
  for (const name of services) expect(name).toMatch(/^com\.amazonaws\.ap-southeast-2\./);
});

test("knobs (SVID writer in Sydney): the SVID key lets the writer in through Secrets Manager of the environment's region", () => {
  // The policies are unknown at plan time (they name the roles' ARNs): their text is the stack's.
  const tf = synthesized.get("knobs")!.json(VARIANTS.knobs.stack);
  const keyPolicies = Object.entries(tf.resource.aws_kms_key_policy ?? {}) as [string, { policy: string }][];
  expect(keyPolicies).toHaveLength(1);
  expect(planned("knobs").planned.get(`aws_kms_key_policy.${keyPolicies[0][0]}`)?.actions).toEqual(["create"]);
  expect(JSON.parse(keyPolicies[0][1].policy).Statement).toContainEqual(
    expect.objectContaining({ Principal: { AWS: SVID_WRITER_ARN }, Condition: { StringEquals: { "kms:ViaService": "secretsmanager.ap-southeast-2.amazonaws.com" } } }),
  );
});

/**
 * Resources shared by services that a new service may change (help/scaling.md): none when its
 * roles are in a caller account another service already has. (A new caller account changes the
 * execute-api endpoint policy, which lists the callers' accounts.)
 */
const SHARED_TYPES = new Set<string>();

test("plan stability: adding a service changes only its own resources (and, for a new caller account, the endpoint policy)", () => {
  const before = planned("n").planned;
  expect(before.size).toBeGreaterThan(50);
  // The comparison covers each resource's configuration too, not only its values known at plan time.
  expect([...before].filter(([, r]) => r.expressions === undefined).map(([a]) => a)).toEqual([]);
  const after = planned("n-plus-1").planned;
  const { removed, changed, added } = comparePlans(before, after);
  expect(removed).toEqual([]); // nothing of another service disappears
  expect(changed.filter((a) => !SHARED_TYPES.has(a.split(".")[0]))).toEqual([]);
  expect(added.length).toBeGreaterThan(20);
  // Every new resource is the new service's: its API, Farcar, identity and routes carry its name.
  expect(added.filter((a) => !/refunds/.test(a))).toEqual([]);

  // The comparison sees what changes: a service from a caller account no other service has
  // changes the endpoint policy (it names the callers' accounts), and only that.
  const otherAccount = planned("n-plus-1-new-account").planned;
  expect(comparePlans(before, otherAccount).changed).toEqual([expect.stringMatching(/^aws_vpc_endpoint_policy\.acquisition-network_execute-api-endpoint-policy/)]);
});

test("knobs (ARM64): the cpu_architecture variable refuses anything but X86_64 and ARM64", async () => {
  const bad = await validateInputs(stackDir("knobs"), { cpu_architecture: "arm64" }, work);
  expect(bad.ok).toBe(false);
  expect(bad.stderr).toContain("cpu_architecture must be X86_64 or ARM64.");
  // The same check lets the values the rule names through.
  expect((await validateInputs(stackDir("knobs"), { cpu_architecture: "ARM64" }, work)).ok).toBe(true);
}, 240_000);
