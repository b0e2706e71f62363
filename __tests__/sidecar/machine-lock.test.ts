/**
 * The machine-wide lock bundle.test.ts takes around the sidecar's fixed loopback port: holders
 * never overlap, and a lock left by a dead process does not block the next run.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { withMachineLock } from "../support/machine-lock";

const NAME = `test-${process.pid}`;
afterAll(() => rmSync(path.join(tmpdir(), `farcar-lock-${NAME}-live`), { recursive: true, force: true }));

describe("withMachineLock", () => {
  test("two holders of the same lock never overlap", async () => {
    const events: string[] = [];
    const hold = (who: string) =>
      withMachineLock(NAME, async () => {
        events.push(`${who} in`);
        await new Promise((r) => setTimeout(r, 150));
        events.push(`${who} out`);
      });
    await Promise.all([hold("a"), hold("b")]);
    expect(events.map((e) => e.split(" ")[1])).toEqual(["in", "out", "in", "out"]);
    expect(events[0][0]).toBe(events[1][0]);
  });

  test("takes over a lock whose holder died", async () => {
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
    const dir = path.join(tmpdir(), `farcar-lock-${NAME}-stale`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "pid"), dead);
    await expect(withMachineLock(`${NAME}-stale`, async () => "ran", 5_000)).resolves.toBe("ran");
  });

  test("gives up with a clear message when a live holder keeps it", async () => {
    const dir = path.join(tmpdir(), `farcar-lock-${NAME}-live`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "pid"), String(process.pid));
    await expect(withMachineLock(`${NAME}-live`, async () => "ran", 300)).rejects.toThrow(`still held by PID ${process.pid}`);
  });
});
