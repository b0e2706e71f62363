/**
 * Verification layer 4, the isolation proof (help/security.md):
 *
 *   npm run verify [-- --fleet FILE] [--out DIR] [--stack NAME]... [--full] [--workers N] [--verbose] [--json FILE]
 *
 * Reads the fleet file (--fleet, else $FARCAR_CONFIG, else examples/fleet.yaml) and its stacks —
 * by default synthesized in-process with buildFleet into a temporary directory, so the proof is
 * always about the fleet file as it is now; with --out DIR, the stacks already in DIR (e.g.
 * cdktf.out after `npx cdktf synth`: what you are about to deploy; re-synthesize if the fleet file
 * changed since). Every private API resource policy is simulated with iam-simulate for every
 * (principal, method, path, endpoint) against the expected 1:1 matrix; exits 1 on any mismatch or
 * problem, naming each case. Then the guardrail proof (verify/guardrails.ts): the org stack's SCPs
 * simulated for every principal of each ingress proxy account against every identity-hijack action;
 * exits 1 on any HOLE or LOCKOUT.
 *
 *   --stack NAME  only this stack (repeatable)
 *   --full        evaluate every case with the validated runSimulation (~30× slower a case; alias --checked).
 *                 By default a case expected to be denied that no Allow statement could apply to
 *                 is settled as denied (verify/no-allow.ts), every other case runs through the fast
 *                 runUnsafeSimulation, and a sample (every 389th case, and every mismatch) is
 *                 cross-checked with runSimulation.
 *   --workers N   simulate the APIs on N worker threads, started before the synth (default: the
 *                 available cores, at most 4, when more than 60 APIs are selected, else 1; 1 = in
 *                 this thread). The identity and guardrail proofs run on this thread meanwhile.
 *   --verbose     print every Terraform reference substitution
 *   --json FILE   also write the full report as JSON
 */
import { writeFileSync } from "node:fs";
import { FleetError, SynthError } from "../config/errors";
import { DEFAULT_FLEET_FILE, loadFleet } from "../config/load";
import type { Fleet } from "../config/fleet";
import {
  defaultWorkersFor,
  formatReport,
  readSynthesized,
  startIsolationWorkers,
  synthesizeFleet,
  verifyIsolationParallel,
  type IsolationWorkers,
  type TerraformJson,
} from "../verify";
import { formatGuardrailReport, verifyGuardrails } from "../verify/guardrails";
import { formatIdentityReport, verifyIdentity } from "../verify/identity";

interface Args {
  fleet: string;
  out?: string;
  stacks: string[];
  checked: boolean;
  workers?: number;
  verbose: boolean;
  json?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { fleet: process.env.FARCAR_CONFIG || DEFAULT_FLEET_FILE, stacks: [], checked: false, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) usage(`${a} needs a value`);
      return v;
    };
    if (a === "--fleet") args.fleet = value();
    else if (a === "--out") args.out = value();
    else if (a === "--stack") args.stacks.push(value());
    else if (a === "--json") args.json = value();
    else if (a === "--checked" || a === "--full") args.checked = true;
    else if (a === "--workers") {
      const v = value();
      args.workers = Number(v);
      if (!Number.isInteger(args.workers) || args.workers < 1) usage(`--workers needs a whole number ≥ 1 (got ${v})`);
    }
    else if (a === "--verbose") args.verbose = true;
    else if (a === "--help" || a === "-h") usage();
    else usage(`unknown argument ${a}`);
  }
  return args;
}

function usage(error?: string): never {
  if (error) process.stderr.write(`verify: ${error}\n`);
  process.stderr.write("usage: npm run verify [-- --fleet FILE] [--out DIR] [--stack NAME]... [--full] [--workers N] [--verbose] [--json FILE]\n" +
      (error
        ? ""
        : "  --full       every case through the validated runSimulation (default: cases no Allow could apply to settled, the rest on the fast engine, every 389th case cross-checked)\n" +
          "  --workers N  worker threads for the simulation (default: available cores, at most 4, above 60 APIs, else 1; 1 = no workers)\n"));
  process.exit(error ? 2 : 0);
}

