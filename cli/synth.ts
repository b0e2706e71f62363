/**
 * `farcar synth`: synthesize a fleet into the output directory the way `cdktf synth` does (same
 * App, same buildFleet, same `stacks/<name>/cdk.tf.json` layout), in-process, and replace the
 * directory only when synthesis succeeds:
 * - the stacks are written to a sibling temporary directory first, so a failure leaves the previous
 *   output untouched (and says so), and success leaves no stack of another fleet behind;
 * - `farcar-synth.json` in the output records which fleet file it came from, so the next run can
 *   say what a stale directory holds.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { App } from "cdktf";
import type { Fleet } from "../config/fleet";
import { buildFleet } from "../stacks/fleet-app";

/** Written into the output directory after a successful synth. */
export const SYNTH_RECORD = "farcar-synth.json";

export interface SynthRecord {
  readonly fleetFile: string;
  readonly synthesizedAt: string;
  readonly stacks: readonly string[];
}

export interface SynthResult {
  readonly outdir: string;
  /** Stack name → number of resources. */
  readonly stacks: Record<string, number>;
  readonly ms: number;
}

/** Synthesize `fleet` into `outdir`, replacing it only on success. */
export function synthesizeInto(fleet: Fleet, outdir: string, fleetFile: string): SynthResult {
  const t0 = performance.now();
  const target = path.resolve(outdir);
  const staging = mkdtempSync(`${target}.farcar-`);
  try {
    const app = new App({ outdir: staging });
    buildFleet(app, fleet);
    app.synth();
    const stacks: Record<string, number> = {};
    for (const name of readdirSync(path.join(staging, "stacks")).sort()) {
      const json = JSON.parse(readFileSync(path.join(staging, "stacks", name, "cdk.tf.json"), "utf8")) as {
        resource?: Record<string, Record<string, unknown>>;
      };
      stacks[name] = Object.values(json.resource ?? {}).reduce((n, byName) => n + Object.keys(byName).length, 0);
    }
    const record: SynthRecord = { fleetFile, synthesizedAt: new Date().toISOString(), stacks: Object.keys(stacks) };
    writeFileSync(path.join(staging, SYNTH_RECORD), `${JSON.stringify(record, null, 2)}\n`);
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
    return { outdir: target, stacks, ms: performance.now() - t0 };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** What an existing output directory holds, for the "left untouched" warning. */
export function previousSynth(outdir: string): string | undefined {
  if (!existsSync(outdir)) return undefined;
  try {
    const r = JSON.parse(readFileSync(path.join(outdir, SYNTH_RECORD), "utf8")) as SynthRecord;
    return `${outdir}/ still holds the previous synthesis of ${r.fleetFile} (${r.synthesizedAt}); it does not reflect this fleet file`;
  } catch {
    return `${outdir}/ still holds an earlier synthesis; it does not reflect this fleet file`;
  }
}
