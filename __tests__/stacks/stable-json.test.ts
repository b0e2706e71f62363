/**
 * modules/stable-json.ts renders exactly the bytes cdktf's writer renders
 * (json-stable-stringify with two spaces, resolved from cdktf itself): the cases its rules name,
 * a few thousand random documents, and a stack of the example fleet.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App, Aspects } from "cdktf";
import { loadFleet } from "../../config/load";
import { stableJsonBytes } from "../../modules/stable-json";
import { buildFleet } from "../../stacks/fleet-app";
import { EXAMPLE_FLEET, synthFleetFile } from "../support/synth";

// The copy of json-stable-stringify cdktf's synthesizer requires.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cdktfStringify = require(require.resolve("json-stable-stringify", { paths: [path.dirname(require.resolve("cdktf"))] })) as (
  value: unknown,
  options: { space: number }
) => string | undefined;

const cdktf = (value: unknown) => cdktfStringify(value, { space: 2 });
const ours = (value: unknown) => stableJsonBytes(value)?.toString("utf8");

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ["a", "B", "b", "10", "9", "_", "é", "aws_lb", "aws_lb_listener", "//", "", "\u{1F600}", "z\u0000"];
const STRINGS = ["", "plain", 'quote " and \\', "line\nbreak\ttab", "ünïcødé", "\u{1F600}", "\ud800", "${aws_lb.x.arn}", "</script>"];

function document(next: () => number, depth: number): unknown {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)];
  const r = next();
  if (depth <= 0 || r < 0.35) {
    return pick<unknown>([0, -0, 1.5, -3, 1e21, 2 ** 53, NaN, Infinity, true, false, null, undefined, () => 1, Symbol("s"), ...STRINGS]);
  }
  if (r < 0.45) return new Date(Math.floor(next() * 2e12));
  if (r < 0.5) {
    const replaced = document(next, depth - 1); // drawn now: both renderers call toJSON
    return { toJSON: () => replaced };
  }
  const n = Math.floor(next() * 5);
  if (r < 0.7) return Array.from({ length: n }, () => document(next, depth - 1));
  return Object.fromEntries(Array.from({ length: n }, () => [pick(KEYS), document(next, depth - 1)]));
}

describe("stable JSON bytes (the cdk.tf.json writer)", () => {
  test("match json-stable-stringify on the cases its rules name", () => {
    const cases: unknown[] = [
      {},
      [],
      { a: {}, b: [], c: [{}, []] },
      { z: 1, a: 2, 10: 3, 9: 4, B: 5 },
      { gone: undefined, fn: () => 1, sym: Symbol("x"), kept: null },
      [undefined, () => 1, Symbol("x"), null, 0],
      { when: new Date(0), nested: { toJSON: () => ({ toJSON: () => "applied once", x: 1 }) } },
      { toJSON: () => [1, { b: 2, a: 1 }] },
      "top-level string",
      42,
      null,
      { s: STRINGS },
      { n: [NaN, -Infinity, -0, 1e-7, 123456789012345680000] },
      { boxed: new String("ab"), num: new Number(3) }, // eslint-disable-line no-new-wrappers
    ];
    for (const value of cases) expect({ value, bytes: ours(value) }).toEqual({ value, bytes: cdktf(value) });
  });

  test("render nothing where json-stable-stringify returns undefined", () => {
    for (const value of [undefined, () => 1, Symbol("x"), { toJSON: () => undefined }]) {
      expect(cdktf(value)).toBeUndefined();
      expect(stableJsonBytes(value)).toBeUndefined();
    }
  });

  test("throw where json-stable-stringify throws", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    expect(() => cdktf(cyclic)).toThrow(TypeError);
    expect(() => stableJsonBytes(cyclic)).toThrow(new TypeError("Converting circular structure to JSON"));
    expect(() => cdktf({ big: BigInt(1) })).toThrow(TypeError);
    expect(() => stableJsonBytes({ big: BigInt(1) })).toThrow(TypeError);
    // The same object twice, but not inside itself, is no cycle.
    const shared = { x: 1 };
    expect(ours({ a: shared, b: [shared, shared] })).toBe(cdktf({ a: shared, b: [shared, shared] }));
  });

  test("match json-stable-stringify on 3,000 random documents", () => {
    const next = random(14);
    for (let i = 0; i < 3000; i++) {
      const value = document(next, 6);
      const expected = cdktf(value);
      const actual = ours(value);
      if (actual !== expected) expect({ i, actual }).toEqual({ i, actual: expected });
    }
  });

  test("render a large document in more than one chunk, split inside multi-byte characters, the same", () => {
    const value = { items: Array.from({ length: 40_000 }, (_, i) => ({ name: `svc-${i}`, text: "é\u{1F600}".repeat(i % 7) })) };
    const bytes = stableJsonBytes(value)!;
    expect(bytes.length).toBeGreaterThan(1 << 20);
    expect(bytes.equals(Buffer.from(cdktf(value)!, "utf8"))).toBe(true);
  });

  test("the example fleet is written byte for byte as cdktf's own composition and writer write it", () => {
    const synth = (ownPath: boolean) => {
      const outdir = mkdtempSync(path.join(tmpdir(), "farcar-stable-json-"));
      const app = new App({ outdir });
      buildFleet(app, loadFleet(EXAMPLE_FLEET));
      // Any other Aspect makes the rules check resolve each stack again and leave the writing to
      // cdktf (deepMerge of fresh resolutions, json-stable-stringify): modules/rules/enforce.ts.
      if (ownPath) Aspects.of(app).add({ visit: () => undefined });
      app.synth();
      const stacks = path.join(outdir, "stacks");
      const files = Object.fromEntries(readdirSync(stacks).map((name) => [name, readFileSync(path.join(stacks, name, "cdk.tf.json"))]));
      rmSync(outdir, { recursive: true, force: true });
      return files;
    };
    const ours = synth(false);
    const cdktfs = synth(true);
    expect(Object.keys(ours).sort()).toEqual(Object.keys(cdktfs).sort());
    for (const name of Object.keys(ours)) expect({ name, same: ours[name].equals(cdktfs[name]) }).toEqual({ name, same: true });
  });

  test("every stack of the example fleet is written as json-stable-stringify renders it", () => {
    const synthesized = synthFleetFile();
    expect(synthesized.stackNames.length).toBeGreaterThan(5);
    for (const name of synthesized.stackNames) {
      const written = readFileSync(path.join(synthesized.dir(name), "cdk.tf.json"));
      const expected = Buffer.from(cdktf(JSON.parse(written.toString("utf8")))!, "utf8");
      expect({ name, ours: stableJsonBytes(JSON.parse(written.toString("utf8")))!.equals(expected), written: written.equals(expected) }).toEqual({ name, ours: true, written: true });
    }
  });
});
