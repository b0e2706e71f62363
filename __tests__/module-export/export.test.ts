/**
 * `npm run modules` on examples/fleet.yaml: one registry module per stack, with the module
 * contract (STYLE.md §9): no provider or backend, version ranges, typed and described inputs,
 * described outputs, a README whose tables are the inputs and outputs, an example.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { loadFleet } from "../../config/load";
import { exportModules, generateModules, NAMESPACE_PLACEHOLDER, type ExportResult } from "../../scripts/module-export";
import { BASE_FLEET } from "../config/fleet-fixture";
import { EXAMPLE_FLEET, fleetFromYaml, synthFleetFile } from "../support/synth";
import { listFiles, readModule, readTable, type Json } from "./support";

const out = mkdtempSync(path.join(tmpdir(), "farcar-modules-test-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

// GIVEN stale output from an earlier export, and an unrelated file the user keeps there
mkdirSync(path.join(out, "terraform-aws-farcar-gone-staging-ingress"), { recursive: true });
writeFileSync(path.join(out, "terraform-aws-farcar-gone-staging-ingress", "main.tf.json"), "{}");
writeFileSync(path.join(out, "NOTES.md"), "mine");

// WHEN the example fleet is exported
const result: ExportResult = exportModules(loadFleet(EXAMPLE_FLEET), { outDir: out });
const synthesized = synthFleetFile();
const modules = result.modules.map((m) => ({ ...m, dir: path.join(out, m.directory), ...readModule(path.join(out, m.directory)) }));

describe("module export of the example fleet", () => {
  test("writes one module per synthesized stack, named terraform-aws-farcar-<stack>", () => {
    expect(result.modules.map((m) => m.stack).sort()).toEqual(synthesized.stackNames);
    for (const m of modules) expect(path.basename(m.dir)).toBe(`terraform-aws-farcar-${m.stack}`);
  });

  test("removes stale modules and leaves everything else in the output directory alone", () => {
    expect(result.removed).toEqual(["terraform-aws-farcar-gone-staging-ingress"]);
    expect(existsSync(path.join(out, "terraform-aws-farcar-gone-staging-ingress"))).toBe(false);
    expect(readFileSync(path.join(out, "NOTES.md"), "utf8")).toBe("mine");
  });

  test.each(result.modules.map((m) => m.stack))("%s: standard module structure, split into files", (stack) => {
    const m = modules.find((x) => x.stack === stack)!;
    expect(listFiles(m.dir)).toEqual(
      expect.arrayContaining(["README.md", "examples/basic/main.tf", "main.tf.json", "outputs.tf.json", "variables.tf.json", "versions.tf.json"]),
    );
    expect(Object.keys(m.files["versions.tf.json"]).filter((k) => k !== "//")).toEqual(["terraform"]);
    expect(Object.keys(m.files["main.tf.json"])).toContain("resource");
    for (const [file, json] of Object.entries(m.files)) {
      if (file !== "main.tf.json" && file !== "versions.tf.json") expect(Object.keys(json).filter((k) => k !== "//").length).toBeLessThanOrEqual(1);
    }
  });

  test.each(result.modules.map((m) => m.stack))("%s: no provider, backend or cloud block; no remote state", (stack) => {
    const m = modules.find((x) => x.stack === stack)!;
    for (const json of Object.values(m.files)) {
      expect(json).not.toHaveProperty("provider");
      expect(json.terraform ?? {}).not.toHaveProperty("backend");
      expect(json.terraform ?? {}).not.toHaveProperty("cloud");
      expect(JSON.stringify(json)).not.toContain("terraform_remote_state");
    }
  });

  test.each(result.modules.map((m) => m.stack))("%s: declares Terraform >= 1.5 and hashicorp/aws >= 5.100.0, < 6.0.0", (stack) => {
    const m = modules.find((x) => x.stack === stack)!;
    expect(m.files["versions.tf.json"].terraform).toEqual({
      required_version: ">= 1.5",
      required_providers: { aws: { source: "hashicorp/aws", version: ">= 5.100.0, < 6.0.0" } },
    });
  });

  test.each(result.modules.map((m) => m.stack))("%s: every variable has a type and a description, every output a description", (stack) => {
    const m = modules.find((x) => x.stack === stack)!;
    for (const [name, v] of Object.entries<Json>(m.merged.variable ?? {})) {
      expect(name).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(typeof v.type).toBe("string");
      expect(v.description?.trim()).toBeTruthy();
    }
    for (const o of Object.values<Json>(m.merged.output ?? {})) expect(o.description?.trim()).toBeTruthy();
  });

  test("keeps the deploy-time knobs, with the stack's types and fleet defaults, in every proxy-account module", () => {
    for (const m of modules.filter((x) => /-(ingress|egress)$/.test(x.stack))) {
      const stackVariables: Json = synthesized.json(m.stack).variable;
      for (const [name, v] of Object.entries<Json>(stackVariables)) expect(m.merged.variable[name]).toEqual(v);
      expect(Object.keys(m.merged.variable)).toEqual(
        expect.arrayContaining(["farcar_image", "identity_image", "task_cpu", "task_memory_mib", "desired_count", "log_retention_days", "extra_tags"]),
      );
    }
  });

  test("declares proxy_account_id exactly in the modules whose stack read the account ID from remote state", () => {
    const readRemoteState = synthesized.stackNames.filter((s) => synthesized.json(s).data?.terraform_remote_state);
    expect(readRemoteState.length).toBeGreaterThan(0);
    const withVariable = modules.filter((m) => m.merged.variable?.proxy_account_id).map((m) => m.stack);
    expect(withVariable.sort()).toEqual(readRemoteState.sort());
    expect(withVariable.filter((s) => JSON.stringify(synthesized.json(s).resource).includes("terraform_remote_state")).length).toBeGreaterThan(0);
    for (const stack of withVariable) {
      const m = modules.find((x) => x.stack === stack)!;
      const v = m.merged.variable.proxy_account_id;
      expect(v).toMatchObject({ type: "string" });
      expect(v).not.toHaveProperty("default");
      expect(v.description).toMatch(/account_id_/);
      expect(v.validation[0].condition).toBe('${can(regex("^[0-9]{12}$", var.proxy_account_id))}');
      // Where the stack's resources read the account ID (not only its provider), the module's use the input.
      if (JSON.stringify(synthesized.json(stack).resource).includes("terraform_remote_state")) {
        expect(JSON.stringify(m.merged.resource)).toContain("${var.proxy_account_id}");
      }
    }
  });

  test("keeps the stack's resources, outputs and locals under the same names", () => {
    for (const m of modules) {
      const stack = synthesized.json(m.stack);
      for (const [type, byName] of Object.entries<Json>(stack.resource)) expect(Object.keys(m.merged.resource[type]).sort()).toEqual(Object.keys(byName).sort());
      expect(Object.keys(m.merged.output ?? {}).sort()).toEqual(Object.keys(stack.output ?? {}).sort());
      for (const local of Object.keys(stack.locals ?? {})) expect(m.merged.locals).toHaveProperty(local);
    }
  });

  test("extra_tags reaches the tags of resources: tags = merge(local.default_tags, own, local.farcar_tags), default_tags from var.extra_tags", () => {
    const m = modules.find((x) => x.stack === "tidal-production-ingress")!;
    expect(m.merged.locals.default_tags).toMatch(/^\$\{merge\(var\.extra_tags, \{"cost-center" = "platform", "owner" = "platform-mesh"\}, \{"farcar:acquisition" = "tidal", /);
    expect(m.merged.locals.farcar_tags).toBe('${{ for k, v in local.default_tags : k => v if startswith(k, "farcar:") }}');
    const vpc = m.merged.resource.aws_vpc["proxy-network_vpc_1699042D"];
    expect(vpc.tags).toBe('${merge(local.default_tags, {"Name" = "farcar-tidal-production-ingress-proxy"}, local.farcar_tags)}');
    expect(m.merged.resource.aws_ecs_cluster.cluster.tags).toBe("${local.default_tags}");
  });

  test("the org module carries the org provider's default tags onto its resources", () => {
    const m = modules.find((x) => x.stack === "org")!;
    expect(m.merged.locals.default_tags).toEqual({ "cost-center": "platform", "farcar:stack": "org", owner: "platform-mesh" });
    for (const account of Object.values<Json>(m.merged.resource.aws_organizations_account)) {
      expect(account.tags).toMatch(/^\$\{merge\(local\.default_tags, \{"farcar:acquisition" = "afterpay", .*\}, local\.farcar_tags\)\}$/);
    }
  });

  test("no cdktf metadata in the module", () => {
    for (const m of modules) expect(JSON.stringify(m.merged)).not.toContain('"//"');
  });
});

describe("module README", () => {
  test.each(result.modules.map((m) => m.stack))("%s: the inputs table is the module's variables", (stack) => {
    const m = modules.find((x) => x.stack === stack)!;
    const readme = readFileSync(path.join(m.dir, "README.md"), "utf8");
    const expected = Object.entries<Json>(m.merged.variable ?? {}).map(([name, v]) => ({
      name,
      description: v.description,
      type: v.type,
      default: "default" in v ? v.default : "n/a",
      required: "default" in v ? "no" : "yes",
    }));
    const rows = readTable(readme, "Inputs").map((r) => ({
      name: r.Name,
      description: r.Description,
      type: r.Type,
      default: r.Default === "n/a" ? "n/a" : JSON.parse(r.Default),
      required: r.Required,
    }));
    expect(rows).toEqual(expected);
  });

  test.each(result.modules.map((m) => m.stack))("%s: the outputs table is the module's outputs", (stack) => {
    const m = modules.find((x) => x.stack === stack)!;
    const readme = readFileSync(path.join(m.dir, "README.md"), "utf8");
    const expected = Object.entries<Json>(m.merged.output ?? {}).map(([name, o]) => ({ name, description: o.description, sensitive: o.sensitive ? "yes" : "no" }));
    expect(readTable(readme, "Outputs").map((r) => ({ name: r.Name, description: r.Description, sensitive: r.Sensitive }))).toEqual(expected);
  });

  test.each(result.modules.map((m) => m.stack))("%s: escapes what Markdown would swallow in table cells", (stack) => {
    const readme = readFileSync(path.join(modules.find((x) => x.stack === stack)!.dir, "README.md"), "utf8");
    for (const line of readme.split("\n").filter((l) => l.startsWith("|"))) {
      const prose = line.replace(/`[^`]*`/g, "").replace(/<br>/g, "");
      expect({ line, rawTag: /[<>]/.test(prose) }).toEqual({ line, rawTag: false });
    }
  });

  test("shows a registry source, a provider block that assumes a role in the proxy account, and the placeholder namespace", () => {
    const readme = readFileSync(path.join(modules.find((x) => x.stack === "afterpay-staging-ingress")!.dir, "README.md"), "utf8");
    expect(readme).toContain(`source  = "${NAMESPACE_PLACEHOLDER}/farcar-afterpay-staging-ingress/aws"`);
    expect(readme).toMatch(/assume_role \{\n\s+role_arn\s+= "arn:aws:iam::\$\{var\.proxy_account_id\}:role\/OrganizationAccountAccessRole"/);
    const tidal = readFileSync(path.join(modules.find((x) => x.stack === "tidal-production-ingress")!.dir, "README.md"), "utf8");
    expect(tidal).toContain('role_arn     = "arn:aws:iam::777777777777:role/OrganizationAccountAccessRole"');
  });
});

describe("a fleet kept in HCP Terraform", () => {
  const generated = generateModules(fleetFromYaml(`${BASE_FLEET}terraformCloud: { organization: acme }\n`));

  test("READMEs take the private registry namespace from terraformCloud: <hostname>/<organization>", () => {
    for (const m of generated) {
      expect(m.source).toBe(`app.terraform.io/acme/farcar-${m.stack}/aws`);
      expect(m.files["README.md"]).toContain(`source  = "app.terraform.io/acme/farcar-${m.stack}/aws"`);
      expect(m.files["README.md"]).not.toContain(NAMESPACE_PLACEHOLDER);
    }
  });

  test("the cloud block and the remote state of its workspaces do not reach the modules", () => {
    for (const m of generated) {
      const all = Object.entries(m.files).filter(([f]) => f.endsWith(".tf.json")).map(([, text]) => JSON.parse(String(text)));
      for (const json of all) expect(json.terraform ?? {}).toEqual(json.terraform ? { required_version: ">= 1.5", required_providers: expect.any(Object) } : {});
      expect(JSON.stringify(all)).not.toMatch(/terraform_remote_state|"cloud"|acme/);
    }
    expect(generated.find((m) => m.stack === "afterpay-staging-ingress")!.converted.proxyAccountRead?.output).toBe("account_id_afterpay_staging");
  });
});

describe("module example", () => {
  test.each(result.modules.map((m) => m.stack))("%s: calls the module from ../../ with the required inputs and passes every output through", (stack) => {
    const m = modules.find((x) => x.stack === stack)!;
    const example = readFileSync(path.join(m.dir, "examples/basic/main.tf"), "utf8");
    const label = stack.replace(/-/g, "_");
    expect(example).toContain(`module "${label}" {\n  source = "../../"`);
    expect(example).toMatch(/provider "aws" \{\n  region\s+= "us-east-1"/);
    for (const [name, v] of Object.entries<Json>(m.merged.variable ?? {})) {
      if (!("default" in v)) expect(example).toMatch(new RegExp(`\\n  ${name}\\s+= var\\.${name}\\n`));
    }
    for (const name of Object.keys(m.merged.output ?? {})) expect(example).toMatch(new RegExp(`value\\s+= module\\.${label}\\.${name}\\n`));
  });
});

describe("synthesized assets", () => {
  test("the SVID issuer's code ships inside the module and is referenced from the module's directory", () => {
    const modules = generateModules(loadFleet(EXAMPLE_FLEET));
    const ingress = modules.find((m) => m.stack === "afterpay-production-ingress")!;
    const main = JSON.parse(String(ingress.files["main.tf.json"]));
    const [fn] = Object.values(main.resource.aws_lambda_function) as Array<{ filename: string }>;
    expect(fn.filename).toMatch(/^\$\{path\.module\}\/assets\/.+\/archive\.zip$/);
    const zip = ingress.files[fn.filename.replace("${path.module}/", "")];
    expect(Buffer.isBuffer(zip)).toBe(true);
    expect((zip as Buffer).subarray(0, 2).toString("latin1")).toBe("PK");
  });
});
