/**
 * Farcar entry point (`cdktf synth`): reads the fleet file named by FARCAR_CONFIG
 * (default examples/fleet.yaml) and synthesizes every stack. An invalid fleet file prints every
 * problem with its line and exits non-zero before anything is written.
 */
import { existsSync, rmSync } from "node:fs";
import { App } from "cdktf";
import { FleetError, SynthError } from "./config/errors";
import { DEFAULT_FLEET_FILE, loadFleet } from "./config/load";
import { buildFleet } from "./stacks/fleet-app";
import { disableTokenStackTraces } from "./stacks/stack-traces";

function main(): void {
  const file = process.env.FARCAR_CONFIG || DEFAULT_FLEET_FILE;
  let fleet;
  try {
    fleet = loadFleet(file);
  } catch (err) {
    if (err instanceof FleetError) {
      process.stderr.write(`farcar: ${err.message}\n`);
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
      process.stderr.write(`farcar: ${err.message}\nNothing was synthesized.\n`);
      process.exit(1);
    }
    throw err;
  }
}

main();
