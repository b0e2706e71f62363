/**
 * A lock shared by every process on this machine (every Jest worker, every checkout's test run):
 * for tests that must use a fixed, machine-wide resource such as a loopback port the product
 * hard-codes. An atomic `mkdir` in the temp directory is the lock; the holder's PID inside it lets
 * a later process take over the lock of one that died without releasing it.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Runs `fn` holding the machine-wide lock `name`; waits up to `waitMs` for it, then throws. */
export async function withMachineLock<T>(name: string, fn: () => Promise<T>, waitMs = 120_000): Promise<T> {
  const dir = path.join(tmpdir(), `farcar-lock-${name}`);
  const owner = path.join(dir, "pid");
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(owner, String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let holder = NaN;
      try {
        holder = Number(readFileSync(owner, "utf8"));
      } catch {
        // the holder is between mkdir and writing its PID: wait
      }
      if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`machine lock ${dir} still held by PID ${holder} after ${waitMs} ms`);
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
