/**
 * Real Terraform checks for synthesized stacks: `terraform init` + `validate` + `plan` against
 * the AWS provider schema, offline.
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

const run = promisify(execFile);

export const PROVIDER_MIRROR = "/opt/tf-plugins";
export const TERRAFORM = process.env.TERRAFORM_BIN || "terraform";

let cliConfig: string | undefined;

/** Environment for terraform: mirror config when present, fake credentials, no telemetry. */
export function terraformEnv(): NodeJS.ProcessEnv {
  if (cliConfig === undefined && existsSync(PROVIDER_MIRROR)) {
    const dir = mkdtempSync(path.join(tmpdir(), "farcar-tfrc-"));
    cliConfig = path.join(dir, "terraform.rc");
    writeFileSync(cliConfig, `provider_installation {\n  filesystem_mirror {\n    path = "${PROVIDER_MIRROR}"\n  }\n}\n`);
  }
  return {
    ...process.env,
    ...(cliConfig ? { TF_CLI_CONFIG_FILE: cliConfig } : {}),
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
    AWS_ACCESS_KEY_ID: "AKIAFARCARTESTFAKE00",
    AWS_SECRET_ACCESS_KEY: "farcar-test-fake-secret-key-not-real-0000",
    AWS_EC2_METADATA_DISABLED: "true",
  };
}

export interface TerraformResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

export async function terraform(cwd: string, args: string[]): Promise<TerraformResult> {
  try {
    const { stdout, stderr } = await run(TERRAFORM, args, { cwd, env: terraformEnv(), maxBuffer: 64 * 1024 * 1024 });
    return { ok: true, stdout, stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, stdout: e.stdout ?? "", stderr: e.stderr || e.message };
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

export interface StackCheck {
  readonly stack: string;
  readonly init: TerraformResult;
  readonly validate?: TerraformResult & { json?: Json };
  readonly plan?: TerraformResult;
}

/** init + validate + plan on an offline copy of `stackDir`. */
export async function checkStack(stackDir: string, workDir: string): Promise<StackCheck> {
  const dir = offlineCopy(stackDir, workDir);
  const stack = path.basename(stackDir);
  const init = await terraform(dir, ["init", "-input=false", "-no-color", "-backend=true"]);
  if (!init.ok) return { stack, init };
  const v = await terraform(dir, ["validate", "-json", "-no-color"]);
  let json: Json | undefined;
  try {
    json = JSON.parse(v.stdout);
  } catch {
    json = undefined;
  }
  const validate = { ...v, json };
  if (!v.ok) return { stack, init, validate };
  const plan = await terraform(dir, ["plan", "-input=false", "-lock=false", "-no-color", "-refresh=false"]);
  return { stack, init, validate, plan };
}

/** Human summary of a failed check, for assertion messages. */
export function describeFailure(c: StackCheck): string {
  const step = !c.init.ok ? c.init : c.validate && !c.validate.ok ? c.validate : c.plan;
  return `${c.stack}: ${step?.stderr}\n${step?.stdout.slice(-4000)}`;
}
