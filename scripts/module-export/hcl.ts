/**
 * A small HCL writer for the hand-readable files of a module (examples/basic/main.tf and the
 * README's snippets): blocks, attributes, blank lines and comments, laid out the way
 * `terraform fmt` lays them out (two-space indent; the `=` of consecutive one-line attributes
 * aligned), so the output passes `terraform fmt -check`. Not a general HCL renderer.
 */

/** A raw HCL expression, written as is (e.g. `var.x`, `module.m.y`). */
export interface HclExpression {
  readonly expr: string;
}

export type HclValue = HclExpression | string | number | boolean | null | readonly HclValue[] | { readonly [key: string]: HclValue };

export type HclItem =
  | { readonly kind: "attribute"; readonly name: string; readonly value: HclValue; readonly multiline?: boolean }
  | HclBlock
  | { readonly kind: "blank" }
  | { readonly kind: "comment"; readonly text: string };

export interface HclBlock {
  readonly kind: "block";
  readonly type: string;
  readonly labels: readonly string[];
  readonly body: readonly HclItem[];
}

export const expr = (e: string): HclExpression => ({ expr: e });
export const attr = (name: string, value: HclValue): HclItem => ({ kind: "attribute", name, value });
/** An attribute whose object value is written one key per line. */
export const objectAttr = (name: string, value: { readonly [key: string]: HclValue }): HclItem => ({ kind: "attribute", name, value, multiline: true });
export const block = (type: string, labels: readonly string[], body: readonly HclItem[]): HclBlock => ({ kind: "block", type, labels, body });
export const blank: HclItem = { kind: "blank" };
export const comment = (text: string): HclItem => ({ kind: "comment", text });

function isExpression(v: HclValue): v is HclExpression {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as HclExpression).expr === "string";
}

/**
 * A string literal: quoted, with `\`, `"` and control characters escaped and template sequences
 * (`${`, `%{`) doubled so they stay literal text.
 */
export function literal(text: string): string {
  return `"${escapeQuoted(text).replace(/\$\{/g, "$${").replace(/%\{/g, "%%{")}"`;
}

/**
 * A Terraform JSON string (a template: `${…}` interpolates) as the same template in HCL. Template
 * sequences are kept; only quoting is added.
 */
export function template(jsonString: string): string {
  return `"${escapeQuoted(jsonString)}"`;
}

function escapeQuoted(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t");
}

/** Object keys that are identifiers are written bare, like `terraform fmt` leaves them. */
function key(k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? k : literal(k);
}

/**
 * A value on one line. Strings are written as templates (values here come from Terraform JSON, or
 * are meant as templates); wrap text in `expr(literal(...))` to keep `${` literal.
 */
export function inline(v: HclValue): string {
  if (v === null) return "null";
  if (typeof v === "string") return template(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (isExpression(v)) return v.expr;
  if (Array.isArray(v)) return `[${v.map(inline).join(", ")}]`;
  const entries = Object.entries(v as Record<string, HclValue>);
  return entries.length ? `{ ${entries.map(([k, x]) => `${key(k)} = ${inline(x)}`).join(", ")} }` : "{}";
}

function renderBlock(b: HclBlock, indent: string): string[] {
  const head = [b.type, ...b.labels.map((l) => literal(l))].join(" ");
  if (!b.body.length) return [`${indent}${head} {}`];
  return [`${indent}${head} {`, ...renderBody(b.body, `${indent}  `), `${indent}}`];
}

function renderBody(items: readonly HclItem[], indent: string): string[] {
  const lines: string[] = [];
  let i = 0;
  while (i < items.length) {
    const item = items[i];
    if (item.kind === "attribute" && item.multiline) {
      // Written over several lines; it takes no part in the alignment of its neighbours.
      const entries = Object.entries(item.value as Record<string, HclValue>).map(([k, v]) => attr(key(k), v));
      lines.push(`${indent}${item.name} = {`, ...renderBody(entries, `${indent}  `), `${indent}}`);
      i++;
      continue;
    }
    if (item.kind === "attribute") {
      // A run of consecutive one-line attributes shares one `=` column.
      const run: Array<{ name: string; value: string }> = [];
      while (i < items.length && items[i].kind === "attribute" && !(items[i] as { multiline?: boolean }).multiline) {
        const a = items[i] as { name: string; value: HclValue };
        run.push({ name: a.name, value: inline(a.value) });
        i++;
      }
      const width = Math.max(...run.map((a) => a.name.length));
      for (const a of run) lines.push(`${indent}${a.name.padEnd(width)} = ${a.value}`);
      continue;
    }
    if (item.kind === "block") lines.push(...renderBlock(item, indent));
    else if (item.kind === "blank") lines.push("");
    else lines.push(...item.text.split("\n").map((t) => `${indent}# ${t}`.trimEnd()));
    i++;
  }
  return lines;
}

/** Top-level items as file text, blocks separated as given, ending with a newline. */
export function renderHcl(items: readonly HclItem[]): string {
  return `${renderBody(items, "").join("\n")}\n`;
}
