/**
 * Real Terraform checks for synthesized stacks: `terraform plan` (which validates first) against
 * the AWS provider schema, offline — every stack of a test file as a child module of one root
 * (`planStacks`, `planModules`), and the planned values when a test needs them (`show`).
 *
 * DESIGN.md: when the filesystem mirror /opt/tf-plugins exists, TF_CLI_CONFIG_FILE points Terraform
 * at it. Only the TEST COPY of a stack is changed so it can plan without a network — the real
 * synthesized output is never touched:
 *  - the provider's assume_role is removed, fake credentials and skip_* flags are set;
 *  - the backend becomes local;
 *  - remote state behind cross-stack references points at a stand-in state file holding the
 *    referenced output names with placeholder values.
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { withMachineLock } from "./machine-lock";

const run = promisify(execFile);

export const PROVIDER_MIRROR = "/opt/tf-plugins";
export const TERRAFORM = process.env.TERRAFORM_BIN || "terraform";

/**
 * Provider installation. With the unpacked filesystem mirror, `terraform init` links each work
 * directory's provider straight into /opt/tf-plugins (a symlink, ~0.6 s): nothing to cache, and
 * no plugin_cache_dir is set — Terraform's plugin cache is not safe for concurrent `init`s
 * (hashicorp/terraform#31964), and two Jest workers initialising at once against one cache failed
 * with "could not read package directory … linux_amd64". Without a mirror, one cache serves every
 * `init` of the test run (and later runs) and inits are serialised by a machine-wide lock.
 * https://developer.hashicorp.com/terraform/cli/config/config-file#provider-plugin-cache
 */
export const PLUGIN_CACHE_DIR = process.env.TF_PLUGIN_CACHE_DIR || path.join(tmpdir(), "farcar-tf-plugin-cache");
const useMirror = () => existsSync(PROVIDER_MIRROR);

let cliConfig: string | undefined;

/** Environment for terraform: mirror config when present (else a shared plugin cache), fake credentials, no telemetry. */
export function terraformEnv(): NodeJS.ProcessEnv {
  if (cliConfig === undefined) {
    const dir = mkdtempSync(path.join(tmpdir(), "farcar-tfrc-"));
    cliConfig = path.join(dir, "terraform.rc");
    if (useMirror()) {
      writeFileSync(cliConfig, `provider_installation {\n  filesystem_mirror {\n    path = "${PROVIDER_MIRROR}"\n  }\n}\n`);
    } else {
      mkdirSync(PLUGIN_CACHE_DIR, { recursive: true });
      writeFileSync(cliConfig, `plugin_cache_dir = ${JSON.stringify(PLUGIN_CACHE_DIR)}\n`);
    }
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
    AWS_ACCESS_KEY_ID: "AKIAFARCARTESTFAKE00",
    AWS_SECRET_ACCESS_KEY: "farcar-test-fake-secret-key-not-real-0000",
    AWS_EC2_METADATA_DISABLED: "true",
    // Terraform and the provider are Go programs: Go's collector runs each time the heap doubles
    // (GOGC=100). At 400 the example fleet's plan takes 18% less CPU (19.8 → 16.3 s) for a peak
    // of ~580 MB instead of ~330 MB per process — the test machine has CPU to spare least.
    // https://pkg.go.dev/runtime#hdr-Environment_Variables
    GOGC: process.env.GOGC || "400",
  };
  // A TF_PLUGIN_CACHE_DIR from the caller's environment would override the CLI config's choice.
  if (useMirror()) delete env.TF_PLUGIN_CACHE_DIR;
  return env;
}

export interface TerraformResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** No terraform command of the tests may run longer than this: a hung provider fails the test, not CI. */
export const TERRAFORM_TIMEOUT_MS = Number(process.env.FARCAR_TERRAFORM_TIMEOUT_MS) || 240_000;

export async function terraform(cwd: string, args: string[]): Promise<TerraformResult> {
  // The shared plugin cache (no mirror) is not safe for concurrent inits: one at a time per machine.
  if (args[0] === "init" && !useMirror()) return withMachineLock("terraform-init", () => runTerraform(cwd, args), TERRAFORM_TIMEOUT_MS);
  return runTerraform(cwd, args);
}

