/** Running `farcar` (and other commands) in tests: in-process (output captured) or as a user does (the bin shim). */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { run } from "../../cli/main";

export const ROOT = path.resolve(__dirname, "../..");

/** A temporary directory holding the example PEM bundles (mesh/, afterpay/) and the given fleet files. */
export function workdir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), "farcar-cli-"));
  cpSync(path.join(ROOT, "examples/mesh"), path.join(dir, "mesh"), { recursive: true });
  cpSync(path.join(ROOT, "examples/afterpay"), path.join(dir, "afterpay"), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

export interface Ran {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `farcar …argv` in this process with cwd `cwd`; stdout and stderr captured. */
export function farcar(argv: string[], cwd = ROOT, env: Record<string, string | undefined> = {}): Promise<Ran> {
  return inProcess(() => run(argv), cwd, env);
}

/**
 * A command's entry function (returning its exit status) in this process, as if started in `cwd`
 * with `env` added (undefined: unset); stdout and stderr captured, process state restored after.
 */
export async function inProcess(main: () => Promise<number>, cwd = ROOT, env: Record<string, string | undefined> = {}): Promise<Ran> {
  const out: string[] = [];
  const err: string[] = [];
  const so = jest.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  const se = jest.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
  const saved = { ...process.env };
  const prevCwd = process.cwd();
  const prevExit = process.exitCode;
  process.exitCode = undefined;
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  process.chdir(cwd);
  try {
    const status = await main();
    return { status, stdout: out.join(""), stderr: err.join("") };
  } finally {
    process.chdir(prevCwd);
    process.env = saved;
    process.exitCode = prevExit;
    so.mockRestore();
    se.mockRestore();
  }
}

/** The bin shim as `npx farcar` runs it (a child process, no TTY), node started with `nodeArgs`. */
export function farcarBin(argv: string[], cwd = ROOT, env: Record<string, string> = {}, nodeArgs: string[] = []): Ran {
  const r = spawnSync(process.execPath, [...nodeArgs, path.join(ROOT, "cli/farcar.js"), ...argv], {
    cwd,
    env: { ...process.env, FARCAR_CONFIG: "", ...env },
    encoding: "utf8",
    timeout: 120_000, // a hung command fails its test (status -1) instead of blocking the worker
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
