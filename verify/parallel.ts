/**
 * The isolation proof on several cores: each API (stack) is simulated independently, so the
 * selected APIs are shared out between worker threads (largest first, each to the least-loaded
 * worker) and the reports merged. The result is the report `verifyIsolation` would give, except
 * that the cross-check sample (every Nth case) is counted per worker and `ms` is wall time.
 */
import { availableParallelism } from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { Fleet } from "../config/fleet";
import { verifyIsolation, type IsolationReport, type VerifyOptions } from "./isolation";
import type { TerraformJson } from "./terraform-refs";

export interface ParallelOptions extends VerifyOptions {
  /** Worker threads (default: available cores, at most 4); 1 runs in this thread (unless a pool is given). */
  readonly workers?: number;
}

/** Rough cost of simulating a stack's API: its cases grow with the resource policy (services × targets). */
function weight(tf: TerraformJson): number {
  const policies = Object.values((tf.resource?.aws_api_gateway_rest_api_policy ?? {}) as Record<string, TerraformJson>);
  return policies.reduce((n, p) => n + String(p.policy ?? "").length, 0);
}

/** Stacks with an API resource policy, largest first, dealt out to `n` shares of similar weight. */
export function shareOut(synthesized: Readonly<Record<string, TerraformJson>>, n: number, only?: readonly string[]): string[][] {
  const stacks = Object.keys(synthesized)
    .filter((s) => weight(synthesized[s]) > 0 && (!only || only.includes(s)))
    .sort((a, b) => weight(synthesized[b]) - weight(synthesized[a]) || a.localeCompare(b));
  const shares = Array.from({ length: Math.max(1, Math.min(n, stacks.length)) }, () => ({ stacks: [] as string[], load: 0 }));
  for (const s of stacks) {
    const least = shares.reduce((a, b) => (b.load < a.load ? b : a));
    least.stacks.push(s);
    least.load += weight(synthesized[s]);
  }
  return shares.map((x) => x.stacks);
}

/** Merges per-worker reports of the same fleet and selection into one. */
export function mergeReports(parts: readonly IsolationReport[], ms: number): IsolationReport {
  const unique = (xs: string[]) => [...new Set(xs)];
  const stacks = parts.flatMap((p) => p.stacks).sort((a, b) => a.stack.localeCompare(b.stack));
  const problems = unique(parts.flatMap((p) => p.problems));
  const disagreements = parts.flatMap((p) => p.engine.disagreements);
  const mismatches = stacks.reduce((n, s) => n + s.mismatches.length, 0);
  return {
    stacks,
    notes: unique(parts.flatMap((p) => p.notes)),
    problems,
    engine: {
      ...parts[0].engine,
      crossChecked: parts.reduce((n, p) => n + p.engine.crossChecked, 0),
      settled: parts.reduce((n, p) => n + p.engine.settled, 0),
      disagreements,
    },
    cases: stacks.reduce((n, s) => n + s.cases, 0),
    mismatches,
    ok: mismatches === 0 && problems.length === 0 && disagreements.length === 0 && stacks.length > 0,
    ms,
  };
}

export interface ParallelRunOptions extends ParallelOptions {
  /**
   * Workers started earlier (`startIsolationWorkers`), e.g. while the fleet was being synthesized:
   * used for every share (also a single one, so this thread stays free), then closed.
   * @default - workers started here when there is more than one share
   */
  readonly pool?: IsolationWorkers;
}

/** `verifyIsolation` with the APIs shared out between worker threads. */
export async function verifyIsolationParallel(
  fleet: Fleet,
  synthesized: Readonly<Record<string, TerraformJson>>,
  options: ParallelRunOptions = {},
): Promise<IsolationReport> {
  const { workers = options.pool?.size ?? defaultWorkers(), pool, ...verifyOptions } = options;
  const shares = shareOut(synthesized, pool ? Math.min(workers, pool.size) : workers, verifyOptions.stacks);
  if (!pool && shares.length <= 1) return verifyIsolation(fleet, synthesized, verifyOptions);
  const started = performance.now();
  const running = pool ?? startIsolationWorkers(shares.length);
  try {
    const parts = await Promise.all(shares.map((simulateOnly, i) => running.run(i, fleet, synthesized, { ...verifyOptions, simulateOnly })));
    return mergeReports(parts, performance.now() - started);
  } finally {
    await running.close();
  }
}

