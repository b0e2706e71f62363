/**
 * Adding one service changes only that service's resources, plus the documented shared ones
 * (help/scaling.md), proven on two `terraform plan`s (offline mirror): the environment's plan with
 * N services and with N + 1.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { BASE_FLEET } from "../config/fleet-fixture";
import { fleetFromYaml, synthFleet } from "../support/synth";
import { offlineCopy, terraform } from "../support/terraform";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const STACK = "afterpay-staging-ingress";
/**
 * Resources every service shares today, which a new service changes: the API's resource policy
 * (one statement per service) and its deployment (re-triggered by the new routes).
 */
const SHARED_TYPES = new Set(["aws_api_gateway_rest_api_policy", "aws_api_gateway_deployment"]);

const work = mkdtempSync(path.join(tmpdir(), "farcar-plan-"));
afterAll(() => (process.env.KEEP_PLANS ? undefined : rmSync(work, { recursive: true, force: true })));

/** Planned resources of the ingress stack of `fleetYaml`, by address. */
async function plannedResources(fleetYaml: string, label: string): Promise<Map<string, Json>> {
  const s = synthFleet(fleetFromYaml(fleetYaml));
  const dir = offlineCopy(s.dir(STACK), path.join(work, label));
  for (const args of [
    ["init", "-input=false", "-no-color"],
    ["plan", "-input=false", "-lock=false", "-no-color", "-refresh=false", "-out=plan.bin"],
  ]) {
    const r = await terraform(dir, args);
    if (!r.ok) throw new Error(`${label}: terraform ${args[0]}: ${r.stderr}\n${r.stdout.slice(-3000)}`);
  }
  const show = await terraform(dir, ["show", "-json", "plan.bin"]);
  if (!show.ok) throw new Error(`${label}: terraform show: ${show.stderr}`);
  const plan = JSON.parse(show.stdout) as Json;
  // A first plan knows few computed values, so compare what Terraform will evaluate too: each
  // resource's configuration expressions (its literal arguments, templates and references).
  const expressions = new Map<string, Json>((plan.configuration.root_module.resources as Json[]).map((r) => [r.address, r.expressions]));
  const out = new Map<string, Json>();
  for (const rc of plan.resource_changes as Json[]) {
    out.set(rc.address, { actions: rc.change.actions, after: rc.change.after, unknown: rc.change.after_unknown, expressions: expressions.get(rc.address) });
  }
  return out;
}

test("adding a service changes only its own resources and the documented shared ones", async () => {
  const before = await plannedResources(BASE_FLEET, "n");
  const after = await plannedResources(
    BASE_FLEET + "          refunds:\n            roleArns: [arn:aws:iam::333333333333:role/refunds-staging]\n            targets: [payments]\n",
    "n-plus-1",
  );
  const changed: string[] = [];
  for (const [address, plan] of before) {
    const next = after.get(address);
    expect({ address, kept: next !== undefined }).toEqual({ address, kept: true }); // nothing of another service disappears
    if (JSON.stringify(next) !== JSON.stringify(plan)) changed.push(address);
  }
  expect(changed.filter((a) => !SHARED_TYPES.has(a.split(".")[0]))).toEqual([]);
  // The comparison sees what changes: the shared policy and deployment do.
  expect(changed.map((a) => a.split(".")[0]).sort()).toEqual([...SHARED_TYPES].sort());
  const added = [...after.keys()].filter((a) => !before.has(a));
  expect(added.length).toBeGreaterThan(20);
  // Every new resource is the new service's: its Farcar, identity and routes carry its name.
  expect(added.filter((a) => !/refunds/.test(a))).toEqual([]);
}, 600_000);
