/**
 * The sidecar's main loop: obtain → verify → install → wait → repeat, with every side effect
 * (clock, sleep, randomness, AWS clients through the source, filesystem) injected.
 *
 * Exit codes: 0 after SIGTERM/abort; 1 when the installed certificate expired without renewal or
 * no certificate could be installed before the startup deadline (state written to status.json first,
 * so `health` fails too). Configuration errors (exit 2) are handled by main.ts before this runs.
 */
import { promises as nodeFs } from "node:fs";
import type { IngressSidecarConfig } from "./env";
import { FsOps, installBundleAndSds, installKeyAndChain, nodeFsOps, removeStaleTempFiles } from "./files";
import type { IdentitySource, Sleep } from "./source";
import { SidecarState, SidecarStatus, writeStatus } from "./status";
import type { Svid } from "./svid";

export type LogLevel = "info" | "warn" | "error";
export type Logger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

/** JSON lines on stdout (CloudWatch Logs via the awslogs driver). Never logs key material. */
export const jsonLogger: Logger = (level, message, fields) => {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }) + "\n");
};

export interface BackoffOptions {
  /** First retry delay (default 1 s). */
  baseMs: number;
  /** Upper bound of a retry delay (default 5 min). */
  maxMs: number;
}

/**
 * Exponential backoff with "equal jitter": the n-th consecutive failure waits between half and all
 * of min(max, base·2^(n-1)), so tasks that failed together (a CA outage) do not retry in lockstep,
 * and a retry is never immediate.
 */
export function backoffDelay(failures: number, random: () => number, opts: BackoffOptions): number {
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** What both sidecar loops (runSidecar here, runEgressSidecar in egress-run.ts) are given. */
export interface LoopRuntime {
  config: { identityDir: string; startupTimeoutSeconds: number };
  clock: () => Date;
  sleep: Sleep;
  random?: () => number;
  fs?: FsOps;
  log?: Logger;
  /** Aborted on SIGTERM: the loop returns 0 at the next step. */
  signal?: AbortSignal;
  backoff?: BackoffOptions;
}

export interface SidecarRuntime extends LoopRuntime {
  config: IngressSidecarConfig;
  source: IdentitySource;
}

/** A loop's runtime with its defaults applied, its directory ready and its startup deadline fixed. */
export interface LoopStart {
  random: () => number;
  fs: FsOps;
  log: Logger;
  backoff: BackoffOptions;
  dir: string;
  /** Epoch ms by which everything must be installed once, or the loop exits 1. */
  startupDeadline: number;
  /** Logs the stop and returns the exit code after SIGTERM/abort (0). */
  stopped: () => number;
}

/**
 * Applies the defaults of `rt` (Math.random, the node filesystem, JSON logs, 1 s–5 min backoff),
 * creates the identity directory, removes temp files a killed predecessor left in it and starts
 * the startup clock.
 */
export async function startLoop(rt: LoopRuntime): Promise<LoopStart> {
  const fs = rt.fs ?? nodeFsOps;
  const log = rt.log ?? jsonLogger;
  const dir = rt.config.identityDir;
  await nodeFs.mkdir(dir, { recursive: true });
  await removeStaleTempFiles(dir, fs);
  return {
    random: rt.random ?? Math.random,
    fs,
    log,
    backoff: rt.backoff ?? { baseMs: 1_000, maxMs: 300_000 },
    dir,
    startupDeadline: rt.clock().getTime() + rt.config.startupTimeoutSeconds * 1000,
    stopped: () => {
      log("info", "identity sidecar stopping (signal)");
      return 0;
    },
  };
}

/** How a failed attempt is recorded in status.json and the logs: `Name: message`. */
export function errorText(err: unknown): string {
  return `${(err as Error).name}: ${(err as Error).message}`;
}

export async function runSidecar(rt: SidecarRuntime): Promise<number> {
  const { config, source, clock, sleep, signal } = rt;
  const { random, fs, log, backoff, dir, startupDeadline, stopped } = await startLoop(rt);
  let current: Svid | undefined;
  let bundleInstalled = false;
  let failures = 0;
  let lastError: string | undefined;

  const status = (state: SidecarState): SidecarStatus => ({
    state,
    source: config.source,
    spiffeId: config.spiffeId,
    ...(current && {
      serialNumber: current.serialNumber,
      notBefore: current.notBefore.toISOString(),
      notAfter: current.notAfter.toISOString(),
      origin: current.origin,
      ...(source.kind === "privateCa" && { renewAt: source.nextCheck(current, clock()).toISOString() }),
    }),
    ...(lastError !== undefined && { lastError }),
    updatedAt: clock().toISOString(),
  });

  log("info", "identity sidecar starting", { source: config.source, spiffeId: config.spiffeId, dir });
  await writeStatus(dir, status("starting"), fs);

  for (;;) {
    if (signal?.aborted) return stopped();
    const now = clock().getTime();
    if (current && now >= current.notAfter.getTime()) {
      await writeStatus(dir, status("expired"), fs);
      log("error", "certificate expired without renewal; exiting so the task is replaced", {
        notAfter: current.notAfter.toISOString(),
        lastError,
      });
      return 1;
    }
    if (!current && now >= startupDeadline) {
      await writeStatus(dir, status("failed"), fs);
      log("error", "no certificate could be installed before the startup deadline; exiting", { lastError });
      return 1;
    }

    let wakeAt: number;
    try {
      const next = await source.fetch(current);
      if (signal?.aborted) return stopped();
      if (next) {
        await installKeyAndChain(dir, next, fs);
        if (!bundleInstalled) {
          await installBundleAndSds(dir, config.trustBundlePem, fs);
          bundleInstalled = true;
        }
        current = next;
        log("info", "installed X.509-SVID", {
          serialNumber: next.serialNumber,
          notBefore: next.notBefore.toISOString(),
          notAfter: next.notAfter.toISOString(),
          origin: next.origin,
        });
      }
      const hadError = lastError !== undefined;
      lastError = undefined;
      if (next || hadError) await writeStatus(dir, status("ready"), fs);
      failures = 0; // only once everything, status included, went through: otherwise keep backing off
      wakeAt = source.nextCheck(current!, clock()).getTime();
    } catch (err) {
      if (signal?.aborted) return stopped();
      failures += 1;
      lastError = errorText(err);
      const delay = backoffDelay(failures, random, backoff);
      log(current ? "warn" : "error", "identity refresh failed; retrying", { failures, retryInMs: delay, error: lastError });
      await writeStatus(dir, status(current ? "ready" : "starting"), fs).catch(() => undefined);
      wakeAt = clock().getTime() + delay;
    }

    // Never sleep past the moment that needs a decision: expiry of the installed certificate, or
    // the startup deadline while nothing is installed.
    const limit = current ? current.notAfter.getTime() : startupDeadline;
    await sleep(Math.max(0, Math.min(wakeAt, limit) - clock().getTime()), signal);
  }
}
