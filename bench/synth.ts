/**
 * Synthesis benchmark (issue 14): for each fleet size, in a fresh process each run — the
 * process's wall time (start-up included, as `cdktf synth` pays it), the synth time inside it,
 * peak RSS and the resource count; and the ratio of the wall time to the cdktf floor (a
 * one-stack, one-resource app, same loader). Medians of --runs runs (default 3). With --tests,
 * also the wall time of the test suite (`npx jest`), --runs times.
 * Prints figures; asserts nothing (timing belongs here, not in tests).
 *
 *   npm run bench                                    # floor, example, 1×10, 1×100, 1×1000, 100×20
 *   npm run bench -- --runs 5 --only 1x10,1x100      # some sizes
 *   npm run bench -- --tests                         # also the test suite
 *
 * Sizes are environments × services per environment. One environment holds up to 600 services
 * per direction (one private API each, bench/fleets.ts); a larger size is measured with the same
 * number of services spread over more environments, and the output says so.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { fittingLayout } from "./fleets";

const ROOT = path.resolve(__dirname, "..");
/**
 * synth-run.ts compiled once by esbuild (npm packages external), run by plain node: the way
 * cdktf.json's app runs main.ts (scripts/app.cjs), so start-up is not a TypeScript loader's.
 */
function compiledRunner(): string {
  // Inside the repository, so node_modules resolves.
  const outfile = path.join(ROOT, "dist", "bench", "synth-run.js");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require("esbuild") as typeof import("esbuild")).buildSync({
    entryPoints: [path.join(__dirname, "synth-run.ts")],
    bundle: true,
    packages: "external",
    platform: "node",
    target: "node20",
    format: "cjs",
    outfile,
    absWorkingDir: ROOT,
    logLevel: "warning",
  });
  return outfile;
}
const RUNNER = compiledRunner();
const argv = process.argv.slice(2);
const option = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const runs = Number(option("--runs")) || 3;
const only = option("--only")?.split(",");

interface Sample {
  wallMs: number;
  synthMs: number;
  synthCpuMs: number;
  maxRssMiB: number;
  resources: number;
  stacks: number;
}

function runOnce(args: string[]): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [RUNNER, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      const wallMs = performance.now() - t0;
      if (code !== 0) return reject(new Error(`synth-run ${args.join(" ")} exited ${code}`));
      resolve({ wallMs, ...JSON.parse(out.trim().split("\n").pop()!) });
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function measure(args: string[]): Promise<Sample> {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) samples.push(await runOnce(args));
  return {
    wallMs: median(samples.map((s) => s.wallMs)),
    synthMs: median(samples.map((s) => s.synthMs)),
    synthCpuMs: median(samples.map((s) => s.synthCpuMs)),
    maxRssMiB: median(samples.map((s) => s.maxRssMiB)),
    resources: samples[0].resources,
    stacks: samples[0].stacks,
  };
}

function row(label: string, s: Sample, floor?: Sample): string {
  const ratio = floor ? `${(s.wallMs / floor.wallMs).toFixed(2)}×` : "1.00×";
  return (
    `${label.padEnd(22)} ${String(s.stacks).padStart(6)} ${String(s.resources).padStart(9)} ${(s.wallMs / 1000).toFixed(2).padStart(8)} s ` +
    `${(s.synthMs / 1000).toFixed(2).padStart(8)} s ${(s.synthCpuMs / 1000).toFixed(2).padStart(8)} s ${s.maxRssMiB.toFixed(0).padStart(8)} MiB ${ratio.padStart(9)}`
  );
}

async function testSuite(): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const code = await new Promise<number | null>((resolve) =>
      spawn("npx", ["jest", "--silent"], { cwd: ROOT, stdio: ["ignore", "ignore", "ignore"] }).on("exit", resolve),
    );
    times.push(performance.now() - t0);
    console.log(`  test suite run ${i + 1}: ${((performance.now() - t0) / 1000).toFixed(1)} s (exit ${code})`);
  }
  console.log(`test suite (npx jest): median ${(median(times) / 1000).toFixed(1)} s over ${runs} runs`);
}

async function main(): Promise<void> {
  console.log(`farcar synth benchmark — medians of ${runs} runs, each in a fresh process (node ${process.version}, precompiled like scripts/app.cjs)`);
  console.log(`${"fleet".padEnd(22)} ${"stacks".padStart(6)} ${"resources".padStart(9)} ${"wall".padStart(10)} ${"synth".padStart(10)} ${"synth CPU".padStart(10)} ${"peak RSS".padStart(12)} ${"vs floor".padStart(9)}`);
  const floor = await measure(["floor"]);
  console.log(row("cdktf floor (1 res.)", floor));
  const sizes: Array<[string, string[]]> = [["example", ["example"]]];
  const notes: string[] = [];
  for (const [envs, services] of [
    [1, 10],
    [1, 100],
    [1, 1000],
    [100, 20],
  ] as const) {
    const layout = fittingLayout(envs, services);
    if (layout.note) notes.push(layout.note);
    sizes.push([`${envs}x${services}`, ["generated", String(layout.acquisitions), String(layout.environments), String(layout.services)]]);
  }
  for (const [label, args] of sizes) {
    if (only && !only.includes(label)) continue;
    console.log(row(label === "example" ? "examples/fleet.yaml" : `${label.replace("x", "×")} services`, await measure(args), floor));
  }
  for (const n of notes) console.log(`note: ${n}`);
  if (argv.includes("--tests")) await testSuite();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
