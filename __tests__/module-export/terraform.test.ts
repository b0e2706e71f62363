/**
 * DESIGN.md "Module export": every generated module and its example pass `terraform init` +
 * `validate` against the offline provider mirror; the examples are `terraform fmt`-clean.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { loadFleet } from "../../config/load";
import { exportModules } from "../../scripts/module-export";
import { EXAMPLE_FLEET } from "../support/synth";
import { terraform, type TerraformResult } from "../support/terraform";
import { mapLimit, TERRAFORM_CONCURRENCY, type Json } from "./support";

const out = mkdtempSync(path.join(tmpdir(), "farcar-modules-tf-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const result = exportModules(loadFleet(EXAMPLE_FLEET), { outDir: out });

interface Check {
  readonly name: string;
  readonly dir: string;
  init?: TerraformResult;
  validate?: TerraformResult & { json?: Json };
}

const checks: Check[] = result.modules.flatMap((m) => [
  { name: m.directory, dir: path.join(out, m.directory) },
  { name: `${m.directory}/examples/basic`, dir: path.join(out, m.directory, "examples/basic") },
]);

beforeAll(async () => {
  await mapLimit(checks, TERRAFORM_CONCURRENCY, async (c) => {
    c.init = await terraform(c.dir, ["init", "-backend=false", "-input=false", "-no-color"]);
    if (!c.init.ok) return;
    const v = await terraform(c.dir, ["validate", "-json", "-no-color"]);
    let json: Json | undefined;
    try {
      json = JSON.parse(v.stdout);
    } catch {
      json = undefined;
    }
    c.validate = { ...v, json };
  });
}, 900_000);

describe("terraform on the generated modules (offline mirror)", () => {
  test.each(checks.map((c) => c.name))("%s: terraform init + validate pass without warnings", (name) => {
    const c = checks.find((x) => x.name === name)!;
    if (!c.init?.ok) throw new Error(`init failed in ${name}:\n${c.init?.stderr}\n${c.init?.stdout.slice(-3000)}`);
    if (!c.validate?.json?.valid) throw new Error(`validate failed in ${name}:\n${c.validate?.stdout}\n${c.validate?.stderr}`);
    expect(c.validate.json.error_count).toBe(0);
    expect(c.validate.json.warning_count).toBe(0);
  });

  test.each(result.modules.map((m) => m.directory))("%s/examples/basic is terraform fmt-clean", async (directory) => {
    const r = await terraform(path.join(out, directory, "examples/basic"), ["fmt", "-check", "-diff", "-no-color"]);
    if (!r.ok) throw new Error(`terraform fmt -check:\n${r.stdout}\n${r.stderr}`);
  });
});