async function runTerraform(cwd: string, args: string[]): Promise<TerraformResult> {
  try {
    const { stdout, stderr } = await run(TERRAFORM, args, {
      cwd,
      env: terraformEnv(),
      maxBuffer: 256 * 1024 * 1024,
      timeout: TERRAFORM_TIMEOUT_MS,
      killSignal: "SIGKILL",
    });
    return { ok: true, stdout, stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string; killed?: boolean; signal?: string };
    const timedOut = e.killed && e.signal === "SIGKILL" ? `terraform ${args[0]} killed after ${TERRAFORM_TIMEOUT_MS} ms (FARCAR_TERRAFORM_TIMEOUT_MS)\n` : "";
    return { ok: false, stdout: e.stdout ?? "", stderr: timedOut + (e.stderr || e.message) };
  }
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Placeholder for a remote-state output: a 12-digit account ID for account outputs. */
function standInValue(output: string): string {
  if (output.startsWith("account_id_")) {
    let h = 7;
    for (const c of output) h = (h * 31 + c.charCodeAt(0)) % 1e11;
    return String(1e11 + h).padStart(12, "2").slice(0, 12);
  }
  return `stand-in-${output}`;
}

/** A copy of the stack in `stackDir` that plans offline. Returns the copy's directory. */
export function offlineCopy(stackDir: string, into: string): string {
  const dest = path.join(into, path.basename(stackDir));
  mkdirSync(dest, { recursive: true });
  for (const entry of readdirSync(stackDir)) {
    if (entry === ".terraform" || entry.endsWith(".tfstate")) continue;
    cpSync(path.join(stackDir, entry), path.join(dest, entry), { recursive: true });
  }
  const file = path.join(dest, "cdk.tf.json");
  const text = readFileSync(file, "utf8");
  const tf: Json = JSON.parse(text);

  for (const provider of tf.provider?.aws ?? []) {
    delete provider.assume_role;
    delete provider.allowed_account_ids;
    Object.assign(provider, {
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
      skip_region_validation: true,
    });
  }
  if (tf.terraform?.backend) tf.terraform.backend = { local: { path: "terraform.tfstate" } };
  delete tf.terraform?.cloud;

  const remote: Json = tf.data?.terraform_remote_state ?? {};
  for (const [name, ds] of Object.entries<Json>(remote)) {
    const outputs = new Set<string>();
    for (const m of text.matchAll(new RegExp(`terraform_remote_state\\.${name}\\.outputs\\.([A-Za-z0-9_-]+)`, "g"))) outputs.add(m[1]);
    const statePath = path.join(dest, `stand-in.${name}.tfstate`);
    writeFileSync(
      statePath,
      JSON.stringify({
        version: 4,
        terraform_version: "1.11.0",
        serial: 1,
        lineage: "farcar-stand-in",
        outputs: Object.fromEntries([...outputs].map((o) => [o, { value: standInValue(o), type: "string" }])),
        resources: [],
      }),
    );
    remote[name] = { backend: "local", config: { path: statePath } };
    void ds;
  }
  writeFileSync(file, JSON.stringify(tf, null, 2));
  return dest;
}

// ---------------------------------------------------------------------------------------------
// Many stacks, one Terraform run. `terraform init` + `validate` + `plan` per stack starts the
// 700 MB AWS provider (and hashes it against the lock file) three times per stack; instead every
// stack becomes a child module of one root, initialised once and planned once (plan validates the
// whole configuration first, so `validate` adds nothing). Diagnostics and planned changes come
// back as `terraform plan -json` messages and are attributed to their stack by module address or
// by file, so a failure still names the stack and the resource.
// https://developer.hashicorp.com/terraform/internals/machine-readable-ui (diagnostic,
// planned_change, change_summary messages)
// ---------------------------------------------------------------------------------------------

/** One diagnostic of `terraform plan -json` (https://developer.hashicorp.com/terraform/internals/machine-readable-ui#diagnostic). */
export interface TerraformDiagnostic {
  readonly severity: "error" | "warning";
  readonly summary: string;
  readonly detail?: string;
  /** Resource address inside the stack, when Terraform names one (module prefix removed). */
  readonly address?: string;
  /** File and line inside the stack's copy, when Terraform names one. */
  readonly range?: { readonly filename: string; readonly start?: { readonly line: number; readonly column: number } };
}

export interface StackPlan {
  readonly stack: string;
  /** Init and plan of the root both succeeded, and nothing in this stack failed. */
  readonly ok: boolean;
  readonly errors: TerraformDiagnostic[];
  readonly warnings: TerraformDiagnostic[];
  /** Planned actions by resource address (module prefix removed): "create", "update", "delete", … */
  readonly changes: ReadonlyMap<string, string>;
  /** Set when the root failed for a reason not attributable to this stack (init failure, another stack's error). */
  readonly blockedBy?: string;
  /**
   * With `show`: every planned resource of this stack by address (module prefix removed), from
   * `terraform show -json` of the root's plan file. Empty when the plan failed.
   */
  readonly planned: ReadonlyMap<string, PlannedResource>;
}

/** One resource of `terraform show -json <plan>` (https://developer.hashicorp.com/terraform/internals/json-format#plan-representation). */
export interface PlannedResource {
  /** `resource_changes[].change.actions`: ["create"], ["update"], … */
  readonly actions: string[];
  /** `change.after`: the planned arguments and attributes (values known at plan time). */
  readonly after: Json;
  /** `change.after_unknown`: which attributes are known only after apply. */
  readonly unknown: Json;
  /** The resource's configuration expressions (literal arguments, templates and references), from `configuration`. */
  readonly expressions: Json | undefined;
}

export interface FleetPlan {
  readonly root: string;
  readonly init: TerraformResult;
  readonly plan?: TerraformResult;
  readonly stacks: StackPlan[];
  stack(name: string): StackPlan;
}

/** Module name of a stack in the root: stack directory names are DNS labels, valid Terraform identifiers once they start with a letter. */
function moduleName(stack: string): string {
  const name = stack.replace(/[^A-Za-z0-9_-]/g, "_");
  return /^[A-Za-z]/.test(name) ? name : `s_${name}`;
}

/**
 * The offline copy of a stack as a child module: a module cannot carry a backend (DESIGN.md: the
 * copy only). With `liftProvider`, the stack's single `provider "aws"` block is also removed from
 * the copy and returned without `default_tags`, to be passed from the root instead (see
 * `planStacks`) — when it can be: exactly one aws configuration, without alias, and no other
 * provider configured; otherwise the provider stays and undefined is returned.
 */
export function asChildModule(dir: string, liftProvider = false): Json | undefined {
  const file = path.join(dir, "cdk.tf.json");
  const tf: Json = JSON.parse(readFileSync(file, "utf8"));
  if (tf.terraform) {
    delete tf.terraform.backend;
    delete tf.terraform.cloud;
  }
  let lifted: Json | undefined;
  const providers: Json = tf.provider ?? {};
  const aws = providers.aws;
  if (liftProvider && Object.keys(providers).length === 1 && Array.isArray(aws) && aws.length === 1 && aws[0].alias === undefined) {
    const { default_tags: _tags, ...config } = aws[0] as Json;
    void _tags;
    lifted = config;
    delete tf.provider;
  }
  writeFileSync(file, JSON.stringify(tf, null, 2));
  return lifted;
}

/**
 * Writes a root that calls each directory in `modules` (name → directory) as a child module,
 * runs `terraform init` once and `terraform plan -json` once, and attributes every diagnostic and
 * planned change to its module (a file belongs to the deepest directory of `modules` holding it,
 * so a module and its example under it are told apart).
 */
export interface PlanModulesOptions {
  /** Merged into the root's main.tf.json (e.g. a provider block when the modules have none). */
  readonly rootExtra?: Json;
  /** Extra `terraform plan` arguments (`-var=...`). */
  readonly planArgs?: string[];
  /** `terraform validate -json` instead of plan: for modules whose inputs have no value to plan with. */
  readonly validateOnly?: boolean;
  /**
   * More directories (name → directory) that diagnostics are reported on, though the root does not
   * call them: modules called by the `modules`, e.g. a module under its example.
   */
  readonly alsoReport?: ReadonlyMap<string, string>;
  /**
   * Also read the planned values: the plan is written to a file (`plan -json -out=…` still prints
   * the diagnostics, in the same run) and `terraform show -json` reads it back once for every
   * module (StackPlan.planned). Costs one more provider start for the whole root.
   */
  readonly show?: boolean;
  /** Extra arguments of a module's call in the root, by module (stack) name: e.g. `providers`. */
  readonly moduleArgs?: ReadonlyMap<string, Json>;
}

/**
 * Variables without a default declared at the top level of a module directory (`*.tf` or
 * `*.tf.json`): a root calling it as a child must set them.
 */
export function requiredVariables(dir: string): string[] {
  const names: string[] = [];
  for (const file of readdirSync(dir)) {
    const text = () => readFileSync(path.join(dir, file), "utf8");
    if (file.endsWith(".tf.json")) {
      for (const [name, v] of Object.entries<Json>(JSON.parse(text()).variable ?? {})) if (!("default" in v)) names.push(name);
    } else if (file.endsWith(".tf")) {
      // Top-level blocks of `terraform fmt`-formatted HCL open at column 0 and close with "}" at column 0.
      for (const m of text().matchAll(/^variable "([^"]+)" \{\n([\s\S]*?)^\}/gm)) if (!/^ {2}default\s*=/m.test(m[2])) names.push(m[1]);
    }
  }
  return names.sort();
}

/**
 * Terraform's verdict on a module's input validation rules for the given values, without the cost
 * of validating the module itself. The root calls a module made of `dir`'s variable declarations
 * alone (every `variable` of its `*.tf.json` files, validation rules included): it has no
 * resources, so neither `init` nor `validate` starts the AWS provider (~0.3 s of CPU instead of
 * ~3 s to load the provider schema; issue 14). `terraform validate` evaluates a module input's
 * validation rules when the value is known; the module's other required inputs are left unknown
 * (root variables without a value), which no rule can refuse.
 * https://developer.hashicorp.com/terraform/language/values/variables#custom-validation-rules
 */
export async function validateInputs(dir: string, inputs: Json, work: string): Promise<TerraformResult> {
  const variable: Json = {};
  for (const file of readdirSync(dir)) {
    if (file.endsWith(".tf.json")) Object.assign(variable, JSON.parse(readFileSync(path.join(dir, file), "utf8")).variable ?? {});
    else if (file.endsWith(".tf")) throw new Error(`validateInputs: ${path.join(dir, file)} is HCL; only *.tf.json declarations are read`);
  }
  for (const name of Object.keys(inputs)) if (!(name in variable)) throw new Error(`validateInputs: ${dir} declares no variable "${name}"`);
  const root = mkdtempSync(path.join(work, "inputs-"));
  mkdirSync(path.join(root, "module"));
  writeFileSync(path.join(root, "module", "variables.tf.json"), JSON.stringify({ variable }, null, 2));
  const unknown = requiredVariables(path.join(root, "module")).filter((v) => !(v in inputs));
  writeFileSync(
    path.join(root, "main.tf.json"),
    JSON.stringify({
      ...(unknown.length ? { variable: Object.fromEntries(unknown.map((v) => [v, {}])) } : {}),
      module: { inputs: { source: "./module", ...Object.fromEntries(unknown.map((v) => [v, `\${var.${v}}`])), ...inputs } },
    }),
  );
  const init = await terraform(root, ["init", "-input=false", "-no-color"]);
  if (!init.ok) return init;
  return terraform(root, ["validate", "-no-color"]);
}

/** The plan file `planModules` writes in its root when asked to `show`. */
const PLAN_FILE = "farcar-test.tfplan";

export async function planModules(modules: ReadonlyMap<string, string>, root: string, options: PlanModulesOptions = {}): Promise<FleetPlan> {
  const { rootExtra = {}, planArgs = [], validateOnly = false, alsoReport = new Map<string, string>(), show = false } = options;
  if (show && validateOnly) throw new Error("planModules: show needs a plan, not validateOnly");
  mkdirSync(root, { recursive: true });
  const names = new Map<string, string>(); // module name → stack
  const dirs = new Map<string, string>(); // absolute directory → stack
  const module: Json = {};
  const variable: Json = {};
  for (const [stack, dir] of modules) {
    const name = moduleName(stack);
    if (names.has(name)) throw new Error(`planModules: two stacks map to module name "${name}"`);
    names.set(name, stack);
    dirs.set(path.resolve(dir), stack);
    const rel = path.relative(root, dir);
    module[name] = { source: rel.startsWith(".") ? rel : `./${rel}`, ...options.moduleArgs?.get(stack) };
    if (validateOnly) {
      // validate needs no values: a root variable without one is unknown, and so is what it feeds.
      for (const v of requiredVariables(dir)) {
        variable[`${name}__${v}`] = {};
        module[name][v] = `\${var.${name}__${v}}`;
      }
    }
  }
  writeFileSync(path.join(root, "main.tf.json"), JSON.stringify({ ...rootExtra, ...(Object.keys(variable).length ? { variable } : {}), module }, null, 2));
  for (const [name, dir] of alsoReport) dirs.set(path.resolve(dir), name);
  const reported = new Map([...modules, ...alsoReport]);

  const blank = () => ({ errors: [] as TerraformDiagnostic[], warnings: [] as TerraformDiagnostic[], changes: new Map<string, string>(), planned: new Map<string, PlannedResource>() });
  const per = new Map([...reported.keys()].map((s) => [s, blank()]));
  const unattributed: TerraformDiagnostic[] = [];
  const result = (init: TerraformResult, plan?: TerraformResult): FleetPlan => {
    const rootFailed = !init.ok || !plan?.ok;
    const failedStacks = [...per].filter(([, p]) => p.errors.length).map(([s]) => s);
    const why = !init.ok
      ? `terraform init of the root failed:\n${init.stderr}\n${init.stdout.slice(-3000)}`
      : failedStacks.length
        ? `plan stopped on errors in ${failedStacks.join(", ")}`
        : `terraform plan of the root failed:\n${unattributed.map(formatDiagnostic).join("\n")}\n${plan?.stderr ?? ""}`;
    const stacks = [...per].map(([stack, p]) => {
      const ok = !rootFailed && !p.errors.length;
      return { stack, ...p, ok, ...(rootFailed && !p.errors.length ? { blockedBy: why } : {}) };
    });
    return {
      root,
      init,
      plan,
      stacks,
      stack: (name) => stacks.find((s) => s.stack === name) ?? (() => { throw new Error(`no stack "${name}" in this plan`); })(),
    };
  };

  const init = await terraform(root, ["init", "-input=false", "-no-color"]);
  if (!init.ok) return result(init);
  const plan = validateOnly
    ? await terraform(root, ["validate", "-json", "-no-color"])
    : await terraform(root, ["plan", "-json", "-input=false", "-lock=false", "-refresh=false", "-no-color", ...(show ? [`-out=${PLAN_FILE}`] : []), ...planArgs]);

  /** The stack a module address or file belongs to. */
  const stackOfAddress = (address?: string) => {
    const m = /^module\.([^.[]+)/.exec(address ?? "");
    return m ? names.get(m[1]) : undefined;
  };
  const stackOfFile = (filename?: string) => {
    if (!filename) return undefined;
    const abs = path.resolve(root, filename);
    let best: string | undefined;
    for (const dir of dirs.keys()) if ((abs === dir || abs.startsWith(dir + path.sep)) && (!best || dir.length > best.length)) best = dir;
    return best && dirs.get(best);
  };
  const local = (address?: string) => address?.replace(/^module\.[^.[]+\./, "");

  // plan -json: one message per line; validate -json: one document with a diagnostics list.
  const messages: Json[] = [];
  for (const line of validateOnly ? [plan.stdout] : plan.stdout.split("\n")) {
    if (!line.trim().startsWith("{")) continue;
    try {
      const msg: Json = JSON.parse(line);
      if (validateOnly) messages.push(...(msg.diagnostics ?? []).map((diagnostic: Json) => ({ type: "diagnostic", diagnostic })));
      else messages.push(msg);
    } catch {
      continue;
    }
  }
  for (const msg of messages) {
    if (msg.type === "diagnostic") {
      const d: Json = msg.diagnostic;
      const stack = stackOfFile(d.range?.filename) ?? stackOfAddress(d.address);
      const diag: TerraformDiagnostic = {
        severity: d.severity,
        summary: d.summary,
        detail: d.detail,
        address: local(d.address),
        range: d.range ? { filename: path.relative(stack ? reported.get(stack)! : root, path.resolve(root, d.range.filename)), start: d.range.start } : undefined,
      };
      if (!stack) unattributed.push(diag);
      else (d.severity === "error" ? per.get(stack)!.errors : per.get(stack)!.warnings).push(diag);
    } else if (msg.type === "planned_change") {
      const r: Json = msg.change.resource;
      const stack = names.get(String(r.module ?? "").replace(/^module\./, "").replace(/\[.*$/, ""));
      if (stack) per.get(stack)!.changes.set(local(r.addr)!, msg.change.action);
    }
  }
  // A warning Terraform cannot place (e.g. about the CLI configuration) is every stack's business.
  for (const d of unattributed) if (d.severity === "warning") for (const p of per.values()) p.warnings.push(d);
  if (show && plan.ok) {
    const shown = await terraform(root, ["show", "-json", "-no-color", PLAN_FILE]);
    if (!shown.ok) return result(init, { ok: false, stdout: plan.stdout, stderr: `terraform show -json ${PLAN_FILE} failed:\n${shown.stderr}` });
    const json: Json = JSON.parse(shown.stdout);
    const calls: Json = json.configuration?.root_module?.module_calls ?? {};
    for (const rc of (json.resource_changes ?? []) as Json[]) {
      // module_address "module.<name>" (or deeper: "module.<name>.module.<child>"): the stack is the first module.
      const name = /^module\.([^.[]+)/.exec(rc.module_address ?? "")?.[1];
      const stack = name && names.get(name);
      if (!stack) continue;
      const address = local(rc.address)!;
      const expressions = (calls[name!]?.module?.resources as Json[] | undefined)?.find((r) => r.address === address)?.expressions;
      per.get(stack)!.planned.set(address, { actions: rc.change.actions, after: rc.change.after, unknown: rc.change.after_unknown, expressions });
    }
  }
  return result(init, plan);
}

/**
 * Plans every stack directory in `stackDirs` (as synthesized: `<outdir>/stacks/<name>`) as one
 * Terraform root under `workDir`: offline copies (see `offlineCopy`) as child modules, each
 * reported under its directory name. Variants of one stack (the same stack synthesized from
 * different fleets) are planned side by side by giving `stackDirs` as a map: label → directory,
 * each reported under its label.
 *
 * Stacks whose provider blocks are equal but for `default_tags` share one provider instance
 * passed from the root: every provider configuration in a root is its own plugin process, and each
 * costs ~0.85 s of CPU in plan and ~0.45 s in validate (measured on the example fleet's 13 stacks:
 * plan 21 → 10 CPU-s with one shared instance; issue 14). What sharing gives up: the stacks'
 * `default_tags`, so planned `tags_all` lacks them — module-export/tags-plan, which tests them,
 * builds its own root with the stack's own provider.
 * https://developer.hashicorp.com/terraform/language/modules/develop/providers#passing-providers-explicitly
 */
export async function planStacks(
  stackDirs: readonly string[] | ReadonlyMap<string, string>,
  workDir: string,
  options: Pick<PlanModulesOptions, "show"> = {},
): Promise<FleetPlan> {
  const root = mkdtempSync(path.join(workDir, "fleet-"));
  const labelled = Array.isArray(stackDirs) ? stackDirs.map((dir) => [path.basename(dir), dir] as const) : [...(stackDirs as ReadonlyMap<string, string>)];
  const modules = new Map<string, string>();
  const shared = new Map<string, Json>(); // provider configuration (JSON) → root provider block with alias
  const moduleArgs = new Map<string, Json>();
  for (const [label, stackDir] of labelled) {
    if (modules.has(label)) throw new Error(`planStacks: two stacks labelled "${label}"`);
    const copy = offlineCopy(stackDir, Array.isArray(stackDirs) ? root : path.join(root, label));
    // One stack alone keeps its own provider: sharing would save nothing and lose its default_tags.
    const config = asChildModule(copy, labelled.length > 1);
    modules.set(label, copy);
    if (!config) continue;
    const key = JSON.stringify(config); // generated by one function: same settings, same key order
    if (!shared.has(key)) shared.set(key, { ...config, alias: `shared_${shared.size}` });
    moduleArgs.set(label, { providers: { aws: `aws.${shared.get(key)!.alias}` } });
  }
  const rootExtra = shared.size ? { provider: { aws: [...shared.values()] } } : {};
  return planModules(modules, root, { ...options, rootExtra, moduleArgs });
}

/** `file:line:col` of a diagnostic, or "". */
function where(d: TerraformDiagnostic): string {
  return d.range ? `${d.range.filename}${d.range.start ? `:${d.range.start.line}:${d.range.start.column}` : ""}: ` : "";
}

export function formatDiagnostic(d: TerraformDiagnostic): string {
  return `  ${d.severity}: ${where(d)}${d.address ? `${d.address}: ` : ""}${d.summary}${d.detail ? ` — ${d.detail}` : ""}`;
}

/** Human summary of a stack's plan result, for assertion messages: the stack, then each error and warning with its resource. */
export function describeStackPlan(p: StackPlan): string {
  const lines = [`${p.stack}: ${p.ok ? "planned" : "FAILED"}`];
  if (p.blockedBy) lines.push(`  not planned: ${p.blockedBy}`);
  lines.push(...p.errors.map(formatDiagnostic), ...p.warnings.map(formatDiagnostic));
  return lines.join("\n");
}
