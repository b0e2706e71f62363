/** Helpers for the module-export tests: read a generated module back, parse README tables. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { cpus } from "node:os";
import * as path from "node:path";

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Every file under `dir`, relative paths, sorted (skips .terraform and lock files). */
export function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === ".terraform" || entry === ".terraform.lock.hcl") continue;
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...listFiles(full, base));
    else out.push(path.relative(base, full));
  }
  return out.sort();
}

/** The merged Terraform JSON of a module directory (every *.tf.json at its top level). */
export function readModule(dir: string): { files: Record<string, Json>; merged: Json } {
  const files: Record<string, Json> = {};
  const merged: Json = {};
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".tf.json"))) {
    const json: Json = JSON.parse(readFileSync(path.join(dir, f), "utf8"));
    files[f] = json;
    for (const [k, v] of Object.entries(json)) {
      if (k === "//") continue;
      merged[k] = k in merged && typeof v === "object" ? { ...merged[k], ...v } : v;
    }
  }
  return { files, merged };
}

/**
 * The rows of the first Markdown table after the heading `## <heading>`, as records keyed by the
 * header cells, with cell text unescaped (backticks of a code span removed).
 */
export function readTable(markdown: string, heading: string): Record<string, string>[] {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => l.trim() === `## ${heading}`);
  if (start < 0) throw new Error(`no "## ${heading}" section`);
  let i = start + 1;
  while (i < lines.length && !lines[i].startsWith("|")) {
    if (lines[i].startsWith("## ")) throw new Error(`"## ${heading}" has no table`);
    i++;
  }
  const rows: string[][] = [];
  for (; i < lines.length && lines[i].startsWith("|"); i++) rows.push(splitRow(lines[i]));
  const [header, separator, ...body] = rows;
  if (!separator?.every((c) => /^:?-{3,}:?$/.test(c))) throw new Error(`"## ${heading}": second row is not a separator`);
  return body.map((cells) => {
    if (cells.length !== header.length) throw new Error(`"## ${heading}": row has ${cells.length} cells, header ${header.length}`);
    return Object.fromEntries(header.map((h, j) => [h, unescapeCell(cells[j])]));
  });
}

function splitRow(line: string): string[] {
  const cells: string[] = [];
  let current = "";
  for (let i = 1; i < line.length; i++) {
    const c = line[i];
    if (c === "\\" && i + 1 < line.length) {
      current += c + line[i + 1];
      i++;
    } else if (c === "|") {
      cells.push(current.trim());
      current = "";
    } else current += c;
  }
  return cells;
}

function unescapeCell(cell: string): string {
  const codeSpan = /^`(.*)`$/.exec(cell);
  if (codeSpan) return codeSpan[1].replace(/\\\|/g, "|");
  return cell
    .replace(/<br>/g, "\n")
    .replace(/\\([\\|])/g, "$1")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** `f` over `items`, at most `limit` at a time, results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await f(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Terraform processes to run at once: they are CPU-bound (hashing the provider), so ~one per core. */
export const TERRAFORM_CONCURRENCY = Math.max(2, Math.min(4, cpus().length));
