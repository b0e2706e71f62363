/**
 * Fleet variants that change what a stack contains, planned for real against the AWS provider
 * schema (offline mirror) — all in ONE Terraform root (support/terraform.ts planStacks: one init,
 * one plan, one show; each variant judged on its own). A root per variant cost a provider start
 * for init-plan-show each (~6 s of CPU per variant; issue 14). The synthesized side of each
 * variant is tested in its own file: scale/arm64, scale/region, identity/ca-names, stacks/identity.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ARM_FLEET, LONG_NAMES_FLEET, LONG_NAMES_STACK, SVID_WRITER_FLEET, SYDNEY_FLEET } from "../config/fleet-variants";
import { fleetFromYaml, synthFleet } from "../support/synth";
import { describeStackPlan, planStacks, terraform, type FleetPlan } from "../support/terraform";

const STACK = "afterpay-staging-ingress";
const VARIANTS = {
  arm64: { yaml: ARM_FLEET, stack: STACK },
  sydney: { yaml: SYDNEY_FLEET, stack: STACK },
  "long-names": { yaml: LONG_NAMES_FLEET, stack: LONG_NAMES_STACK },
  "svid-writer": { yaml: SVID_WRITER_FLEET, stack: STACK },
};

const work = mkdtempSync(path.join(tmpdir(), "farcar-variants-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let fleetPlan: FleetPlan;
beforeAll(async () => {
  const dirs = new Map(Object.entries(VARIANTS).map(([label, v]) => [label, synthFleet(fleetFromYaml(v.yaml)).dir(v.stack)]));
  fleetPlan = await planStacks(dirs, work, { show: true });
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

test("arm64: every task definition plans with runtime_platform ARM64", () => {
  const tasks = [...planned("arm64").planned].filter(([address]) => address.startsWith("aws_ecs_task_definition."));
  expect(tasks.length).toBeGreaterThan(0);
  for (const [, t] of tasks) expect(t.after.runtime_platform).toEqual([expect.objectContaining({ cpu_architecture: "ARM64" })]);
});

test("sydney: every VPC endpoint is a service of ap-southeast-2, execute-api among them", () => {
  const services = [...planned("sydney").planned].filter(([address]) => address.startsWith("aws_vpc_endpoint.")).map(([, e]) => e.after.service_name);
  expect(services).toContain("com.amazonaws.ap-southeast-2.execute-api");
  for (const name of services) expect(name).toMatch(/^com\.amazonaws\.ap-southeast-2\./);
});

// Runs last: it rewrites the root. Changing a module call's arguments needs no new `terraform
// init`, and `terraform validate` evaluates a module input's validation rules when its value is
// known, without planning.
test("arm64: the cpu_architecture variable refuses anything but X86_64 and ARM64", async () => {
  const main = path.join(fleetPlan.root, "main.tf.json");
  const root = JSON.parse(readFileSync(main, "utf8"));
  root.module.arm64.cpu_architecture = "arm64";
  writeFileSync(main, JSON.stringify(root));
  const bad = await terraform(fleetPlan.root, ["validate", "-no-color"]);
  expect(bad.ok).toBe(false);
  expect(bad.stderr).toContain("cpu_architecture must be X86_64 or ARM64.");
}, 240_000);