/** The command (`npm run verify`, `farcar verify`): `argv` without node and script. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const args = parseArgs(argv);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let fleet;
  try {
    fleet = loadFleet(args.fleet);
  } catch (err) {
    if (err instanceof FleetError) {
      process.stderr.write(`verify: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  // The isolation workers load iam-simulate while this thread synthesizes (verify/parallel.ts).
  const workers = args.workers ?? defaultWorkersFor(fleet, args.stacks.length ? args.stacks : undefined);
  const pool = workers > 1 ? startIsolationWorkers(workers) : undefined;
  try {
    await run({ ...args, workers }, fleet, pool, t0, cpu0);
  } finally {
    await pool?.close();
  }
}

async function run(args: Args, fleet: Fleet, pool: IsolationWorkers | undefined, t0: number, cpu0: NodeJS.CpuUsage): Promise<void> {
  const t1 = performance.now();
  let stacks: Record<string, TerraformJson>;
  let source: string;
  try {
    if (args.out) {
      stacks = readSynthesized(args.out);
      source = `read from ${args.out}`;
    } else {
      stacks = synthesizeFleet(fleet);
      source = "synthesized in-process (buildFleet, temporary directory)";
    }
  } catch (err) {
    if (err instanceof SynthError || err instanceof Error) {
      process.stderr.write(`verify: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const t2 = performance.now();
  const only = args.stacks.length ? args.stacks : undefined;

  // The isolation proof on the workers; the identity and guardrail proofs meanwhile on this thread.
  const isolation = verifyIsolationParallel(fleet, stacks, { stacks: only, engine: args.checked ? "checked" : "fast", workers: args.workers, pool });
  isolation.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
  const identity = verifyIdentity(fleet, stacks, { stacks: only });
  const environments = only?.filter((s) => s.endsWith("-ingress")).map((s) => s.slice(0, -"-ingress".length));
  const guardrails = await verifyGuardrails(fleet, stacks, { environments });
  const report = await isolation;

  console.log(`farcar verify — isolation proof (verification layer 4)`);
  console.log(`fleet: ${args.fleet}; stacks ${source}: ${Object.keys(stacks).length}`);
  console.log("");
  console.log(formatReport(report, { verbose: args.verbose }));
  const cpu = cpuSeconds(process.cpuUsage(cpu0));
  console.log(
    `time: load ${((t1 - t0) / 1000).toFixed(2)} s, ${args.out ? "read" : "synth"} ${((t2 - t1) / 1000).toFixed(2)} s, ` +
      `isolation ${(report.ms / 1000).toFixed(2)} s, guardrails ${(guardrails.ms / 1000).toFixed(2)} s (concurrently), ` +
      `total ${((performance.now() - t0) / 1000).toFixed(2)} s (${cpu.toFixed(2)} s CPU, all threads)`,
  );

  // The identity proof (verify/identity.ts): who can obtain which SPIFFE ID.
  console.log("");
  console.log(formatIdentityReport(identity));

  // The guardrail proof: the org stack's SCPs against in-account identity hijacks (verify/guardrails.ts).
  console.log("");
  console.log("farcar verify — guardrails (the org stack's SCPs against identity hijacks inside each proxy account)");
  console.log(formatGuardrailReport(guardrails));
  if (args.json) writeFileSync(args.json, `${JSON.stringify({ ...report, identity, guardrails }, null, 2)}\n`);
  process.exitCode = report.ok && identity.ok && guardrails.ok ? 0 : 1;
}

function cpuSeconds(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1e6;
}

/** `main` as a process: an unexpected error is printed with its stack, exit code 1. */
export function cli(): void {
  main().catch((err) => {
    process.stderr.write(`verify: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}

// `npx tsx scripts/verify.ts`; `npm run verify` runs it compiled (scripts/run-verify.cjs).
if (require.main === module) cli();
