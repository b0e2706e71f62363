/**
 * issuer/bundle.ts reuses the bundle an earlier process built while no file that went into it
 * changed (the record next to it in the temporary directory), and builds again when one did.
 */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { issuerBuildRecord } from "../../issuer/bundle";

/** issuerBundleDir of a fresh copy of the module, as a new process would load it. */
function freshIssuerBundleDir(): string {
  let dir = "";
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    dir = (require("../../issuer/bundle") as typeof import("../../issuer/bundle")).issuerBundleDir();
  });
  return dir;
}

const written = (dir: string) => statSync(path.join(dir, "index.js")).mtimeMs;

describe("issuer bundle across processes", () => {
  it("is reused while its inputs are unchanged, and built again when one changed", () => {
    const first = freshIssuerBundleDir();
    const at = written(first);
    expect(freshIssuerBundleDir()).toBe(first);
    expect(written(first)).toBe(at); // not built (written) again

    // An input's recorded size:mtime no longer matches the file: as if it had changed since.
    // This checkout's record (other checkouts on the machine have their own, for the same directory).
    const record = issuerBuildRecord();
    expect(JSON.parse(readFileSync(record, "utf8")).dir).toBe(first);
    const data = JSON.parse(readFileSync(record, "utf8")) as { dir: string; inputs: Record<string, string> };
    const handler = Object.keys(data.inputs).find((f) => f.endsWith(path.join("issuer", "handler.ts")))!;
    writeFileSync(record, JSON.stringify({ ...data, inputs: { ...data.inputs, [handler]: "0:0" } }));
    expect(freshIssuerBundleDir()).toBe(first); // same code, so the same directory
    // Built again: the record holds the handler's real size:mtime again.
    expect(JSON.parse(readFileSync(record, "utf8")).inputs[handler]).toBe(data.inputs[handler]);
  });
});
