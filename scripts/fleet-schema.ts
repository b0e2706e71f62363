/**
 * Writes `help/fleet.schema.json`, the JSON Schema of the fleet file, from the zod schema
 * `fleetSchema` (config/schema.ts), the single source of truth.
 *
 *   npm run schema                         # (re)write help/fleet.schema.json
 *   npx tsx scripts/fleet-schema.ts --check  # exit 1 when the file on disk is stale (CI)
 *
 * Target: JSON Schema draft-07. VS Code's YAML extension (yaml-language-server) validates and
 * completes with draft-07; its support for 2019-09 / 2020-12 was merged once and reverted.
 *
 * What is added on top of zod's `z.toJSONSchema`:
 * - `$id`, `title` and a `description` that points at help/fleet-file.md;
 * - a union of number literals (Fargate CPU units, log retention days) becomes one `enum`, which
 *   editors offer as a completion list;
 * - an http(s)-only URL gets a `pattern` for its scheme (zod's `protocol` check has no JSON Schema
 *   keyword of its own);
 * - `default`, where a description's `@default ...` marker names a literal value the field accepts
 *   (a number, an enum value or a single word), so editors complete it; prose defaults ("the task
 *   role") and empty maps (`{}`, which editors would insert literally) stay in the description.
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { PROJECT_ROOT } from "../config/project-root";
import { fleetSchema } from "../config/schema";

/** Where the published JSON Schema lives (examples/fleet.yaml refers to it). */
export const FLEET_SCHEMA_FILE = path.join(PROJECT_ROOT, "help", "fleet.schema.json");

/** Stable identifier of the fleet file contract, version 1 (`version: 1` in the fleet file). */
export const FLEET_SCHEMA_ID = "urn:farcar:fleet-file:v1";

type JsonSchema = Record<string, unknown>;

/** The JSON Schema (draft-07) of the fleet file, as written to help/fleet.schema.json. */
export function fleetJsonSchema(): JsonSchema {
  const generated = z.toJSONSchema(fleetSchema, {
    target: "draft-07",
    io: "input",
    unrepresentable: "throw",
    override: ({ zodSchema, jsonSchema }) => {
      const json = jsonSchema as JsonSchema;
      collapseLiteralUnion(json);
      addUrlSchemePattern(zodSchema, json);
      addDefault(zodSchema, json);
    },
  }) as JsonSchema;
  const { $schema, description, ...rest } = generated;
  return {
    $schema,
    $id: FLEET_SCHEMA_ID,
    title: description ?? "Farcar fleet file",
    description:
      "The Farcar fleet file: one YAML file that describes the proxy accounts, networks, Farcars and " +
      "allowed callers connecting acquired companies to the parent's Envoy mTLS mesh. Every field is " +
      "documented in help/fleet-file.md. Generated from config/schema.ts by `npm run schema`; do not edit.",
    ...rest,
  };
}

/** The file's exact text: two-space JSON and a final newline. */
export function renderFleetJsonSchema(): string {
  return `${JSON.stringify(fleetJsonSchema(), null, 2)}\n`;
}

/** `anyOf: [{type: number, const: 256}, …]` → `{type: integer, enum: [256, …]}`. */
function collapseLiteralUnion(json: JsonSchema): void {
  const options = json.anyOf;
  if (!Array.isArray(options) || options.length === 0) return;
  const consts = options.map((o: JsonSchema) => (Object.keys(o).every((k) => k === "type" || k === "const") ? o.const : undefined));
  if (!consts.every((c) => typeof c === "number")) return;
  delete json.anyOf;
  json.type = (consts as number[]).every(Number.isInteger) ? "integer" : "number";
  json.enum = consts;
}

/** `z.url({ protocol: /^https?$/ })` → `pattern: ^[Hh][Tt][Tt][Pp][Ss]?://` (URL schemes are case-insensitive). */
function addUrlSchemePattern(zodSchema: unknown, json: JsonSchema): void {
  const def = (zodSchema as { _zod?: { def?: { format?: string; protocol?: unknown } } })._zod?.def;
  if (def?.format !== "url" || !(def.protocol instanceof RegExp) || json.pattern) return;
  const scheme = def.protocol.source.replace(/^\^/, "").replace(/\$$/, "");
  if (!/^[A-Za-z?]+$/.test(scheme)) return; // only simple schemes such as https? are translated
  const caseless = scheme.replace(/[A-Za-z]/g, (c) => `[${c.toUpperCase()}${c.toLowerCase()}]`);
  json.pattern = `^${caseless}://`;
}

/** Sets `default` when the `@default` marker of the description is a value the field accepts. */
function addDefault(zodSchema: unknown, json: JsonSchema): void {
  const description = typeof json.description === "string" ? json.description : undefined;
  const marker = description?.match(/@default\s+(.+)$/)?.[1].trim();
  if (marker === undefined || "default" in json) return;
  const value = literalDefault(marker, json);
  if (value === undefined) return;
  // The field's own zod schema must accept the value, or it is prose, not a default.
  if ((zodSchema as z.ZodType).safeParse(value).success) json.default = value;
}

function literalDefault(marker: string, json: JsonSchema): unknown {
  if (json.type === "integer" || json.type === "number") return /^-?\d+(\.\d+)?$/.test(marker) ? Number(marker) : undefined;
  if (Array.isArray(json.enum)) return json.enum.includes(marker) ? marker : undefined;
  if (json.type === "string") return /^[^\s<>[\]]+$/.test(marker) ? marker : undefined;
  return undefined;
}

function main(argv: readonly string[]): number {
  const expected = renderFleetJsonSchema();
  const shown = path.relative(process.cwd(), FLEET_SCHEMA_FILE);
  if (argv.includes("--check")) {
    let onDisk: string | undefined;
    try {
      onDisk = readFileSync(FLEET_SCHEMA_FILE, "utf8");
    } catch {
      onDisk = undefined;
    }
    if (onDisk === expected) {
      process.stdout.write(`${shown} is up to date\n`);
      return 0;
    }
    process.stderr.write(
      `${shown} is ${onDisk === undefined ? "missing" : "stale"}: config/schema.ts changed. Run \`npm run schema\` and commit the result.\n`,
    );
    return 1;
  }
  writeFileSync(FLEET_SCHEMA_FILE, expected);
  process.stdout.write(`wrote ${shown}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
