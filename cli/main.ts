/**
 * `farcar` — the operator's command (README.md "Using farcar"). Run through the bin shim
 * cli/farcar.js (`npx farcar …`). Every subcommand names the fleet file it uses in a one-line
 * banner on stderr (cli/fleet-file.ts), prints fleet problems once as
 * `file:line:col: yaml.path: what is wrong (got value)` and exits 1 without writing anything.
 *
 * Exit status: 0 success; 1 the fleet (or a check) failed; 2 bad command-line arguments.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { Command, Option } from "commander";
import { FleetError, SynthError } from "../config/errors";
import type { Fleet } from "../config/fleet";
import { loadFleet } from "../config/load";
import { ModuleExportError } from "../scripts/module-export";
import { synthesizeFleet } from "../verify";
import { main as modulesMain } from "../scripts/modules";
import { CostError, costReport, loadPrices, quotaTable } from "../scripts/cost";
import { main as verifyMain } from "../scripts/verify";
import { environmentDot, renderSvg } from "./diagram";
import { defaultClients, doctorPlan, formatFindings, runDoctor } from "./doctor";
import { diffFleets, renderMarkdown, renderText } from "./diff";
import { banner, resolveFleetFile } from "./fleet-file";
import { loadFleetAtRevision } from "./git-fleet";
import { previousSynth, synthesizeInto } from "./synth";

const VERSION = (require("../package.json") as { version: string }).version;

/** A failure already explained to the user: print the message, no stack trace. */
function isUserError(err: unknown): err is Error {
  return err instanceof FleetError || err instanceof SynthError || err instanceof ModuleExportError || err instanceof CostError;
}

function fleetFileFor(arg: string | undefined): string {
  const choice = resolveFleetFile(arg);
  process.stderr.write(`${banner(choice)}\n`);
  return choice.file;
}

function load(arg: string | undefined): { file: string; fleet: Fleet } {
  const file = fleetFileFor(arg);
  return { file, fleet: loadFleet(file) };
}

const FLEET_ARG = "fleet file (default: $FARCAR_CONFIG, else cdktf.json context.farcarConfig, else examples/fleet.yaml)";

