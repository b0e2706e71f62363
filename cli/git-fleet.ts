/**
 * A fleet file as it was at a git revision, for `farcar diff --rev`: the directory holding the
 * fleet file is extracted at that revision (`git archive`) into a temporary directory, so the
 * PEM bundles it names are the revision's too. Files it names outside that directory are not
 * extracted (the fleet then reports them as missing, with their line).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { FleetError } from "../config/errors";
import type { Fleet } from "../config/fleet";
import { loadFleet } from "../config/load";

export function loadFleetAtRevision(file: string, rev: string): { fleet: Fleet; name: string } {
  const abs = path.resolve(file);
  const git = (args: string[], cwd: string) => execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  let top: string;
  try {
    top = git(["rev-parse", "--show-toplevel"], path.dirname(abs)).trim();
    git(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], top);
  } catch {
    throw new FleetError([{ file, path: "", message: `--rev ${rev}: not a git revision of the repository holding this file` }]);
  }
  const rel = path.relative(top, abs).split(path.sep).join("/");
  const dir = path.posix.dirname(rel);
  try {
    git(["cat-file", "-e", `${rev}:${rel}`], top);
  } catch {
    throw new FleetError([{ file: `${rev}:${rel}`, path: "", message: `the fleet file does not exist at ${rev}; nothing to compare against` }]);
  }
  const tmp = mkdtempSync(path.join(tmpdir(), "farcar-rev-"));
  try {
    const tar = execFileSync("git", ["archive", "--format=tar", rev, "--", dir === "." ? "." : dir], { cwd: top, maxBuffer: 256 * 1024 * 1024 });
    execFileSync("tar", ["-x", "-C", tmp], { input: tar });
    const fleet = loadFleetNamed(path.join(tmp, rel), `${rev}:${rel}`);
    return { fleet, name: `${rev}:${rel}` };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** loadFleet, with problems reported under `name` instead of the temporary path. */
function loadFleetNamed(file: string, name: string): Fleet {
  try {
    return loadFleet(file);
  } catch (err) {
    if (err instanceof FleetError) {
      const shown = path.relative(process.cwd(), file);
      throw new FleetError(err.problems.map((p) => ({ ...p, file: p.file === shown || p.file === file ? name : p.file })));
    }
    throw err;
  }
}
