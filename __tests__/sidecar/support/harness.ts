/** Shared fixtures for sidecar tests: temp dirs, a fake clock/sleep, and an observing filesystem. */
import { existsSync, mkdtempSync, promises as fs, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseSidecarEnv, SidecarConfigError } from "../../../envoy/sidecar/env";
import type { FsOps } from "../../../envoy/sidecar/files";
import { nodeFsOps, TEMP_PREFIX } from "../../../envoy/sidecar/files";

export const SPIFFE_X = "spiffe://block.example/acquisition/afterpay/staging/checkout";
export const SPIFFE_Y = "spiffe://block.example/acquisition/afterpay/staging/billing";
export const CA_ARN_X = "arn:aws:acm-pca:us-east-1:222222222222:certificate-authority/11111111-2222-3333-4444-555555555555";
/** Farcar checkout's alias of its environment's SVID issuer (FARCAR_ISSUER_ARN). */
export const ISSUER_ARN_X = "arn:aws:lambda:us-east-1:222222222222:function:farcar-afterpay-staging-issuer:farcar-checkout";
export const SECRET_ARN_X = "arn:aws:secretsmanager:us-east-1:222222222222:secret:farcar/checkout/svid-AbCdEf";
export const T0 = Date.parse("2030-01-01T00:00:00Z");
export const HOUR = 3_600_000;

/** The problems parseSidecarEnv reports for `env` (which it must reject, with SidecarConfigError). */
export function envProblems(env: Record<string, string | undefined>): string[] {
  try {
    parseSidecarEnv(env);
  } catch (err) {
    expect(err).toBeInstanceOf(SidecarConfigError);
    return (err as SidecarConfigError).problems;
  }
  throw new Error("expected the environment to be rejected");
}

export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), "farcar-sidecar-"));
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A manual clock; `sleep` advances it instantly and records every requested delay. */
export class FakeTime {
  now = T0;
  readonly sleeps: number[] = [];
  readonly clock = (): Date => new Date(this.now);
  readonly sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.now += ms;
  };
}

export interface RenameRecord {
  file: string;
  /** Content of the temp file at the moment it was renamed into place. */
  content: string;
  mode: number;
  /** Content of the target just before the rename (undefined when it did not exist). */
  previous?: string;
}

/**
 * Wraps the real filesystem: records every rename into the identity dir with the temp file's
 * content and mode at that instant, and fails the test if a target file is ever opened for writing
 * directly (i.e. not through a temp file).
 */
export function observingFs(dir: string): { fs: FsOps; renames: RenameRecord[]; directWrites: string[] } {
  const renames: RenameRecord[] = [];
  const directWrites: string[] = [];
  const fsOps: FsOps = {
    open: (async (file: string, flags?: number | string, mode?: number) => {
      const name = path.basename(String(file));
      if (String(file) !== dir && !name.startsWith(TEMP_PREFIX) && flags !== undefined && flags !== "r" && flags !== 0) {
        directWrites.push(name);
      }
      return nodeFsOps.open(file, flags, mode);
    }) as FsOps["open"],
    rename: async (from, to) => {
      const target = String(to);
      const stat = await fs.stat(from);
      renames.push({
        file: path.basename(target),
        content: await fs.readFile(from, "utf8"),
        mode: stat.mode & 0o777,
        previous: existsSync(target) ? readFileSync(target, "utf8") : undefined,
      });
      return nodeFsOps.rename(from, to);
    },
    unlink: nodeFsOps.unlink,
  };
  return { fs: fsOps, renames, directWrites };
}

export async function leftoverTempFiles(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((f) => f.startsWith(TEMP_PREFIX));
}

export const silentLog = (): void => undefined;
