/**
 * Fleet-file problems, in one voice: `file:line:col  yaml.path  message (got value)`.
 * A FleetError carries every problem found, never just the first.
 */

export interface FleetProblem {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  /** YAML path in dotted form, e.g. acquisitions.afterpay.environments.staging.network.proxyVpcCidr */
  readonly path: string;
  /** What is wrong and what is allowed / the fix. */
  readonly message: string;
  /** The value received, rendered for humans (absent when the field is missing). */
  readonly received?: string;
}

export function formatProblem(p: FleetProblem): string {
  const where = p.line ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
  const got = p.received !== undefined ? ` (got ${p.received})` : "";
  return `${where}: ${p.path || "(root)"}: ${p.message}${got}`;
}

export class FleetError extends Error {
  constructor(readonly problems: readonly FleetProblem[]) {
    super(
      `${problems.length} problem${problems.length === 1 ? "" : "s"} in the fleet file; nothing was synthesized:\n` +
        problems.map((p) => `  ${formatProblem(p)}`).join("\n"),
    );
    this.name = "FleetError";
  }
}

/** Path segments → `a.b[0].c` */
export function dottedPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

/** A received value, short enough for one line. */
export function render(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

/**
 * A fleet that is valid on its own but cannot be built (an AWS quota would be exceeded, …).
 * Raised during synthesis; main.ts prints it without a stack trace, and nothing is written.
 */
export class SynthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SynthError";
  }
}
