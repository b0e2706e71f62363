/**
 * Jest's workers get 5 s, not 500 ms, to exit on their own once every file has run
 * (patches/jest-worker+29.7.0.patch; patches/README.md). A worker holding a large heap takes the
 * kernel ~100 ms per GB to free at exit, and Jest 29 killed any worker still alive 500 ms after it
 * was told to end, warning "A worker process has failed to exit gracefully" — on a loaded 2-core
 * machine, for workers that held no handle at all (issue 14).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Worker } from "jest-worker";

const work = mkdtempSync(path.join(tmpdir(), "farcar-worker-exit-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A worker module whose process stays alive `ms` after it is loaded, then exits by itself. */
function slowToExit(ms: number): string {
  const file = path.join(work, `slow-exit-${ms}.js`);
  writeFileSync(file, `setTimeout(() => {}, ${ms});\nexports.ping = () => process.pid;\n`);
  return file;
}

test("a worker still busy 1.5 s after it is told to end exits on its own, not force-exited", async () => {
  const pool = new Worker(slowToExit(1_500), { numWorkers: 1, exposedMethods: ["ping"] }) as Worker & { ping(): Promise<number> };
  expect(await pool.ping()).toEqual(expect.any(Number));
  const started = Date.now();
  const { forceExited } = await pool.end();
  expect(forceExited).toBe(false);
  // It did wait for the worker: the end came after the worker's own exit, not at once.
  expect(Date.now() - started).toBeGreaterThan(500);
});
