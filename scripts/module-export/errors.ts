/**
 * Module-export problems, in one voice: `stack: what is wrong. Fix: …`. A ModuleExportError
 * carries every problem of every stack, and nothing is written when there is one.
 */

export interface ModuleExportProblem {
  /** Stack the problem is in. */
  readonly stack: string;
  /** What is wrong, naming the variable, output, provider or reference concerned. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
}

export function formatExportProblem(p: ModuleExportProblem): string {
  return `${p.stack}: ${p.message} Fix: ${p.fix}`;
}

export class ModuleExportError extends Error {
  constructor(readonly problems: readonly ModuleExportProblem[]) {
    super(
      `${problems.length} problem${problems.length === 1 ? "" : "s"} exporting modules; nothing was written:\n` +
        problems.map((p) => `  ${formatExportProblem(p)}`).join("\n"),
    );
    this.name = "ModuleExportError";
  }
}

/** The messages, kept together so they read alike. */
export const problems = {
  missingVariableType: (stack: string, name: string): ModuleExportProblem => ({
    stack,
    message: `variable "${name}" has no type.`,
    fix: `give the TerraformVariable "${name}" a \`type\` (module inputs are public contract: STYLE.md §9).`,
  }),
  missingVariableDescription: (stack: string, name: string): ModuleExportProblem => ({
    stack,
    message: `variable "${name}" has no description.`,
    fix: `give the TerraformVariable "${name}" a \`description\` saying what it sets and its unit.`,
  }),
  missingOutputDescription: (stack: string, name: string): ModuleExportProblem => ({
    stack,
    message: `output "${name}" has no description.`,
    fix: `give the TerraformOutput "${name}" a \`description\` saying what the value is and who uses it.`,
  }),
  severalProviders: (stack: string, type: string, aliases: string[]): ModuleExportProblem => ({
    stack,
    message: `configures ${aliases.length} "${type}" providers (${aliases.join(", ")}); a module would need \`configuration_aliases\` and a \`providers\` map in every caller, which the exporter does not generate yet.`,
    fix: `keep one ${type} provider per stack, or extend scripts/module-export/convert.ts (versions + README + example) for configuration_aliases.`,
  }),
  unknownProvider: (stack: string, type: string, source: string): ModuleExportProblem => ({
    stack,
    message: `uses provider "${type}" (${source}), which has no version range for modules.`,
    fix: `add "${type}" to PROVIDER_REQUIREMENTS in scripts/module-export/versions.ts with a lower-bound range.`,
  }),
  unmappedRemoteState: (stack: string, reference: string): ModuleExportProblem => ({
    stack,
    message: `reads \`${reference}\` from another stack's state, and the exporter only knows how to turn the ID of the account the stack deploys into (read by its provider) into the variable proxy_account_id.`,
    fix: `map this remote-state output to a module variable in scripts/module-export/remote-state.ts.`,
  }),
  severalRemoteAccounts: (stack: string, references: string[]): ModuleExportProblem => ({
    stack,
    message: `reads several account IDs from other stacks' state (${references.join(", ")}), but a module has one proxy_account_id.`,
    fix: `read at most one account ID through remote state per stack, or map the others in scripts/module-export/remote-state.ts.`,
  }),
  reservedName: (stack: string, kind: string, name: string): ModuleExportProblem => ({
    stack,
    message: `already declares ${kind} "${name}", a name the module export adds itself.`,
    fix: `rename that ${kind} in the stack.`,
  }),
  unreadableDefaultTags: (stack: string): ModuleExportProblem => ({
    stack,
    message: "sets its provider's default_tags as a single token, which the module export cannot carry onto each resource.",
    fix: "set default_tags as a list of { tags } blocks (stacks/proxy-stack.ts does).",
  }),
  taggedThroughAliasedProvider: (stack: string, address: string): ModuleExportProblem => ({
    stack,
    message: `resource ${address} uses an aliased provider, whose default_tags a module cannot carry yet.`,
    fix: `use the stack's default provider, or extend scripts/module-export/module-tags.ts for aliased providers.`,
  }),
};
