/**
 * patches/cdktf+0.21.0.patch makes cdktf's token resolution return plain strings, booleans and
 * null as they are, without the resolution context and regexes. These are the cases where a
 * string is NOT plain, or where resolution must still fail, each as cdktf 0.21.0 resolves it.
 */
import { Fn, Lazy, TerraformStack, Testing, Token, Tokenization, DefaultTokenResolver, StringConcat } from "cdktf";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";

const stack = new TerraformStack(Testing.app(), "resolve");
const resolve = (obj: unknown) => Tokenization.resolve(obj, { scope: stack, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) });

describe("cdktf token resolution (patched fast path)", () => {
  test("keeps plain values and keys, drops undefined", () => {
    const input = { name: "svc-0001", on: true, off: false, none: null, gone: undefined, list: ["a", true, null, "${var.x}"], "a1e-b": "1e5x" };
    expect(resolve(input)).toEqual({ name: "svc-0001", on: true, off: false, none: null, list: ["a", true, null, "${var.x}"], "a1e-b": "1e5x" });
  });

  test("resolves tokens in values, list elements and keys", () => {
    const id = Lazy.stringValue({ produce: () => "api-1" });
    expect(resolve({ [`key-${id}`]: `arn:${id}/*`, list: [id, "plain"] })).toEqual({ "key-api-1": "arn:api-1/*", list: ["api-1", "plain"] });
  });

  test("resolves a number token inside a string", () => {
    const port = Token.asNumber(Lazy.numberValue({ produce: () => 8443 }));
    expect(resolve({ url: `http://nlb:${port}/x` })).toEqual({ url: "http://nlb:8443/x" });
  });

  test("still refuses a map token placeholder as a scalar string", () => {
    expect(() => resolve({ v: Token.STRING_MAP_TOKEN_VALUE })).toThrow();
    expect(() => resolve({ v: Token.ANY_MAP_TOKEN_VALUE })).toThrow();
  });

  test("resolves number tokens as values, list elements and map values, and keeps plain numbers", () => {
    const n = Token.asNumber(Lazy.numberValue({ produce: () => 443 }));
    expect(resolve({ port: n, ports: [n, 80, 0, -1.5], nested: { p: n, q: 1e21 } })).toEqual({ port: 443, ports: [443, 80, 0, -1.5], nested: { p: 443, q: 1e21 } });
    expect(() => resolve({ v: Token.NUMBER_MAP_TOKEN_VALUE })).toThrow();
  });

  test("resolves a map token used as an object", () => {
    const tags = Token.asStringMap(Lazy.anyValue({ produce: () => ({ team: "mesh" }) }));
    expect(resolve({ tags })).toEqual({ tags: { team: "mesh" } });
  });

  test("renders references inside plain objects and lists of a function call without their own braces", () => {
    const app = Testing.app();
    const s = new TerraformStack(app, "fn");
    const topic = new SnsTopic(s, "t", { name: "n" });
    const inStack = (obj: unknown) => Tokenization.resolve(obj, { scope: s, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) });
    expect(inStack({ doc: Fn.jsonencode({ Statement: [{ Resource: [topic.arn, "x"], Nested: { Id: topic.id } }] }) })).toEqual({
      doc: '${jsonencode({"Statement" = [{"Resource" = [aws_sns_topic.t.arn, "x"], "Nested" = {"Id" = aws_sns_topic.t.id}}]})}',
    });
    expect(inStack({ joined: Fn.join(",", [topic.arn, `${topic.name}-x`]) })).toEqual({ joined: '${join(",", [aws_sns_topic.t.arn, "${aws_sns_topic.t.name}-x"])}' });
  });

  test("still stops at 200 levels of nesting, whatever the leaf", () => {
    for (const leaf of ["plain", true, null]) {
      let deep: unknown = leaf;
      for (let i = 0; i < 201; i++) deep = { k: deep };
      expect(() => resolve(deep)).toThrow(/circular reference/i);
      let ok: unknown = leaf;
      for (let i = 0; i < 199; i++) ok = { k: ok };
      expect(() => resolve(ok)).not.toThrow();
    }
  });
});
