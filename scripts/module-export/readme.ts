/**
 * README.md of a module: what it does, how to call it from a registry, the provider it expects,
 * and the inputs/outputs tables, generated from the module's variables and outputs (so they
 * cannot drift: the tests parse them back and compare).
 */
import type { ConvertedModule, ModuleOutput, ModuleVariable } from "./convert";
import { moduleSummary } from "./describe";
import { attr, blank, block, comment, expr, literal, renderHcl, type HclItem } from "./hcl";
import { moduleLabel, providerItems } from "./example";
import { PROXY_ACCOUNT_ID_VARIABLE } from "./remote-state";
import { PROVIDER_REQUIREMENTS, TERRAFORM_REQUIRED_VERSION } from "./versions";

/** Placeholder namespace when the fleet names no HCP Terraform organization (help/modules.md). */
export const NAMESPACE_PLACEHOLDER = "<namespace>";

export interface ReadmeContext {
  /** Registry source of the module, e.g. `app.terraform.io/acme/farcar-org/aws`. */
  readonly source: string;
  /** Version the usage block pins. */
  readonly version: string;
  /** File name of the fleet file the module was generated from. */
  readonly fleetFile: string;
  /** File name of the module's diagram (`farcar diagram`), if one is written next to the README. */
  readonly diagram?: string;
}

export const INPUTS_HEADER = ["Name", "Description", "Type", "Default", "Required"] as const;
export const OUTPUTS_HEADER = ["Name", "Description", "Sensitive"] as const;

/**
 * Text for a Markdown table cell: `&`, `<`, `>` as HTML entities (so `<target>` is not taken for
 * a tag), pipes escaped, line breaks as <br>.
 */
export function cell(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/\r?\n/g, "<br>");
}

/**
 * Inline code in a table cell: only pipes are escaped (GFM reads `\|` as `|` inside a table's code
 * span; entities and backslashes would show literally). Backticks are not expected in names,
 * types or JSON defaults.
 */
function code(text: string): string {
  return `\`${text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ")}\``;
}

