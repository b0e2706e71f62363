/**
 * Cross-stack references in module mode. A stack reads the ID of a proxy account the `org` stack
 * creates from that stack's state (`data.terraform_remote_state.<name>.outputs.account_id_…`).
 * A module cannot know where another configuration keeps its state, so the read becomes an input:
 * the variable `proxy_account_id`, typed, described and validated as a 12-digit account ID, which
 * the caller wires from the org module's output (or any other source).
 *
 * Only the account the stack deploys into (the one its provider assumes a role in) is mapped;
 * any other remote-state read is reported, never silently dropped.
 */
export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const PROXY_ACCOUNT_ID_VARIABLE = "proxy_account_id";

/** Outputs of the org stack that carry a proxy account ID (config/names.ts accountIdOutputName). */
const ACCOUNT_ID_OUTPUT = /^account_id_/;

const REFERENCE = /data\.terraform_remote_state\.([A-Za-z0-9_-]+)\.outputs(?:\.([A-Za-z0-9_-]+)|\["([^"\\]+)"\])/g;

/** One output read from another stack's state. */
export interface RemoteStateRead {
  /** Name of the terraform_remote_state data source. */
  readonly dataSource: string;
  /** Output read from it. */
  readonly output: string;
  /** The reference as written, e.g. `data.terraform_remote_state.org-state.outputs.account_id_a_b`. */
  readonly reference: string;
}

/** Every distinct remote-state output referenced anywhere in `value`. */
export function remoteStateReads(value: unknown): RemoteStateRead[] {
  const found = new Map<string, RemoteStateRead>();
  forEachString(value, (s) => {
    for (const m of s.matchAll(REFERENCE)) {
      const output = m[2] ?? m[3];
      const key = `${m[1]}\u0000${output}`;
      if (!found.has(key)) found.set(key, { dataSource: m[1], output, reference: `data.terraform_remote_state.${m[1]}.outputs.${output}` });
    }
  });
  return [...found.values()];
}

/** True when `read` is the ID of an account, per the org stack's output names. */
export function isAccountIdRead(read: RemoteStateRead): boolean {
  return ACCOUNT_ID_OUTPUT.test(read.output);
}

/** `value` with every reference to `read` replaced by the expression `replacement` (e.g. `var.x`). */
export function replaceRemoteStateRead<T>(value: T, read: RemoteStateRead, replacement: string): T {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(
    `data\\.terraform_remote_state\\.${esc(read.dataSource)}\\.outputs(?:\\.${esc(read.output)}(?![A-Za-z0-9_-])|\\["${esc(read.output)}"\\])`,
    "g",
  );
  return mapStrings(value, (s) => s.replace(pattern, replacement)) as T;
}

/** The module variable that replaces a read of the account the stack deploys into. */
export function proxyAccountIdVariable(read: RemoteStateRead, where?: { acquisition?: string; environment?: string }): Json {
  const whose = where?.acquisition && where.environment ? ` of ${where.acquisition}/${where.environment}` : "";
  return {
    type: "string",
    description:
      `ID of the AWS account this module deploys into: the proxy account${whose} (12 digits). ` +
      `The Farcar org stack/module creates it: pass its output ${read.output}.`,
    validation: [
      {
        condition: `\${can(regex("^[0-9]{12}$", var.${PROXY_ACCOUNT_ID_VARIABLE}))}`,
        error_message: `${PROXY_ACCOUNT_ID_VARIABLE} must be a 12-digit AWS account ID.`,
      },
    ],
  };
}

export function forEachString(value: unknown, visit: (s: string) => void): void {
  if (typeof value === "string") visit(value);
  else if (Array.isArray(value)) value.forEach((v) => forEachString(v, visit));
  else if (value && typeof value === "object") Object.values(value).forEach((v) => forEachString(v, visit));
}

function mapStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === "string") return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, f)]));
  return value;
}
