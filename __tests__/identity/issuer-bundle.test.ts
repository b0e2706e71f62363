/**
 * The issuer's Lambda code as deployed: the esbuild bundle (issuer/bundle.ts) loads in a plain
 * Node.js process without node_modules and exports the handler Lambda calls (`index.handler`).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, copyFileSync, statSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { issuerBundleDir } from "../../issuer/bundle";

describe("issuer bundle", () => {
  it("is one self-contained index.js whose handler refuses to run misconfigured, naming every problem", () => {
    const dir = issuerBundleDir();
    expect(readdirSync(dir)).toEqual(["index.js"]);
    // Run it from an empty directory, as Lambda would: no node_modules to fall back on.
    const isolated = mkdtempSync(path.join(tmpdir(), "farcar-issuer-run-"));
    try {
      copyFileSync(path.join(dir, "index.js"), path.join(isolated, "index.js"));
      const script = `
        const { handler } = require("./index.js");
        handler({ csrPem: "x" }, { invokedFunctionArn: "arn:aws:lambda:us-east-1:222222222222:function:f:farcar-x", functionName: "f", awsRequestId: "r" })
          .then(() => console.log("resolved"), (err) => console.log("rejected: " + err.message));`;
      const out = execFileSync(process.execPath, ["-e", script], { cwd: isolated, env: { PATH: process.env.PATH ?? "" }, encoding: "utf8" });
      expect(out).toMatch(/^rejected: issuer misconfigured: FARCAR_ISSUER_CA_ARN='' is not an AWS Private CA ARN; FARCAR_ISSUER_TEMPLATE_ARN='' must be/);
      expect(out).toMatch(/FARCAR_ISSUER_SPIFFE_ID_TEMPLATE='' must be a spiffe:\/\/ template/);
    } finally {
      rmSync(isolated, { recursive: true, force: true });
    }
  });

  it("is the same directory for the same code (stable asset hash)", () => {
    expect(issuerBundleDir()).toBe(issuerBundleDir());
    expect(path.basename(issuerBundleDir())).toMatch(/^farcar-issuer-[0-9a-f]{16}$/);
  });

  it("reuses the index.js another process wrote, never rewriting it under a concurrent synth's feet", () => {
    // GIVEN the bundle written by an earlier process (backdated, so a rewrite would show)
    const file = path.join(issuerBundleDir(), "index.js");
    utimesSync(file, new Date(2020, 0, 1), new Date(2020, 0, 1));
    const before = statSync(file);
    // WHEN a fresh process (a new module instance) builds the bundle again
    let dir = "";
    jest.isolateModules(() => {
      dir = (require("../../issuer/bundle") as typeof import("../../issuer/bundle")).issuerBundleDir(); // eslint-disable-line @typescript-eslint/no-require-imports
    });
    // THEN the same file stays, untouched, and nothing else appears beside it
    expect(path.join(dir, "index.js")).toBe(file);
    expect(statSync(file).mtimeMs).toBe(before.mtimeMs);
    expect(readdirSync(dir)).toEqual(["index.js"]);
  });
});
