/**
 * Where the isolation proof gets the synthesized stacks from: an in-process synth of the fleet
 * (default, always in step with the fleet file) or an existing `cdktf.out` (`--out DIR`).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import type { Fleet } from "../config/fleet";
import { buildFleet } from "../stacks/fleet-app";
import { disableTokenStackTraces } from "../stacks/stack-traces";
import type { TerraformJson } from "./terraform-refs";

/** `stack name → parsed cdk.tf.json` of every stack under `outdir/stacks`. */
export function readSynthesized(outdir: string): Record<string, TerraformJson> {
  const stacksDir = path.join(outdir, "stacks");
  if (!existsSync(stacksDir)) throw new Error(`${outdir}: no stacks/ directory; run \`npx cdktf synth\` first or omit --out`);
  const out: Record<string, TerraformJson> = {};
  for (const stack of readdirSync(stacksDir).sort()) {
    const file = path.join(stacksDir, stack, "cdk.tf.json");
    if (existsSync(file)) out[stack] = JSON.parse(readFileSync(file, "utf8")) as TerraformJson;
  }
  return out;
}

/** Synthesize `fleet` with buildFleet into a temporary directory, read every stack, remove the directory. */
export function synthesizeFleet(fleet: Fleet): Record<string, TerraformJson> {
  const outdir = mkdtempSync(path.join(tmpdir(), "farcar-verify-"));
  try {
    disableTokenStackTraces(); // as main.ts: stacks/stack-traces.ts
    const app = new App({ outdir });
    buildFleet(app, fleet);
    app.synth();
    return readSynthesized(outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
