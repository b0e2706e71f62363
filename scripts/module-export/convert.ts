/**
 * One synthesized stack (cdk.tf.json) → the configuration of a Terraform module:
 *
 * - no `provider` block and no `backend`/`cloud` (the caller configures both); `versions.tf.json`
 *   declares `required_version` and `required_providers` with version ranges instead;
 * - the account ID read from another stack's state becomes the variable `proxy_account_id`
 *   (remote-state.ts);
 * - every variable must have a type and a description, every output a description;
 * - split like the standard module structure: versions, variables, outputs, locals, data, main.
 *
 * Tags: the provider's default_tags are carried onto each resource by ModuleTagsAspect before
 * synthesis (module-tags.ts), so dropping the provider block loses nothing.
 *
 * Files are Terraform JSON (`*.tf.json`), not HCL: cdktf's HCL renderer is not faithful for these
 * stacks (help/modules.md, "Why .tf.json").
 */
import { problems as p, type ModuleExportProblem } from "./errors";
import {
  isAccountIdRead,
  PROXY_ACCOUNT_ID_VARIABLE,
  proxyAccountIdVariable,
  remoteStateReads,
  replaceRemoteStateRead,
  forEachString,
  type Json,
  type RemoteStateRead,
} from "./remote-state";
import { PROVIDER_REQUIREMENTS, TERRAFORM_REQUIRED_VERSION } from "./versions";

export type StackKind = "org" | "ingress" | "egress" | "images" | "other";

/** What the exporter knows about a stack besides its synthesized JSON. */
export interface StackInfo {
  readonly name: string;
  readonly kind: StackKind;
  readonly acquisition?: string;
  readonly environment?: string;
  /** For an images stack: the proxy stack whose account holds its repositories. */
  readonly proxyStack?: { readonly name: string; readonly kind: "ingress" | "egress" };
}

export interface ModuleVariable {
  readonly name: string;
  readonly type: string;
  readonly description: string;
  /** Absent when the variable is required. */
  readonly default?: unknown;
  readonly required: boolean;
  readonly sensitive: boolean;
}

export interface ModuleOutput {
  readonly name: string;
  readonly description: string;
  readonly sensitive: boolean;
}

export interface ConvertedModule {
  readonly stack: StackInfo;
  readonly variables: readonly ModuleVariable[];
  readonly outputs: readonly ModuleOutput[];
  /** The stack's provider settings without default_tags, remote-state reads replaced (README, example). */
  readonly provider: Json;
  /** The remote-state read that became `proxy_account_id`, if any. */
  readonly proxyAccountRead?: RemoteStateRead;
  /** Resource count by type. */
  readonly resources: Readonly<Record<string, number>>;
  /** Terraform JSON files by name (versions.tf.json, …). */
  readonly files: Readonly<Record<string, Json>>;
}

/** Top-level keys with a file of their own; every other key goes to main.tf.json. */
const OWN_FILE: Readonly<Record<string, string>> = {
  variable: "variables.tf.json",
  output: "outputs.tf.json",
  locals: "locals.tf.json",
  data: "data.tf.json",
};

/** Keys of the `terraform` block a module must not have, or that the exporter sets itself. */
const TERRAFORM_KEYS_REPLACED = new Set(["backend", "cloud", "required_providers", "required_version"]);

