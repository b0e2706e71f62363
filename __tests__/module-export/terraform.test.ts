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
import { describeStackPlan, planModules, terraform, type FleetPlan } from "../support/terraform";

const out = mkdtempSync(path.join(tmpdir(), "farcar-modules-tf-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const result = exportModules(loadFleet(EXAMPLE_FLEET), { outDir: out });

/**
 * One root calls every module's `examples/basic` as a child module (which calls the module with
 * `source = "../../"`): one `terraform init` and one `terraform validate` check them all, and each
 * diagnostic is reported on the module or example whose file it is in.
 */
const examples = new Map(result.modules.map((m) => [`${m.directory}/examples/basic`, path.join(out, m.directory, "examples/basic")]));
const moduleDirs = new Map(result.modules.map((m) => [m.directory, path.join(out, m.directory)]));

let validated: FleetPlan;
/** Files `terraform fmt -check -recursive` lists as not formatted (one run for every module, relative to `out`). */
let unformatted: string[];
beforeAll(async () => {
  const fmt = await terraform(out, ["fmt", "-check", "-recursive", "-no-color"]);
  unformatted = fmt.stdout.split("\n").filter(Boolean);
  // Exit status 3 with a list is "not formatted"; anything else unlisted is fmt itself failing.
  if (!fmt.ok && !unformatted.length) throw new Error(`terraform fmt -check failed:\n${fmt.stderr}`);
  validated = await planModules(examples, path.join(out, "validate-root"), { validateOnly: true, alsoReport: moduleDirs });
}, 600_000);

describe("terraform on the generated modules (offline mirror)", () => {
  test.each([...moduleDirs.keys(), ...examples.keys()].sort())("%s: terraform init + validate pass without warnings", (name) => {
    const p = validated.stack(name);
    if (!p.ok || p.warnings.length) throw new Error(describeStackPlan(p));
  });

  test.each(result.modules.map((m) => m.directory))("%s/examples/basic is terraform fmt-clean", (directory) => {
    // `terraform fmt -diff` in that directory shows what differs.
    expect(unformatted.filter((file) => file.startsWith(`${directory}/examples/basic/`))).toEqual([]);
  });
});
