/**
 * The rule catalog is complete and documented: every rule file is listed, every rule has its
 * intent, reason and fix and is tested both ways, and help/security-rules.md shows the table the
 * code generates.
 */
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { listSecurityRules, SECURITY_RULES, securityRulesTable } from "../../modules/rules/catalog";

const ROOT = path.resolve(__dirname, "../..");
const RULES_DIR = path.join(ROOT, "modules/rules");
const DOC = path.join(ROOT, "help/security-rules.md");

describe("the security rule catalog", () => {
  test("lists every rule defined under modules/rules, once", () => {
    const defined = readdirSync(RULES_DIR)
      .filter((f) => f.endsWith(".ts"))
      .flatMap((f) => [...readFileSync(path.join(RULES_DIR, f), "utf8").matchAll(/defineRule\(\{\s*id: "([A-Z0-9-]+)"/g)].map((m) => m[1]));
    const listed = listSecurityRules().map((r) => r.id);
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual([...defined].sort());
  });

  test("every rule says what it requires, why, how to fix it and what it looks at", () => {
    for (const rule of listSecurityRules()) {
      expect(rule.id).toMatch(/^FC-[A-Z0-9-]+$/);
      for (const text of [rule.description, rule.why, rule.fix]) {
        expect(text.length).toBeGreaterThan(20);
        expect(text).not.toMatch(/\.$/); // messages add their own punctuation
      }
      expect(rule.appliesTo.length).toBeGreaterThan(0);
    }
  });

  test("every rule has a describe block in __tests__/rules with compliant and non-compliant cases", () => {
    const tests = readdirSync(__dirname)
      .filter((f) => f.endsWith(".test.ts"))
      .map((f) => readFileSync(path.join(__dirname, f), "utf8"))
      .join("\n");
    for (const { id } of SECURITY_RULES) {
      const start = tests.indexOf(`describe("${id}"`);
      expect({ id, described: start >= 0 }).toEqual({ id, described: true });
      const next = tests.indexOf("\ndescribe(", start + 1);
      const body = tests.slice(start, next < 0 ? undefined : next);
      expect({ id, compliant: /\bcompliant\b/.test(body), nonCompliant: /nonCompliant\(/.test(body) }).toEqual({
        id,
        compliant: true,
        nonCompliant: true,
      });
    }
  });

  test("help/security-rules.md shows the generated table", () => {
    const doc = readFileSync(DOC, "utf8");
    const table = /<!-- rules:begin -->\n([\s\S]*?)\n<!-- rules:end -->/.exec(doc)?.[1];
    expect(table).toBe(securityRulesTable());
  });
});