/** Default worker count: the available cores, at most 4. */
export function defaultWorkers(): number {
  return Math.min(4, availableParallelism());
}

/**
 * Above this many APIs (services) in the selection, `npm run verify` simulates on worker threads by
 * default. Below it a worker's own start-up (loading iam-simulate, warming up, receiving a copy of
 * the stacks) costs more than it saves: on the example fleet (11 APIs, 2 cores, load ~4) one
 * thread took 3.5 s wall and 3.4 s of CPU against 4.6 s and 4.8 s with two workers; at 55 APIs
 * both took 13.6 s wall (medians / single runs, issue 14).
 */
export const WORKERS_FROM_APIS = 60;

/** `defaultWorkers()` when the selection has more than WORKERS_FROM_APIS APIs, else 1 (this thread). */
export function defaultWorkersFor(fleet: Fleet, stacks?: readonly string[]): number {
  const apis = fleet.environments.reduce(
    (n, env) =>
      n +
      (!stacks || stacks.includes(`${env.key}-ingress`) ? env.inbound.length : 0) +
      (!stacks || stacks.includes(`${env.key}-egress`) ? env.outbound.length : 0),
    0,
  );
  return apis > WORKERS_FROM_APIS ? defaultWorkers() : 1;
}

/**
 * Worker threads that load the isolation proof (and iam-simulate) as soon as they are started, so
 * that start-up overlaps whatever the caller does next (scripts/verify.ts starts them before it
 * synthesizes the fleet). Each worker simulates one share, then exits.
 */
export interface IsolationWorkers {
  readonly size: number;
  /** Simulate `options.simulateOnly` on worker `index`. */
  run(index: number, fleet: Fleet, synthesized: Readonly<Record<string, TerraformJson>>, options: VerifyOptions): Promise<IsolationReport>;
  /** Stop every worker (also those never given a share). */
  close(): Promise<void>;
}

/**
 * The worker runs this same module's compiled or TypeScript source; under tsx it registers tsx
 * first. It requires the isolation module right away and waits for its share.
 */
export function startIsolationWorkers(n: number): IsolationWorkers {
  const self = __filename;
  const loader = self.endsWith(".ts") ? `require(${JSON.stringify(require.resolve("tsx/cjs/api"))}).register();` : "";
  const source = `${loader}
const { parentPort } = require("node:worker_threads");
const { verifyIsolation } = require(${JSON.stringify(path.join(path.dirname(self), `isolation${path.extname(self)}`))});
parentPort.once("message", ({ fleet, synthesized, options }) =>
  verifyIsolation(fleet, synthesized, options)
    .then((report) => parentPort.postMessage({ report }), (err) => parentPort.postMessage({ error: String((err && err.stack) || err) })));`;
  const workers = Array.from({ length: Math.max(1, n) }, () => {
    const worker = new Worker(source, { eval: true });
    // A worker that fails before it is given a share reports it when it is.
    const failed = new Promise<never>((_, reject) => {
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`verify worker exited with code ${code}`)));
    });
    failed.catch(() => undefined);
    return { worker, failed };
  });
  return {
    size: workers.length,
    run(index, fleet, synthesized, options) {
      const { worker, failed } = workers[index];
      const done = new Promise<IsolationReport>((resolve, reject) => {
        worker.once("message", (m: { report?: IsolationReport; error?: string }) => {
          if (m.report) resolve(m.report);
          else reject(new Error(`verify worker: ${m.error}`));
        });
      });
      worker.postMessage({ fleet, synthesized, options });
      return Promise.race([done, failed]);
    },
    async close() {
      await Promise.all(workers.map(({ worker }) => worker.terminate()));
    },
  };
}