export function program(): Command {
  const cli = new Command("farcar")
    .description("Connect acquired companies' services to the parent Envoy mTLS mesh: synthesize, check, preview, verify and inspect a Farcar fleet.")
    .version(VERSION)
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str) });

  cli
    .command("synth")
    .description(
      "Synthesize every stack of the fleet into the output directory (cdktf.out/ by default), as `cdktf synth` would. " +
        "The directory is replaced only when synthesis succeeds: no stale stacks of another fleet remain, and a failure leaves it as it was and says so.",
    )
    .argument("[fleet]", FLEET_ARG)
    .option("-o, --out <dir>", "output directory", process.env.CDKTF_OUTDIR || "cdktf.out")
    .option("-v, --verbose", "list every stack with its resource count")
    .action((fleetArg: string | undefined, opts: { out: string; verbose?: boolean }) => {
      const file = fleetFileFor(fleetArg);
      try {
        const result = synthesizeInto(loadFleet(file), opts.out, file);
        const names = Object.keys(result.stacks);
        const rel = path.relative(process.cwd(), result.outdir) || ".";
        process.stdout.write(`Synthesized ${names.length} stacks to ${rel}/ in ${(result.ms / 1000).toFixed(1)} s.\n`);
        if (opts.verbose) for (const [n, count] of Object.entries(result.stacks)) process.stdout.write(`  ${n}: ${count} resources\n`);
        const cdktfWould = resolveFleetFile(undefined);
        if (path.resolve(cdktfWould.file) !== path.resolve(file))
          process.stdout.write(`Deploy it with \`npx cdktf deploy --skip-synth <stack>\`: without --skip-synth, cdktf synthesizes ${cdktfWould.file} again.\n`);
      } catch (err) {
        const stale = previousSynth(opts.out);
        if (isUserError(err) && stale) err.message += `\n${stale}.`;
        throw err;
      }
    });

  cli
    .command("check")
    .description(
      "Validate the fleet file — schema, cross-field checks, then an in-memory synthesis with the security rules and AWS quota checks — and write nothing.",
    )
    .argument("[fleet]", FLEET_ARG)
    .action((fleetArg: string | undefined) => {
      const { fleet } = load(fleetArg);
      const stacks = synthesizeFleet(fleet);
      const services = fleet.environments.reduce((n, e) => n + e.inbound.length + e.outbound.length, 0);
      process.stdout.write(
        `The fleet is valid: ${fleet.environments.length} environments, ${services} services, ${Object.keys(stacks).length} stacks.\n`,
      );
    });

  cli
    .command("diff")
    .description(
      "Preview a fleet change offline: who may now call what, which identities, targets and policies change, and per stack the resources added, changed and removed. " +
        "Compare two fleet files, or with --rev the fleet file at a git revision with the working copy.",
    )
    .argument("[files...]", "BEFORE AFTER fleet files; with --rev, at most one fleet file (default as for the other commands)")
    .option("-r, --rev <revision>", "compare the fleet file at this git revision (e.g. main, HEAD~1) with the working copy")
    .addOption(new Option("-f, --format <format>", "output format").choices(["text", "markdown"]).default("text"))
    .option("-o, --output <file>", "also write the report to this file")
    .option("--exit-code", "exit 3 when there are changes (for CI)")
    .action((files: string[], opts: { rev?: string; format: "text" | "markdown"; output?: string; exitCode?: boolean }) => {
      let before: { fleet: Fleet; name: string };
      let after: { fleet: Fleet; name: string };
      if (opts.rev) {
        if (files.length > 1) throw new UsageError("with --rev, name at most one fleet file");
        const file = fleetFileFor(files[0]);
        before = loadFleetAtRevision(file, opts.rev);
        after = { fleet: loadFleet(file), name: file };
      } else {
        if (files.length !== 2) throw new UsageError("name two fleet files (BEFORE AFTER), or one with --rev <revision>");
        process.stderr.write(`farcar: fleets ${files[0]} → ${files[1]} (from the command line)\n`);
        before = { fleet: loadFleet(files[0]), name: files[0] };
        after = { fleet: loadFleet(files[1]), name: files[1] };
      }
      const d = diffFleets({ ...before, stacks: synthesizeFleet(before.fleet) }, { ...after, stacks: synthesizeFleet(after.fleet) });
      const text = opts.format === "markdown" ? renderMarkdown(d) : renderText(d, { color: process.stdout.isTTY && !process.env.NO_COLOR });
      process.stdout.write(text);
      if (opts.output) writeFileSync(opts.output, opts.format === "markdown" ? text : renderText(d));
      if (opts.exitCode && (d.access.length || d.stacks.length)) process.exitCode = 3;
    });

  cli
    .command("verify")
    .description("The isolation proof: simulate every generated resource policy for every (principal, method, path, endpoint) against the expected 1:1 matrix (help/security.md).")
    .argument("[fleet]", FLEET_ARG)
    .option("--out <dir>", "verify the stacks already synthesized in this directory instead of synthesizing in-process")
    .option("--stack <name>", "only this stack (repeatable)", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option("--checked", "evaluate every case with the validated simulator (about 8× slower)")
    .option("--verbose", "print every Terraform reference substitution")
    .option("--json <file>", "also write the full report as JSON")
    .action(async (fleetArg: string | undefined, opts: { out?: string; stack: string[]; checked?: boolean; verbose?: boolean; json?: string }) => {
      const file = fleetFileFor(fleetArg);
      const argv = ["--fleet", file];
      if (opts.out) argv.push("--out", opts.out);
      for (const s of opts.stack) argv.push("--stack", s);
      if (opts.checked) argv.push("--checked");
      if (opts.verbose) argv.push("--verbose");
      if (opts.json) argv.push("--json", opts.json);
      await verifyMain(argv);
    });

  cli
    .command("modules")
    .description("Write each stack as a Terraform registry module (help/modules.md); replaces the terraform-aws-farcar-* directories of the output directory.")
    .argument("[fleet]", FLEET_ARG)
    .option("--out <dir>", "output directory", "dist/modules")
    .option("--namespace <ns>", "registry namespace for the README's source, e.g. app.terraform.io/acme")
    .option("--module-version <v>", "module version the README's usage block pins (default: Farcar's version)")
    .action(async (fleetArg: string | undefined, opts: { out: string; namespace?: string; moduleVersion?: string }) => {
      const file = fleetFileFor(fleetArg);
      const argv = ["--fleet", file, "--out", opts.out];
      if (opts.namespace) argv.push("--namespace", opts.namespace);
      if (opts.moduleVersion) argv.push("--version", opts.moduleVersion);
      process.exitCode = await modulesMain(argv);
    });

  cli
    .command("cost")
    .description(
      "The fixed monthly cost of every stack of the fleet and per service, from the price table in config/prices.json (on-demand list prices with their sources), " +
        "next to the article's layout (own NLB, 2 tasks and own CA per service) and the shared-NLB layout (help/scaling.md). Reads no AWS account; same as `npm run cost`.",
    )
    .argument("[fleet]", FLEET_ARG)
    .option("--prices <file>", "price table (default: config/prices.json)")
    .option("--json", "print the report as JSON instead of the table")
    .option("--quotas", "also print every AWS quota with the figure the fleet measures")
    .action((fleetArg: string | undefined, opts: { prices?: string; json?: boolean; quotas?: boolean }) => {
      const { file, fleet } = load(fleetArg);
      const report = costReport(fleet, opts.prices ? loadPrices(opts.prices) : loadPrices());
      if (opts.json) process.stdout.write(`${JSON.stringify({ stacks: report.stacks, total: report.total }, null, 2)}\n`);
      else process.stdout.write(`farcar cost — ${file}\n\n${report.table}\n`);
      if (opts.quotas) process.stdout.write(`\nAWS quotas, measured (help/scaling.md):\n${quotaTable(fleet)}\n`);
    });

  cli
    .command("diagram")
    .description(
      "Draw each environment: acquisition roles → endpoint → API paths → Farcars → mesh targets, and the reverse (egress) direction. " +
        "Writes one SVG (or DOT) file per environment; rendered offline with Graphviz compiled to WebAssembly (help/diagram.md).",
    )
    .argument("[fleet]", FLEET_ARG)
    .option("-o, --out <dir>", "output directory", "dist/diagrams")
    .addOption(new Option("-f, --format <format>", "file format").choices(["svg", "dot"]).default("svg"))
    .option("-e, --env <acquisition-environment>", "only this environment, e.g. afterpay-staging (repeatable)", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .action(async (fleetArg: string | undefined, opts: { out: string; format: "svg" | "dot"; env: string[] }) => {
      const { fleet } = load(fleetArg);
      const unknown = opts.env.filter((k) => !fleet.environments.some((e) => e.key === k));
      if (unknown.length) throw new UsageError(`no environment ${unknown.join(", ")}; the fleet has ${fleet.environments.map((e) => e.key).join(", ")}`);
      const envs = fleet.environments.filter((e) => !opts.env.length || opts.env.includes(e.key));
      const dots = envs.map((e) => environmentDot(fleet, e));
      const files = opts.format === "dot" ? dots : await renderSvg(dots);
      mkdirSync(opts.out, { recursive: true });
      envs.forEach((e, i) => writeFileSync(path.join(opts.out, `${e.key}.${opts.format}`), files[i]));
      process.stdout.write(`Wrote ${envs.length} diagrams to ${opts.out}/: ${envs.map((e) => `${e.key}.${opts.format}`).join(", ")}\n`);
    });

  cli
    .command("doctor")
    .description(
      "Read-only checks of a deployed environment with the AWS SDK (default credential chain, e.g. AWS_PROFILE for the proxy account): " +
        "Private CA status and expiry, images present in ECR, ECS tasks running and healthy, NLB target health, the execute-api endpoint, its DNS and the API's association, " +
        "and (--org) the SCP attachment. Each finding comes with its fix; exits 1 when a check fails.",
    )
    .argument("[fleet]", FLEET_ARG)
    .requiredOption("-e, --env <acquisition-environment>", "the environment to check, e.g. afterpay-staging")
    .addOption(
      new Option(
        "-d, --direction <direction>",
        "only this stack: the ingress stack runs in the proxy account, the egress stack in the acquisition's egress proxy account (other credentials)",
      ).choices(["ingress", "egress"]),
    )
    .option("--org", "also check the SCP attachment (needs management-account credentials)")
    .action(async (fleetArg: string | undefined, opts: { env: string; direction?: "ingress" | "egress"; org?: boolean }) => {
      const { fleet } = load(fleetArg);
      const env = fleet.environments.find((e) => e.key === opts.env);
      if (!env) throw new UsageError(`no environment ${opts.env}; the fleet has ${fleet.environments.map((e) => e.key).join(", ")}`);
      const full = doctorPlan(fleet, env, synthesizeFleet(fleet));
      const plan = { ...full, stacks: full.stacks.filter((st) => !opts.direction || st.stack.endsWith(`-${opts.direction}`)) };
      const findings = await runDoctor(plan, defaultClients(env.region, !!opts.org));
      process.stdout.write(formatFindings(findings));
      if (findings.some((f) => f.status === "fail")) process.exitCode = 1;
    });

  return cli;
}

export class UsageError extends Error {}

/** Run `argv` (without node and script); resolves to the exit status. */
export async function run(argv: readonly string[]): Promise<number> {
  try {
    const cli = program();
    // Subcommands do not inherit exitOverride once created: without it commander calls process.exit itself.
    for (const c of [cli, ...cli.commands]) c.exitOverride();
    await cli.parseAsync([...argv], { from: "user" });
    return Number(process.exitCode ?? 0);
  } catch (err) {
    const code = (err as { code?: string; exitCode?: number }).code;
    if (typeof code === "string" && code.startsWith("commander.")) {
      return code === "commander.helpDisplayed" || code === "commander.version" || code === "commander.help" ? 0 : 2;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`farcar: ${err.message} (see --help)\n`);
      return 2;
    }
    if (isUserError(err)) {
      process.stderr.write(`farcar: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
