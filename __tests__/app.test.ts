/**
 * The cdktf app as `npx cdktf synth` starts it (cdktf.json "app": node scripts/app.cjs): main.ts
 * precompiled by esbuild. It must synthesize exactly what the in-process synth does, and keep
 * main.ts's error contract (__tests__/cli.test.ts runs the contract through this app).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { synthFleetFile } from "./support/synth";

const ROOT = path.resolve(__dirname, "..");

function runApp(env: Record<string, string>) {
  const outdir = path.join(mkdtempSync(path.join(tmpdir(), "farcar-app-")), "out");
  const r = spawnSync(process.execPath, [path.join(ROOT, "scripts/app.cjs")], {
    cwd: ROOT,
    env: { ...process.env, ...env, CDKTF_OUTDIR: outdir },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { ...r, outdir };
}

describe("scripts/app.cjs (cdktf.json app)", () => {
  test("is what cdktf.json runs", () => {
    expect(JSON.parse(readFileSync(path.join(ROOT, "cdktf.json"), "utf8")).app).toBe("node scripts/app.cjs");
  });

  test("synthesizes the example fleet byte-identically to the in-process synth", () => {
    const r = runApp({});
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const expected = synthFleetFile();
    expect(readdirSync(path.join(r.outdir, "stacks")).sort()).toEqual(expected.stackNames);
    for (const stack of expected.stackNames) {
      const file = (dir: string) => readFileSync(path.join(dir, "stacks", stack, "cdk.tf.json"), "utf8");
      expect({ stack, json: file(r.outdir) }).toEqual({ stack, json: file(expected.outdir) });
    }
  });

  // main.ts's error contract through this same app (located errors, exit 1, nothing written, no
  // stack trace, quota failures) is __tests__/cli.test.ts: it runs scripts/app.cjs too.
});
