/**
 * The type check of the whole project (`tsc --noEmit`, tsconfig.json): Jest runs TypeScript
 * through swc, which strips types without checking them, so this is the one place types are
 * checked in `npm test`. Run as a test file rather than before Jest (`tsc && jest`), it overlaps
 * the other files on the second core instead of delaying all of them (~6 s; issue 14).
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";

const ROOT = path.resolve(__dirname, "..");

test("the project type-checks (tsc --noEmit)", async () => {
  const tsc = require.resolve("typescript/bin/tsc");
  const result = await promisify(execFile)(process.execPath, [tsc, "--noEmit", "-p", path.join(ROOT, "tsconfig.json")], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }).then(
    () => ({ ok: true, output: "" }),
    (err: { stdout?: string; stderr?: string; message: string }) => ({ ok: false, output: `${err.stdout ?? ""}${err.stderr ?? ""}` || err.message }),
  );
  if (!result.ok) throw new Error(`tsc --noEmit found errors:\n${result.output}`);
}, 120_000);
