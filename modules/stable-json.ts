/**
 * The bytes cdktf writes to a stack's `cdk.tf.json` — `stringify(json, { space: 2 })` of
 * json-stable-stringify 1.3.0 (cdktf 0.21.0 `lib/synthesize/synthesizer.js`) — produced without
 * building them the way that library does (issue 14).
 *
 * json-stable-stringify renders every object and array as a string of its own and joins them into
 * the string of its parent, so a stack's text is copied once per level of nesting (6 to 10 levels
 * in a stack) and the whole text exists as one string before `writeFileSync` copies it again into
 * UTF-8. For a 17,000-resource stack (23 MB of text) that was some 200 MB of garbage at the very
 * moment every stack's resolved JSON was live: the peak of the synth's memory.
 * This renders into UTF-8 chunks of 64 KiB as it goes (off the JavaScript heap), once.
 *
 * Same output, rule for rule (json-stable-stringify/index.js, `stableStringify`):
 * - a value with a `toJSON` method is replaced by what it returns, once (not again on the result);
 * - object keys sorted by the default `Array.prototype.sort` order; a key whose value renders to
 *   nothing (undefined, a function, a symbol) is left out; in an array such a value is `null`;
 * - scalars as `JSON.stringify` renders them (which also throws on a BigInt);
 * - two spaces per level; an empty object or array still breaks its line: `{\n<indent>}`;
 * - an object that contains itself throws the same TypeError (arrays are not tracked, as there).
 * Guard: __tests__/stacks/stable-json.test.ts compares it with json-stable-stringify.
 */

const CHUNK_CHARS = 1 << 16;

/** Strings are gathered here and encoded to UTF-8 a chunk at a time. */
class Utf8Chunks {
  private readonly chunks: Buffer[] = [];
  private pending = "";

  public add(s: string): void {
    this.pending += s;
    if (this.pending.length >= CHUNK_CHARS) this.flush();
  }

  public bytes(): Buffer {
    this.flush();
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
  }

  private flush(): void {
    if (!this.pending) return;
    this.chunks.push(Buffer.from(this.pending, "utf8"));
    this.pending = "";
  }
}

/** `value` with its `toJSON` applied, as json-stable-stringify does before rendering it. */
function jsonValue(value: unknown): unknown {
  if (value && typeof (value as { toJSON?: unknown }).toJSON === "function") return (value as { toJSON: () => unknown }).toJSON();
  return value;
}

/** Whether a value (after `toJSON`) renders to anything: `JSON.stringify` gives undefined for these. */
function rendersNothing(value: unknown): boolean {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}

/**
 * The UTF-8 bytes of `json-stable-stringify(value, { space: 2 })`; throws where it throws.
 * Nothing when `value` renders to nothing (json-stable-stringify returns undefined then).
 */
export function stableJsonBytes(value: unknown): Buffer | undefined {
  const root = jsonValue(value);
  if (rendersNothing(root)) return undefined;
  const out = new Utf8Chunks();
  const indents: string[] = [];
  const indent = (level: number) => (indents[level] ??= `\n${"  ".repeat(level)}`);
  const ancestors: object[] = [];

  /** Renders `node` (its `toJSON` already applied, and known to render to something). */
  const render = (node: unknown, level: number): void => {
    if (typeof node !== "object" || node === null) {
      out.add(JSON.stringify(node));
      return;
    }
    const inner = indent(level + 1);
    if (Array.isArray(node)) {
      out.add("[");
      for (let i = 0; i < node.length; i++) {
        out.add(i === 0 ? inner : `,${inner}`);
        const item = jsonValue(node[i]);
        if (rendersNothing(item)) out.add("null");
        else render(item, level + 1);
      }
      out.add(`${indent(level)}]`);
      return;
    }
    if (ancestors.includes(node)) throw new TypeError("Converting circular structure to JSON");
    ancestors.push(node);
    out.add("{");
    let first = true;
    for (const key of Object.keys(node).sort()) {
      const item = jsonValue((node as Record<string, unknown>)[key]);
      if (rendersNothing(item)) continue;
      out.add(`${first ? "" : ","}${inner}${JSON.stringify(key)}: `);
      first = false;
      render(item, level + 1);
    }
    ancestors.pop();
    out.add(`${indent(level)}}`);
  };

  render(root, 0);
  return out.bytes();
}