function table(header: readonly string[], rows: string[][]): string {
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

/** A default value as written in the table: JSON, which is also valid HCL literal syntax. */
export function renderDefault(v: ModuleVariable): string {
  return v.required ? "n/a" : code(JSON.stringify(v.default));
}

export function inputsTable(variables: readonly ModuleVariable[]): string {
  return table(
    INPUTS_HEADER,
    variables.map((v) => [code(v.name), cell(v.description), code(v.type), renderDefault(v), v.required ? "yes" : "no"]),
  );
}

export function outputsTable(outputs: readonly ModuleOutput[]): string {
  return table(OUTPUTS_HEADER, outputs.map((o) => [code(o.name), cell(o.description), o.sensitive ? "yes" : "no"]));
}

function placeholderFor(v: ModuleVariable, m: ConvertedModule): HclItem[] {
  if (v.name === PROXY_ACCOUNT_ID_VARIABLE && m.proxyAccountRead) {
    return [comment(`The org module's output ${m.proxyAccountRead.output}`), attr(v.name, "123456789012")];
  }
  const byType: Record<string, string> = { string: '"…"', number: "0", bool: "false" };
  return [attr(v.name, expr(byType[v.type] ?? "null"))];
}

function hcl(items: HclItem[]): string {
  return ["```hcl", renderHcl(items).trimEnd(), "```"].join("\n");
}

export function renderReadme(m: ConvertedModule, ctx: ReadmeContext): string {
  const name = `farcar-${m.stack.name}`;
  const label = moduleLabel(m.stack.name);
  const required = m.variables.filter((v) => v.required);
  const usage = hcl([
    block("module", [label], [
      attr("source", expr(literal(ctx.source))),
      attr("version", expr(literal(ctx.version))),
      ...(required.length ? [blank, ...required.flatMap((v) => placeholderFor(v, m))] : []),
    ]),
  ]);
  const account =
    m.stack.kind === "org"
      ? "the AWS Organizations management account"
      : m.stack.acquisition && m.stack.environment
        ? `the ${m.stack.kind === "egress" || m.stack.proxyStack?.kind === "egress" ? "egress " : ""}proxy account of ${m.stack.acquisition}/${m.stack.environment}`
        : "the account the resources belong in";
  const assumes = Array.isArray(m.provider.assume_role) && m.provider.assume_role.length > 0;
  const providerText =
    `The module has no provider block: it uses the caller's default \`aws\` provider, which must act in ${account}, ` +
    `in region \`${m.provider.region}\`. The Farcar stack configures it so${assumes ? " (assuming a role in that account)" : ""}:`;
  const providerNote = JSON.stringify(m.provider).includes(`var.${PROXY_ACCOUNT_ID_VARIABLE}`)
    ? `\n\n\`var.${PROXY_ACCOUNT_ID_VARIABLE}\` stands for the account ID you also pass to the module (a variable of your root module; see [examples/basic](examples/basic/main.tf)).`
    : "";
  const namespaceNote = ctx.source.startsWith(NAMESPACE_PLACEHOLDER)
    ? `\n\nReplace \`${NAMESPACE_PLACEHOLDER}\` with the registry namespace you publish to (for the HCP Terraform private registry: \`app.terraform.io/<organization>\`; set \`terraformCloud.organization\` in the fleet file or pass \`--namespace\` to \`npm run modules\` to have it filled in).`
    : "";
  const hasExtraTags = m.variables.some((v) => v.name === "extra_tags");
  const tagsText = hasExtraTags
    ? "Every taggable resource is tagged `merge(var.extra_tags, <fleet tags>, <its own tags>, <farcar:* tags>)` " +
      "(later wins). A module has no provider `default_tags` of its own: pass your tags in `extra_tags`."
    : "Every taggable resource carries the fleet's tags and the `farcar:*` tags (they win over its own tags).";
  const requirements = table(
    ["Name", "Version"],
    [[code("terraform"), code(TERRAFORM_REQUIRED_VERSION)], ...Object.entries(PROVIDER_REQUIREMENTS).map(([n, r]) => [`${code(n)} (${code(r.source)})`, code(r.version)])],
  );
  const resources = table(
    ["Type", "Count"],
    Object.entries(m.resources)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([t, n]) => [code(t), String(n)]),
  );

  return `# ${name}

<!-- Generated by Farcar (npm run modules) from ${ctx.fleetFile}. Do not edit: regenerate. -->

${moduleSummary(m.stack)}

This is the Farcar stack \`${m.stack.name}\` packaged as a Terraform module: the resources
\`cdktf deploy\` creates for the stack, under the same resource names. Its configuration is
Terraform JSON (\`*.tf.json\`), which Terraform reads like \`.tf\` files.

## Usage

${usage}${namespaceNote}
${ctx.diagram ? `\n## Diagram\n\n![Who may call what through this module: roles, endpoint, API paths, Farcars, targets](${ctx.diagram})\n\nDrawn by \`npx farcar diagram\` from the fleet file (help/diagram.md).\n` : ""}
## Provider

${providerText}

${hcl([block("provider", ["aws"], providerItems(m.provider))])}${providerNote}

${tagsText}

## Requirements

${requirements}

## Inputs

${variablesIntro(m)}

${inputsTable(m.variables)}

## Outputs

${outputsTable(m.outputs)}

## Resources

${resources}

## Examples

- [basic](examples/basic/main.tf): the provider, the required inputs and every output.
`;
}

function variablesIntro(m: ConvertedModule): string {
  const parts = ["Defaults are the fleet file's values."];
  if (m.proxyAccountRead) {
    parts.push(
      `\`${PROXY_ACCOUNT_ID_VARIABLE}\` replaces the stack's read of \`${m.proxyAccountRead.output}\` from the org stack's state.`,
    );
  }
  return parts.join(" ");
}
