/** Synthesize a fleet file into a temporary directory, the way `cdktf synth` does. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { FleetError, formatProblem } from "../../config/errors";
import { loadFleet, parseFleet } from "../../config/load";
import type { Fleet } from "../../config/fleet";
import { buildFleet, type FleetStacks } from "../../stacks/fleet-app";
import { disableTokenStackTraces } from "../../stacks/stack-traces";

// Synthesize as main.ts does: without cdktf's per-token stack traces (stacks/stack-traces.ts).
disableTokenStackTraces();

export const EXAMPLE_FLEET = path.resolve(__dirname, "../../examples/fleet.yaml");

export interface Synthesized {
  readonly outdir: string;
  readonly fleet: Fleet;
  readonly stacks: FleetStacks;
  /** Stack directory names under outdir/stacks. */
  readonly stackNames: string[];
  /** Parsed cdk.tf.json of a stack. */
  json(stack: string): Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  dir(stack: string): string;
}

/** Output directories synthesized by this test file: removed when it ends (the afterAll below). */
const outdirs: string[] = [];

/** Removes every output directory `synthFleet` created in this test file (KEEP_SYNTH=1 keeps them). */
export function removeSynthesized(): void {
  if (process.env.KEEP_SYNTH) return;
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
// Under Jest (a test file imports this module at the top): remove them when the file ends — each
// run left ~60 directories in the temp directory. Registered at import, this afterAll runs before
// the file's own afterAll hooks (Jest runs them in the order declared): read synthesized stacks in
// tests, not in afterAll.
if (typeof afterAll === "function") afterAll(removeSynthesized);

export function synthFleet(fleet: Fleet): Synthesized {
  const outdir = mkdtempSync(path.join(tmpdir(), "farcar-synth-"));
  outdirs.push(outdir);
  const app = new App({ outdir, skipValidation: false });
  const stacks = buildFleet(app, fleet);
  app.synth();
  const dir = (stack: string) => path.join(outdir, "stacks", stack);
  return {
    outdir,
    fleet,
    stacks,
    stackNames: readdirSync(path.join(outdir, "stacks")).sort(),
    dir,
    json: (stack) => JSON.parse(readFileSync(path.join(dir(stack), "cdk.tf.json"), "utf8")),
  };
}

export function synthFleetFile(file = EXAMPLE_FLEET): Synthesized {
  return synthFleet(loadFleet(file));
}

/** A fleet from YAML text, resolved as if the file were in examples/ (so relative PEM paths work). */
export function fleetFromYaml(text: string): Fleet {
  return parseFleet(text, path.resolve(__dirname, "../../examples/inline.yaml"), "inline.yaml");
}

/** The problems a fleet text is refused with, formatted as the user sees them (file:line:col: path: message); fails the test if the fleet loads. */
export function fleetProblems(text: string): string[] {
  try {
    fleetFromYaml(text);
  } catch (err) {
    if (err instanceof FleetError) return err.problems.map(formatProblem);
    throw err;
  }
  throw new Error("expected the fleet to be rejected");
}
