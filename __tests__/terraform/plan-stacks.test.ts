/**
 * The test helper that plans many stacks as one Terraform root (support/terraform.ts
 * `planStacks`) must keep failures precise: an error is reported on the stack, and the resource,
 * it comes from — never on a neighbour, never lost.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describeStackPlan, planModules, planStacks, type FleetPlan } from "../support/terraform";

const work = mkdtempSync(path.join(tmpdir(), "farcar-plan-stacks-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A minimal stack as `cdktf synth` writes one: provider, backend, resources. */
function stack(name: string, resource: Record<string, Record<string, object>>, provider: object = { region: "us-east-1" }): string {
  const dir = path.join(work, "stacks", name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, "cdk.tf.json"),
    JSON.stringify({
      terraform: { required_providers: { aws: { source: "aws", version: "5.100.0" } }, backend: { local: { path: `${name}.tfstate` } } },
      provider: { aws: [provider] },
      resource,
    }),
  );
  return dir;
}

let plan: FleetPlan;
beforeAll(async () => {
  plan = await planStacks(
    [
      stack("good", { aws_sns_topic: { topic: { name: "farcar-good" } } }, { region: "us-west-2", default_tags: [{ tags: { stack: "good" } }] }),
      stack("bad-argument", { aws_sns_topic: { topic: { name: "farcar-bad", nme: "typo" } } }),
      stack("bad-value", { aws_cloudwatch_log_group: { logs: { name: "farcar", retention_in_days: 4 } } }, { region: "us-east-1", default_tags: [{ tags: { stack: "bad-value" } }] }),
    ],
    work,
  );
}, 300_000);

describe("planStacks: many stacks, one terraform plan", () => {
  test("an unknown argument fails its own stack, with the file and line", () => {
    const p = plan.stack("bad-argument");
    expect(p.ok).toBe(false);
    expect(p.errors.map((e) => e.summary)).toContain("Extraneous JSON object property");
    expect(describeStackPlan(p)).toMatch(/bad-argument: FAILED\n.*error: cdk\.tf\.json:\d+:\d+: .*nme/);
  });

  test("a value the provider rejects fails its own stack, naming the resource", () => {
    const p = plan.stack("bad-value");
    expect(p.ok).toBe(false);
    expect(p.errors.some((e) => e.address === "aws_cloudwatch_log_group.logs" && /retention_in_days/.test(`${e.summary} ${e.detail}`))).toBe(true);
  });

  test("stacks whose providers differ only in default_tags share one provider instance from the root; another region gets its own", () => {
    const root = JSON.parse(readFileSync(path.join(plan.root, "main.tf.json"), "utf8"));
    expect(root.provider.aws).toEqual([
      expect.objectContaining({ region: "us-west-2", alias: "shared_0" }),
      expect.objectContaining({ region: "us-east-1", alias: "shared_1" }),
    ]);
    expect(root.provider.aws.map((p: object) => Object.keys(p))).not.toContainEqual(expect.arrayContaining(["default_tags"]));
    expect(Object.fromEntries(Object.entries<{ providers: unknown }>(root.module).map(([name, m]) => [name, m.providers]))).toEqual({
      good: { aws: "aws.shared_0" },
      "bad-argument": { aws: "aws.shared_1" },
      "bad-value": { aws: "aws.shared_1" },
    });
    for (const name of ["good", "bad-argument", "bad-value"]) expect(JSON.parse(readFileSync(path.join(plan.root, name, "cdk.tf.json"), "utf8")).provider).toBeUndefined();
  });

  test("a stack without errors is not blamed, but is reported as not planned", () => {
    const p = plan.stack("good");
    expect(p.errors).toEqual([]);
    expect(p.ok).toBe(false);
    expect(p.blockedBy).toMatch(/plan stopped on errors in bad-argument, bad-value/);
  });
});

describe("planModules (validate only): a module and its example", () => {
  test("an error in the module is reported on the module, not on the example that calls it", async () => {
    const moduleDir = path.join(work, "modules", "broken");
    const exampleDir = path.join(moduleDir, "examples", "basic");
    mkdirSync(exampleDir, { recursive: true });
    writeFileSync(
      path.join(moduleDir, "main.tf.json"),
      JSON.stringify({
        variable: { topic_name: { type: "string" } },
        resource: { aws_sns_topic: { topic: { name: "${var.topic_name}", delivery_polcy: "{}" } } },
      }),
    );
    writeFileSync(
      path.join(exampleDir, "main.tf"),
      'variable "topic_name" {\n  type = string\n}\n\nprovider "aws" {\n  region = "us-east-1"\n}\n\nmodule "broken" {\n  source     = "../../"\n  topic_name = var.topic_name\n}\n',
    );
    const v = await planModules(new Map([["broken/examples/basic", exampleDir]]), path.join(work, "validate-root"), {
      validateOnly: true,
      alsoReport: new Map([["broken", moduleDir]]),
    });
    expect(v.stack("broken").errors.map((e) => `${e.range?.filename}: ${e.detail}`)).toEqual([
      expect.stringMatching(/^main\.tf\.json: No argument or block type is named "delivery_polcy"/),
    ]);
    expect(v.stack("broken/examples/basic").errors).toEqual([]);
  }, 300_000);
});
