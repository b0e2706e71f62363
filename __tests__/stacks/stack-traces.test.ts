/**
 * stacks/stack-traces.ts: cdktf's per-token stack traces are off for synth, and that changes
 * nothing in the synthesized Terraform.
 */
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { Lazy } from "cdktf";
import { disableTokenStackTraces, tokenStackTracesEnabled } from "../../stacks/stack-traces";
import { synthFleetFile } from "../support/synth";

type WithStack = { creationStack: string[] };

function stacksOf(outdir: string): Record<string, string> {
  const dir = path.join(outdir, "stacks");
  return Object.fromEntries(readdirSync(dir).map((s) => [s, readFileSync(path.join(dir, s, "cdk.tf.json"), "utf8")]));
}

describe("cdktf token stack traces", () => {
  test("are not recorded once disabled, and are again once restored", () => {
    const restore = disableTokenStackTraces({});
    expect(tokenStackTracesEnabled()).toBe(false);
    const lazy = Lazy.anyValue({ produce: () => "x" }) as unknown as WithStack;
    expect(lazy.creationStack).toEqual([]);
    restore();
    expect(tokenStackTracesEnabled()).toBe(true);
    expect((Lazy.anyValue({ produce: () => "x" }) as unknown as WithStack).creationStack.length).toBeGreaterThan(0);
    disableTokenStackTraces({}); // back to how the test support synthesizes
  });

  test("FARCAR_STACK_TRACES=1 keeps them", () => {
    const restore = disableTokenStackTraces({});
    restore();
    disableTokenStackTraces({ FARCAR_STACK_TRACES: "1" });
    expect(tokenStackTracesEnabled()).toBe(true);
    disableTokenStackTraces({});
  });

  test("the example fleet synthesizes byte-identically with and without them", () => {
    const without = stacksOf(synthFleetFile().outdir);
    const restore = disableTokenStackTraces({});
    restore();
    try {
      const withTraces = stacksOf(synthFleetFile().outdir);
      expect(Object.keys(without).sort()).toEqual(Object.keys(withTraces).sort());
      for (const stack of Object.keys(without)) expect({ stack, json: without[stack] }).toEqual({ stack, json: withTraces[stack] });
    } finally {
      disableTokenStackTraces({});
    }
  });
});
