/**
 * `npm run modules`: writes every stack of a fleet as a Terraform registry module
 * (help/modules.md).
 *
 *   npm run modules                                  # FARCAR_CONFIG or examples/fleet.yaml → dist/modules
 *   npm run modules -- --fleet my-fleet.yaml --out build/modules --namespace app.terraform.io/acme
 *
 * Exit status: 0 written; 1 the fleet file is invalid, a stack cannot be built, or a stack cannot
 * be a module (every problem is printed; nothing is written); 2 bad command-line arguments.
 */
import * as path from "node:path";
import { FleetError, SynthError } from "../config/errors";
import type { Fleet } from "../config/fleet";
import { DEFAULT_FLEET_FILE, loadFleet } from "../config/load";
import { diagramFile, fleetDiagrams } from "../cli/diagram";
import { DEFAULT_OUT_DIR, exportModules, ModuleExportError, type ExportOptions } from "./module-export";

const USAGE = `usage: npm run modules -- [--fleet FILE] [--out DIR] [--namespace NS] [--version V]

  --fleet FILE      fleet file (default: $FARCAR_CONFIG, else ${DEFAULT_FLEET_FILE})
  --out DIR         output directory (default: ${DEFAULT_OUT_DIR}); its terraform-aws-farcar-*
                    directories are replaced, nothing else in it is touched
  --namespace NS    registry namespace for the README's source, e.g. app.terraform.io/acme
                    (default: the fleet's terraformCloud hostname/organization, else <namespace>)
  --version V       module version the README's usage block pins (default: Farcar's version)
`;

export interface ModulesArgs extends ExportOptions {
  readonly fleet: string;
  readonly help?: boolean;
}

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ModulesArgs {
  const values: Record<string, string> = {};
  const flags = ["--fleet", "--out", "--namespace", "--version"];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") return { fleet: "", help: true };
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    if (!flags.includes(flag)) throw new UsageError(`unknown argument "${arg}"`);
    const value = inline ?? argv[++i];
    if (value === undefined || value === "") throw new UsageError(`${flag} needs a value`);
    values[flag.slice(2)] = value;
  }
  return {
    fleet: values.fleet ?? (env.FARCAR_CONFIG || DEFAULT_FLEET_FILE),
    outDir: values.out ?? DEFAULT_OUT_DIR,
    ...(values.namespace ? { namespace: values.namespace } : {}),
    ...(values.version ? { version: values.version } : {}),
  };
}

/** The command (`npm run modules`, `farcar modules`): `argv` without node and script; returns the exit status. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  let args: ModulesArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`farcar modules: ${err.message}\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    const fleet = loadFleet(args.fleet);
    const diagrams = await moduleDiagrams(fleet);
    const result = exportModules(fleet, { ...args, diagrams });
    const rel = (p: string) => path.relative(process.cwd(), p) || ".";
    process.stdout.write(`Wrote ${result.modules.length} modules to ${rel(result.outDir)}/ from ${args.fleet}:\n`);
    for (const m of result.modules) {
      const c = m.converted;
      const resources = Object.values(c.resources).reduce((a, b) => a + b, 0);
      process.stdout.write(
        `  ${m.directory}/  ${resources} resources, ${c.variables.length} variables, ${c.outputs.length} outputs` +
          `${c.proxyAccountRead ? ` (proxy_account_id replaces ${c.proxyAccountRead.output})` : ""}\n` +
          `    ${Object.keys(m.files).sort().join(", ")}\n`,
      );
    }
    for (const r of result.removed) process.stdout.write(`  removed stale ${r}/\n`);
    process.stdout.write(`Registry sources: ${result.modules.map((m) => m.source).join(", ")}\n`);
    process.stdout.write(`Done in ${(result.durationMs / 1000).toFixed(1)} s.\n`);
    return 0;
  } catch (err) {
    if (err instanceof FleetError || err instanceof SynthError || err instanceof ModuleExportError) {
      process.stderr.write(`farcar modules: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** The environment's diagram for its ingress and egress modules (cli/diagram.ts). */
async function moduleDiagrams(fleet: Fleet): Promise<Record<string, string>> {
  const byFile = await fleetDiagrams(fleet);
  const out: Record<string, string> = {};
  for (const env of fleet.environments) {
    out[`${env.key}-ingress`] = byFile[diagramFile(env)];
    if (env.egress) out[`${env.key}-egress`] = byFile[diagramFile(env)];
  }
  return out;
}

if (require.main === module) void main().then((code) => (process.exitCode = code));