export function convertStack(stack: StackInfo, synthesized: Json, header: string): { module?: ConvertedModule; problems: ModuleExportProblem[] } {
  const problems: ModuleExportProblem[] = [];
  let tf: Json = stripMetadata(synthesized);

  // --- providers: one per type, with a known version range ---------------------------------------
  const providerBlocks: Json = tf.provider ?? {};
  for (const [type, configs] of Object.entries<Json[]>(providerBlocks)) {
    if (configs.length > 1) problems.push(p.severalProviders(stack.name, type, configs.map((c) => (c.alias ? `alias "${c.alias}"` : "default"))));
  }
  const requiredProviders: Json = {};
  const declared: Json = tf.terraform?.required_providers ?? {};
  for (const type of new Set([...Object.keys(declared), ...Object.keys(providerBlocks)])) {
    const requirement = PROVIDER_REQUIREMENTS[type];
    if (!requirement) problems.push(p.unknownProvider(stack.name, type, declared[type]?.source ?? type));
    else requiredProviders[type] = { source: requirement.source, version: requirement.version };
  }

  // --- remote state → proxy_account_id --------------------------------------------------------
  const reads = remoteStateReads(tf);
  const providerText = JSON.stringify(providerBlocks);
  const accountReads = reads.filter((r) => isAccountIdRead(r) && providerText.includes(r.reference));
  for (const r of reads) if (!accountReads.includes(r)) problems.push(p.unmappedRemoteState(stack.name, r.reference));
  if (accountReads.length > 1) problems.push(p.severalRemoteAccounts(stack.name, accountReads.map((r) => r.reference)));
  const proxyAccountRead = accountReads.length === 1 ? accountReads[0] : undefined;
  if (proxyAccountRead) {
    if (tf.variable?.[PROXY_ACCOUNT_ID_VARIABLE]) problems.push(p.reservedName(stack.name, "variable", PROXY_ACCOUNT_ID_VARIABLE));
    tf = replaceRemoteStateRead(tf, proxyAccountRead, `var.${PROXY_ACCOUNT_ID_VARIABLE}`);
    tf.variable = { [PROXY_ACCOUNT_ID_VARIABLE]: proxyAccountIdVariable(proxyAccountRead, stack), ...(tf.variable ?? {}) };
  }
  if (tf.data?.terraform_remote_state) {
    for (const r of reads) delete tf.data.terraform_remote_state[r.dataSource];
    if (!Object.keys(tf.data.terraform_remote_state).length) delete tf.data.terraform_remote_state;
    if (!Object.keys(tf.data).length) delete tf.data;
  }

  // --- the contract: typed, described variables; described outputs ------------------------------
  const variables: ModuleVariable[] = Object.entries<Json>(tf.variable ?? {}).map(([name, v]) => {
    if (!nonEmpty(v.type)) problems.push(p.missingVariableType(stack.name, name));
    if (!nonEmpty(v.description)) problems.push(p.missingVariableDescription(stack.name, name));
    const required = !("default" in v);
    return { name, type: v.type ?? "", description: v.description ?? "", required, ...(required ? {} : { default: v.default }), sensitive: v.sensitive === true };
  });
  const outputs: ModuleOutput[] = Object.entries<Json>(tf.output ?? {}).map(([name, o]) => {
    if (!nonEmpty(o.description)) problems.push(p.missingOutputDescription(stack.name, name));
    return { name, description: o.description ?? "", sensitive: o.sensitive === true };
  });

  // --- split into files --------------------------------------------------------------------------
  const terraformRest = Object.fromEntries(Object.entries<unknown>(tf.terraform ?? {}).filter(([k]) => !TERRAFORM_KEYS_REPLACED.has(k)));
  const files: Record<string, Json> = {
    "versions.tf.json": {
      "//": header,
      terraform: { required_version: TERRAFORM_REQUIRED_VERSION, required_providers: requiredProviders, ...terraformRest },
    },
    "variables.tf.json": { "//": header, ...(variables.length ? { variable: tf.variable } : {}) },
    "outputs.tf.json": { "//": header, ...(outputs.length ? { output: tf.output } : {}) },
  };
  const main: Json = { "//": header };
  for (const [key, value] of Object.entries<unknown>(tf)) {
    if (key === "terraform" || key === "provider" || key === "variable" || key === "output") continue;
    const file = OWN_FILE[key];
    if (file) files[file] = { "//": header, [key]: value };
    else main[key] = value;
  }
  files["main.tf.json"] = main;

  // Belt and braces: nothing of the root-module configuration may survive.
  const leftovers: string[] = [];
  forEachString(files, (s) => {
    if (s.includes("terraform_remote_state")) leftovers.push(s);
  });
  if (leftovers.length && !problems.length) throw new Error(`${stack.name}: remote-state reference left after conversion: ${leftovers[0]}`);

  const provider = replaceAll(withoutDefaultTags(providerBlocks.aws?.[0] ?? {}), proxyAccountRead);
  const resources: Record<string, number> = {};
  for (const [type, byName] of Object.entries<Json>(tf.resource ?? {})) resources[type] = Object.keys(byName).length;

  return problems.length
    ? { problems }
    : { module: { stack, variables, outputs, provider, proxyAccountRead, resources, files }, problems };
}

/** Without cdktf's metadata comments ("//") at the top level and in resource and data bodies. */
function stripMetadata(tf: Json): Json {
  const copy: Json = JSON.parse(JSON.stringify(tf));
  delete copy["//"];
  for (const section of ["resource", "data"]) {
    for (const byName of Object.values<Json>(copy[section] ?? {})) {
      for (const body of Object.values<Json>(byName)) delete body["//"];
    }
  }
  return copy;
}

function withoutDefaultTags(provider: Json): Json {
  const { default_tags: _defaultTags, ...rest } = provider;
  void _defaultTags;
  return rest;
}

function replaceAll(value: Json, read: RemoteStateRead | undefined): Json {
  return read ? replaceRemoteStateRead(value, read, `var.${PROXY_ACCOUNT_ID_VARIABLE}`) : value;
}

function nonEmpty(v: unknown): boolean {
  return typeof v === "string" && v.trim().length > 0;
}
