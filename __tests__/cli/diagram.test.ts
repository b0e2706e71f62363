/**
 * `farcar diagram`: per environment, both directions, from the fleet; rendered to SVG offline; and
 * linked from the generated module README.
 */
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { loadFleet } from "../../config/load";
import { environmentDot, renderSvg } from "../../cli/diagram";
import { generateModules } from "../../scripts/module-export";
import { EXAMPLE_FLEET } from "../support/synth";
import { farcar, workdir } from "./support";

const fleet = loadFleet(EXAMPLE_FLEET);
const staging = fleet.environments.find((e) => e.key === "afterpay-staging")!;

describe("environmentDot", () => {
  const dot = environmentDot(fleet, staging);

  test("ingress: each role reaches the endpoint, the endpoint each path (labelled with its roles), each path its Farcar, the Farcar its targets", () => {
    expect(dot).toContain(`"in-role:arn:aws:iam::333333333333:role/checkout-staging" -> "in-endpoint"`);
    expect(dot).toMatch(/"in-endpoint" -> "in-path:\/disputes\/ledger" \[label="disputes-staging\\ndisputes-worker-staging"\]/);
    expect(dot).toContain(`"in-path:/checkout/payments" -> "in-farcar:checkout"`);
    expect(dot).toContain(`"in-farcar:checkout" -> "mesh:payments"`);
    expect(dot).toContain("spiffe://block.example/acquisition/afterpay/staging/checkout");
    expect(dot).not.toContain(`"in-farcar:disputes" -> "mesh:payments"`); // disputes may only reach ledger
  });

  test("egress: parent roles → endpoint → /service/ → egress Farcar → the acquisition upstream with its auth", () => {
    expect(dot).toContain(`"out-role:arn:aws:iam::111111111111:role/fraud-engine" -> "out-endpoint"`);
    expect(dot).toContain(`"out-farcar:risk-scores" -> "upstream:risk-scores" [label="sigv4"]`);
    expect(dot).toContain("https://risk.afterpay.internal");
  });

  test("renders to SVG offline (Graphviz in WebAssembly) with every node's text", async () => {
    const [svg] = await renderSvg([dot]);
    expect(svg).toMatch(/^<\?xml[\s\S]*<svg /);
    expect(svg).toContain(">arn:aws:iam::333333333333:role/checkout&#45;staging</text>");
    expect(svg).toContain(">mesh service ledger</text>");
  });

  test("a broken graph is an error, not an empty picture", async () => {
    await expect(renderSvg(["digraph { a -> }"])).rejects.toThrow(/Graphviz could not render/);
  });
});

describe("farcar diagram", () => {
  test("writes one SVG per environment; --env and --format dot narrow it", async () => {
    const dir = workdir();
    const r = await farcar(["diagram", EXAMPLE_FLEET, "-o", path.join(dir, "d")]);
    expect(r.status).toBe(0);
    expect(readdirSync(path.join(dir, "d")).sort()).toEqual(["afterpay-production.svg", "afterpay-staging.svg", "tidal-production.svg"]);
    const one = await farcar(["diagram", EXAMPLE_FLEET, "-o", path.join(dir, "e"), "--env", "tidal-production", "-f", "dot"]);
    expect(readdirSync(path.join(dir, "e"))).toEqual(["tidal-production.dot"]);
    expect(one.stdout).toContain("Wrote 1 diagrams");
    const bad = await farcar(["diagram", EXAMPLE_FLEET, "--env", "tidal-staging", "-o", path.join(dir, "f")]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("no environment tidal-staging; the fleet has afterpay-staging, afterpay-production, tidal-production");
    expect(existsSync(path.join(dir, "f"))).toBe(false);
  });
});

describe("module README", () => {
  test("shows the diagram written next to it; without one, no dangling link", () => {
    const withDiagram = generateModules(fleet, { diagrams: { "afterpay-staging-ingress": "<svg/>" } });
    const m = withDiagram.find((x) => x.stack === "afterpay-staging-ingress")!;
    expect(m.files["diagram.svg"]).toBe("<svg/>");
    expect(m.files["README.md"]).toContain("## Diagram\n\n![Who may call what through this module: roles, endpoint, API paths, Farcars, targets](diagram.svg)");
    const org = withDiagram.find((x) => x.stack === "org")!;
    expect(org.files["README.md"]).not.toContain("diagram.svg");
  });
});
