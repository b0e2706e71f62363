/** Plain-text rendering of an isolation report (what `npm run verify` prints). */
import type { IsolationReport, Mismatch, StackIsolationReport } from "./isolation";

export interface FormatOptions {
  /** Mismatch lines printed per stack, cases differing only in the method on one line (default 50; the count is always printed). */
  readonly maxMismatches?: number;
  /** Print every reference substitution (default: one line per stack). */
  readonly verbose?: boolean;
}

/** One line per mismatching case; `methods` lists several cases that differ only in the method. */
export function formatMismatch(m: Mismatch, methods: readonly string[] = [m.method]): string {
  const endpoint = m.endpoint.id ? `${m.endpoint.id} (${m.endpoint.label})` : m.endpoint.label;
  const decisive = m.decisive?.length ? ` [${m.decisive.join(", ")}]` : "";
  return (
    `MISMATCH ${m.stack}: ${m.principal} (${m.principalLabel}), identity policy ${m.identity}: ` +
    `${methods.join(",")} ${m.path} via ${endpoint}: expected ${m.expected}, got ${m.got}${decisive} — path: ${m.pathWhy}`
  );
}

/** Mismatches that differ only in the HTTP method, grouped (report order kept). */
export function groupByMethod(mismatches: readonly Mismatch[]): Array<{ first: Mismatch; methods: string[] }> {
  const groups = new Map<string, { first: Mismatch; methods: string[] }>();
  for (const m of mismatches) {
    const key = JSON.stringify([m.principal, m.identity, m.path, m.endpoint.kind, m.endpoint.id, m.expected, m.got, m.decisive]);
    const g = groups.get(key);
    if (g) g.methods.push(m.method);
    else groups.set(key, { first: m, methods: [m.method] });
  }
  return [...groups.values()];
}

export function formatReport(report: IsolationReport, options: FormatOptions = {}): string {
  const max = options.maxMismatches ?? 50;
  const lines: string[] = [];
  // One row per stack, summed over its APIs (one per service).
  const byStack = new Map<string, StackIsolationReport[]>();
  for (const s of report.stacks) byStack.set(s.stack, [...(byStack.get(s.stack) ?? []), s]);
  if (report.stacks.length) {
    lines.push("Terraform references replaced by fake but consistent values (iam-simulate needs concrete ARNs):");
    for (const [stack, apis] of byStack) {
      const s = apis[0];
      const standIn = s.substitutions.find((x) => x.note.startsWith("stand-in"));
      lines.push(
        `  ${s.stack}: execution ARN arn:…:execute-api:…:${s.apiAccountId}:${s.apiId} (fake API id` +
          `${standIn ? `; account ${s.apiAccountId} is a ${standIn.note}` : ""}), ` +
          `stage ${s.stage}, endpoint ${s.endpointId} (fake); execute-api:/ shorthands expanded: ${apis.reduce((n, a) => n + a.shorthandsExpanded, 0)}` +
          (apis.length > 1 ? `; and ${apis.length - 1} more API(s) in ${stack}, each with its own fake id` : ""),
      );
      if (options.verbose) for (const a of apis) for (const x of a.substitutions) lines.push(`      ${x.reference} → ${x.value}  (${x.note})`);
    }
    lines.push("");
  }
  const rows = [
    ["stack", "APIs", "services", "principals", "paths", "cases", "allowed", "denied", "mismatches", "integrations traced", "time"],
    ...[...byStack].map(([stack, apis]) => {
      const sum = (f: (s: StackIsolationReport) => number) => apis.reduce((n, s) => n + f(s), 0);
      return [
        stack,
        String(apis.length),
        String(sum((s) => s.services.length)),
        // Per API; the largest when a stack has several.
        String(Math.max(...apis.map((s) => s.principals))),
        String(Math.max(...apis.map((s) => s.paths))),
        String(sum((s) => s.cases)),
        String(sum((s) => s.allowed)),
        String(sum((s) => s.denied)),
        String(sum((s) => s.mismatches.length)),
        String(sum((s) => s.integrationsTraced)),
        `${(sum((s) => s.ms) / 1000).toFixed(2)} s`,
      ];
    }),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) lines.push(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "));
  for (const s of report.stacks) {
    if (!s.mismatches.length) continue;
    lines.push("");
    const groups = groupByMethod(s.mismatches);
    for (const g of groups.slice(0, max)) lines.push(formatMismatch(g.first, g.methods));
    if (groups.length > max) lines.push(`… and ${groups.length - max} more lines (${s.mismatches.length} mismatching cases in all) in ${s.stack}`);
  }
  if (report.notes.length) {
    lines.push("");
    for (const n of report.notes) lines.push(`note: ${n}`);
  }
  const e = report.engine;
  lines.push("");
  lines.push(
    `engine: ${e.name} ${e.version}, ` +
      (e.mode === "fast"
        ? `runUnsafeSimulation on pre-validated policies; ${e.settled} cases expected denied settled without it, no Allow statement could apply (verify/no-allow.ts); ` +
          `${e.crossChecked} cases re-run with runSimulation: ` +
          (e.disagreements.length ? `${e.disagreements.length} DISAGREE` : "all agree")
        : "runSimulation for every case"),
  );
  for (const d of e.disagreements.slice(0, max)) lines.push(`ENGINE DISAGREEMENT ${d}`);
  for (const p of report.problems) lines.push(`PROBLEM ${p}`);
  lines.push(
    `${report.ok ? "OK" : "FAILED"}: ${report.cases} cases over ${report.stacks.length} API(s), ` +
      `${report.mismatches} mismatch(es), ${report.problems.length} problem(s) in ${(report.ms / 1000).toFixed(2)} s`,
  );
  return lines.join("\n");
}
