/** For tests of commands that must run compiled JavaScript (scripts/compiled.cjs), not TypeScript through tsx. */
import { writeFileSync } from "node:fs";
import * as path from "node:path";

/**
 * Writes, into `dir`, a preload (`node -r <file>`) that makes resolving tsx throw, in the main
 * thread and in every worker thread (preloads run in both). Returns its path.
 */
export function noTsxPreload(dir: string): string {
  const file = path.join(dir, "no-tsx.cjs");
  writeFileSync(
    file,
    `const Module = require("node:module");
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === "tsx" || request.startsWith("tsx/")) throw new Error("tsx loaded in a compiled run: " + request);
  return resolve.call(this, request, ...rest);
};
`,
  );
  return file;
}
