/**
 * Farcar entry point of `cdktf synth` (cdktf.json "app"): reads the fleet file — $FARCAR_CONFIG,
 * else cdktf.json context.farcarConfig, else examples/fleet.yaml (cli/fleet-file.ts), named in a
 * banner — and synthesizes every stack. An invalid fleet file prints every problem with its line
 * and exits non-zero before anything is written.
 *
 * Under `cdktf synth` each line this program writes to stderr appears twice: cdktf-cli logs every
 * stderr chunk of the app as it arrives (@cdktf/commons util.js exec → processLoggerError), then
 * repeats the collected stderr in "cdktf encountered an error while synthesizing … Command output
 * on stderr". `npx farcar synth` (cli/synth.ts) runs the same synthesis in-process and prints once.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import * as path from "node:path";
import { App, TerraformStack } from "cdktf";
import { FleetError, SynthError } from "./config/errors";
import { loadFleet } from "./config/load";
import { banner, resolveFleetFile } from "./cli/fleet-file";
import { previousSynth } from "./cli/synth";
import { buildFleet } from "./stacks/fleet-app";
import { disableTokenStackTraces } from "./stacks/stack-traces";

function main(): void {
  const choice = resolveFleetFile(undefined);
  const file = choice.file;
  // stdout: under cdktf synth it is shown once, as it arrives.
  process.stdout.write(`${banner(choice)}\n`);
  let fleet;
  try {
    fleet = loadFleet(file);
  } catch (err) {
    if (err instanceof FleetError) {
      const stale = previousSynth(process.env.CDKTF_OUTDIR || "cdktf.out");
      process.stderr.write(`farcar: ${err.message}${stale ? `\n${stale}.` : ""}\n`);
      process.exit(1);
    }
    throw err;
  }
  // cdktf's App creates its output directory at once; remove it again if this run created it and
  // then failed, so a failed synth leaves nothing behind.
  const outdir = process.env.CDKTF_OUTDIR || "cdktf.out";
  const outdirExisted = existsSync(outdir);
  disableTokenStackTraces(); // cdktf's per-token stack traces: see stacks/stack-traces.ts
  const app = new App();
  try {
    buildFleet(app, fleet);
    // Security rules run as Aspects during synth; a violation throws SynthError before any stack is written.
    app.synth();
  } catch (err) {
    if (err instanceof SynthError) {
      if (!outdirExisted) rmSync(outdir, { recursive: true, force: true });
      const stale = outdirExisted ? `\n${previousSynth(outdir)}.` : "";
      process.stderr.write(`farcar: ${err.message}\nNothing was synthesized.${stale}\n`);
      process.exit(1);
    }
    throw err;
  }
  // App.synth writes this fleet's stacks but leaves directories of stacks an earlier synth (of
  // another fleet) wrote: remove them, so the output holds exactly this fleet.
  const current = new Set(app.node.children.filter(TerraformStack.isStack).map((s) => s.node.id));
  const stacksDir = path.join(outdir, "stacks");
  for (const dir of existsSync(stacksDir) ? readdirSync(stacksDir) : [])
    if (!current.has(dir)) rmSync(path.join(stacksDir, dir), { recursive: true, force: true });
}

main();
