/**
 * The directory of Farcar's own package.json: where its data files are (config/prices.json,
 * help/fleet.schema.json, issuer/handler.ts). Found from this module's directory upwards, so it is
 * the same whether the code runs as TypeScript from its own directory (tsx, Jest) or compiled into
 * a bundle under dist/ (scripts/compiled.cjs: `npx farcar`, `npx cdktf synth`, `npm run verify`),
 * where `__dirname` is the bundle's directory, not the source file's.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

function find(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "farcar") return dir;
      } catch {
        // not ours: keep looking
      }
    }
    if (path.dirname(dir) === dir) throw new Error(`Farcar's package.json not found above ${__dirname}`);
  }
}

export const PROJECT_ROOT = find();
