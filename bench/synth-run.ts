/**
 * One synthesis in a fresh process, for bench/synth.ts: prints one JSON line with the in-process
 * synth time, its CPU time (the child processes it waited for included), the process's peak RSS
 * and the resource count.
 *
 * Run from the repository root.
 *
 *   tsx bench/synth-run.ts floor                 # one stack, one provider, one resource: the cdktf floor
 *   tsx bench/synth-run.ts example               # examples/fleet.yaml
 *   tsx bench/synth-run.ts generated E I [O]     # E environments, each with I inbound and O (default 0) outbound services (bench/fleet.ts)
 *
 * `--out DIR` (last) keeps the output in DIR instead of a temporary directory, e.g. to diff two
 * versions of the synth byte for byte.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { loadFleet, parseFleet } from "../config/load";
import { buildFleet } from "../stacks/fleet-app";
import { disableTokenStackTraces } from "../stacks/stack-traces";
import { generateFleetYaml } from "./fleet";

/**
 * CPU of the child processes synth waited for (cdktf zips an ARCHIVE asset in a child `node`), from
 * /proc/self/stat cutime + cstime (Linux; clock ticks, 100 per second); 0 elsewhere.
 */
function childrenCpuMs(): number {
  try {
    const fields = readFileSync("/proc/self/stat", "utf8").replace(/^.*\) /, "").split(" ");
    return (Number(fields[13]) + Number(fields[14])) * 10; // fields 16 and 17 of proc(5), counted from "state" (3)
  } catch {
    return 0;
  }
}

const ROOT = process.cwd(); // the repository root (bench/synth.ts runs this compiled, from dist/bench/)
const args = process.argv.slice(2);
const keep = args.includes("--out") ? path.resolve(args.splice(args.indexOf("--out"), 2)[1]) : undefined;
const [scenario, ...rest] = args;
const outdir = keep ?? mkdtempSync(path.join(tmpdir(), "farcar-bench-"));
const started = performance.now();
const cpu0 = process.cpuUsage();

if (scenario === "floor") {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, "floor");
  new AwsProvider(stack, "aws", { region: "us-east-1" });
  new SnsTopic(stack, "topic", { name: "floor" });
  app.synth();
} else {
  disableTokenStackTraces(); // as main.ts does
  const generated = () => generateFleetYaml({ environments: Number(rest[0]), inbound: Number(rest[1]), outbound: Number(rest[2] ?? 0) });
  const fleet =
    scenario === "example"
      ? loadFleet(path.join(ROOT, "examples/fleet.yaml"))
      : parseFleet(generated(), path.join(ROOT, "examples/generated.yaml"), "generated.yaml");
  const app = new App({ outdir });
  buildFleet(app, fleet);
  app.synth();
}
const synthMs = performance.now() - started;
const cpu = process.cpuUsage(cpu0);
// The synth's peak, before the resources are counted below (parsing every cdk.tf.json again would
// add its own peak: 2x500 reads back 46 MB of JSON).
const maxRssMiB = process.resourceUsage().maxRSS / 1024;
const synthCpuMs = (cpu.user + cpu.system) / 1000 + childrenCpuMs();

let resources = 0;
const stacksDir = path.join(outdir, "stacks");
const stacks = readdirSync(stacksDir);
for (const s of stacks) {
  const tf = JSON.parse(readFileSync(path.join(stacksDir, s, "cdk.tf.json"), "utf8")) as { resource?: Record<string, object> };
  for (const byId of Object.values(tf.resource ?? {})) resources += Object.keys(byId).length;
}
if (!keep) rmSync(outdir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ synthMs, synthCpuMs, maxRssMiB, resourcesCountedMaxRssMiB: process.resourceUsage().maxRSS / 1024, resources, stacks: stacks.length })}\n`);
