/**
 * `npm run cost [-- --fleet FILE] [--prices FILE] [--json] [--quotas]`: the fixed monthly cost of every
 * environment of a fleet, per stack and per service, from the price table in config/prices.json
 * (per region, with its sources and the date they were read), next to the article's layout
 * (own NLB + 2 tasks + own CA per service). Farcar's identity layer is ONE short-lived CA per
 * environment, whatever the number of services (help/identity.md, "Cost per environment"); an
 * adopted CA is billed to its owner. help/scaling.md explains the figures.
 *
 * "Fixed" = billed while no request flows (NLB hours, Fargate tasks, interface endpoints, CAs)
 * plus the small traffic baseline stated in the price table's `assumptions` (NLCU, log ingestion).
 * Request-driven charges (API Gateway requests, endpoint data processing, data transfer) are not
 * included: they depend on traffic, not on the layout.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { FleetError } from "../config/errors";
import type { Fleet } from "../config/fleet";
import { DEFAULT_FLEET_FILE, loadFleet } from "../config/load";
import { PROJECT_ROOT } from "../config/project-root";
import type { CpuArchitecture } from "../config/schema";
import { PROXY_INTERFACE_ENDPOINTS } from "../modules/network/proxy-vpc";
import { servicesPerNlb } from "../config/lock";
import { articleLayoutCounts, layoutCounts, type LayoutCounts } from "../modules/private-api/layout";
import { directionQuotaInput, formatQuotaLine, measureQuotas } from "../stacks/quotas";
import { directionSlots } from "../config/lock";

export const DEFAULT_PRICES_FILE = path.join(PROJECT_ROOT, "config", "prices.json");


export interface RegionPrices {
  readonly verified: boolean;
  readonly retrieved: string;
  readonly sources: Record<string, string>;
  readonly nlbHour: number;
  readonly nlcuHour: number;
  readonly fargate: Record<CpuArchitecture, { readonly vcpuHour: number; readonly gbHour: number }>;
  readonly interfaceEndpointAzHour: number;
  readonly privateCaMonth: { readonly GENERAL_PURPOSE: number; readonly SHORT_LIVED_CERTIFICATE: number };
  readonly logsIngestGb: number;
}

export interface PriceTable {
  readonly hoursPerMonth: number;
  readonly assumptions: { readonly nlcuPerServiceHour: number; readonly logGbPerTaskMonth: number };
  readonly regions: Readonly<Record<string, RegionPrices>>;
}

export function loadPrices(file = DEFAULT_PRICES_FILE): PriceTable {
  let table: PriceTable;
  try {
    table = JSON.parse(readFileSync(file, "utf8")) as PriceTable;
  } catch (err) {
    throw new CostError(`${file}: cannot read the price table (${(err as Error).message}); fix: name a JSON file shaped like config/prices.json`);
  }
  if (typeof table !== "object" || table === null || typeof table.regions !== "object" || typeof table.hoursPerMonth !== "number") {
    throw new CostError(`${file}: not a price table (needs hoursPerMonth, assumptions and regions); fix: start from config/prices.json`);
  }
  return table;
}

/** Monthly USD of one stack, by line. */
export interface CostLines {
  readonly endpoints: number;
  readonly nlbs: number;
  readonly tasks: number;
  readonly cas: number;
  readonly logs: number;
  readonly total: number;
}

export interface StackCost {
  readonly stack: string;
  readonly region: string;
  readonly services: number;
  readonly architecture: CpuArchitecture;
  /** This project's layout. */
  readonly farcar: CostLines;
  readonly farcarPerService: number;
  /** The article's layout for the same services. */
  readonly article: CostLines;
  readonly articlePerService: number;
  /** The layout for hundreds of services (help/scaling.md): NLBs shared by up to 50 services, one API per service. */
  readonly sharedNlb: CostLines;
  readonly sharedNlbPerService: number;
  readonly layout: LayoutCounts;
  /** Region prices not confirmed against their source. */
  readonly unverifiedPrices: boolean;
}

export interface CostReport {
  readonly stacks: readonly StackCost[];
  readonly total: { readonly farcar: number; readonly article: number; readonly sharedNlb: number };
  /** The printed table. */
  readonly table: string;
}

/** Raised for a region the price table does not cover (and nothing is printed). */
export class CostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CostError";
  }
}

/** The fixed monthly cost of every stack of `fleet` at `prices`. */
export function costReport(fleet: Fleet, prices: PriceTable = loadPrices()): CostReport {
  const stacks: StackCost[] = [];
  for (const env of fleet.environments) {
    const region = env.region;
    const p = prices.regions[region];
    if (!p) {
      throw new CostError(
        `${env.acquisition}/${env.environment}: no prices for region ${region} in config/prices.json (known: ${Object.keys(prices.regions).join(", ")}). ` +
          "Fix: add the region with its NLB, Fargate, PrivateLink, Private CA and CloudWatch Logs prices, their source URLs and the date read.",
      );
    }
    const directions: Array<{ kind: "ingress" | "egress"; services: number; azs: number; cas: "privateCa" | "none"; ownCa: boolean }> = [
      {
        kind: "ingress",
        services: env.inbound.length,
        azs: env.network.availabilityZones.length,
        cas: env.identity.source === "privateCa" ? "privateCa" : "none",
        ownCa: env.identity.source === "privateCa" && !env.identity.acquisitionCaArn,
      },
    ];
    if (env.egress) {
      directions.push({ kind: "egress", services: env.outbound.length, azs: env.egress.network.availabilityZones.length, cas: "none", ownCa: false });
    }
    for (const d of directions) {
      const architecture: CpuArchitecture = env.farcar.cpuArchitecture;
      const h = prices.hoursPerMonth;
      const f = p.fargate[architecture];
      const taskMonth = ((env.farcar.cpu / 1024) * f.vcpuHour + (env.farcar.memoryMiB / 1024) * f.gbHour) * h;
      const endpoints = (PROXY_INTERFACE_ENDPOINTS.length + 1) * d.azs * p.interfaceEndpointAzHour * h;
      const lines = (counts: LayoutCounts, tasksPerService: number, cas: number): CostLines => {
        const nlbs = counts.nlbs * p.nlbHour * h + counts.services * prices.assumptions.nlcuPerServiceHour * p.nlcuHour * h;
        const tasks = counts.services * tasksPerService * taskMonth;
        const logs = counts.services * tasksPerService * prices.assumptions.logGbPerTaskMonth * p.logsIngestGb;
        return { endpoints, nlbs, tasks, cas, logs, total: endpoints + nlbs + tasks + cas + logs };
      };
      const layout = layoutCounts(d.services);
      // Farcar: the environment CA (short-lived mode, modules/identity/certificate-authorities.ts)
      // when this stack creates it; none when adopted (its owner pays) or with secretsManager.
      const environmentCa = d.ownCa ? p.privateCaMonth.SHORT_LIVED_CERTIFICATE : 0;
      const farcar = lines(layout, env.farcar.desiredCount, environmentCa);
      // The article: its own NLB, two tasks and its own short-lived CA per service (ingress) under
      // a general-purpose acquisition CA, same task size.
      const articleCas = d.kind === "ingress" ? (d.ownCa ? p.privateCaMonth.GENERAL_PURPOSE : 0) + d.services * p.privateCaMonth.SHORT_LIVED_CERTIFICATE : 0;
      const article = lines(articleLayoutCounts(d.services), 2, articleCas);
      const sharedNlbs = Math.ceil(d.services / servicesPerNlb(env.farcar.desiredCount));
      const sharedNlb = lines({ ...layout, nlbs: sharedNlbs, vpcLinks: sharedNlbs, apis: d.services }, env.farcar.desiredCount, environmentCa);
      const per = (c: CostLines) => (d.services ? c.total / d.services : 0);
      stacks.push({
        stack: `${env.key}-${d.kind}`,
        region,
        services: d.services,
        architecture,
        farcar,
        farcarPerService: per(farcar),
        article,
        articlePerService: per(article),
        sharedNlb,
        sharedNlbPerService: per(sharedNlb),
        layout,
        unverifiedPrices: !p.verified,
      });
    }
  }
  const total = {
    farcar: stacks.reduce((s, c) => s + c.farcar.total, 0),
    article: stacks.reduce((s, c) => s + c.article.total, 0),
    sharedNlb: stacks.reduce((s, c) => s + c.sharedNlb.total, 0),
  };
  return { stacks, total, table: formatTable(stacks, total, prices) };
}

const usd = (n: number) => `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

function formatTable(stacks: readonly StackCost[], total: CostReport["total"], prices: PriceTable): string {
  const header = ["stack", "region", "arch", "services", "NLBs", "endpoints", "NLBs+NLCU", "tasks", "CAs", "logs", "total/month", "per service", "article", "article/service", "shared-NLB", "shared/service"];
  const rows = stacks.map((s) => [
    s.stack,
    s.region + (s.unverifiedPrices ? "*" : ""),
    s.architecture,
    String(s.services),
    String(s.layout.nlbs),
    usd(s.farcar.endpoints),
    usd(s.farcar.nlbs),
    usd(s.farcar.tasks),
    usd(s.farcar.cas),
    usd(s.farcar.logs),
    usd(s.farcar.total),
    usd(s.farcarPerService),
    usd(s.article.total),
    usd(s.articlePerService),
    usd(s.sharedNlb.total),
    usd(s.sharedNlbPerService),
  ]);
  rows.push(["total", "", "", String(stacks.reduce((n, s) => n + s.services, 0)), String(stacks.reduce((n, s) => n + s.layout.nlbs, 0)), "", "", "", "", "", usd(total.farcar), "", usd(total.article), "", usd(total.sharedNlb), ""]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd();
  const out = [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
  const a = prices.assumptions;
  out.push(
    "",
    `Fixed monthly cost in USD (${prices.hoursPerMonth} hours), on-demand list prices from config/prices.json.`,
    `Assumed per service: ${a.nlcuPerServiceHour} NLCU on average; per task: ${a.logGbPerTaskMonth} GB of logs a month. ` +
      "Not included: API Gateway requests, endpoint data processing, data transfer, Container Insights, Secrets Manager.",
    "CAs = Farcar's one short-lived CA per environment (none when adopted: its owner pays); the per-certificate fee is traffic-like and not included.",
    "article = the article's layout for the same services: own NLB, 2 tasks and own short-lived CA per ingress service (under a general-purpose acquisition CA).",
    "shared-NLB = the layout for hundreds of services (help/scaling.md): NLBs shared by up to 50 services (one listener each), one private API per service.",
  );
  const unverified = [...new Set(stacks.filter((s) => s.unverifiedPrices).map((s) => s.region))];
  if (unverified.length) {
    out.push(`* prices for ${unverified.join(", ")} were not confirmed against their source (\"verified\": false in config/prices.json): check before relying on them.`);
  }
  return out.join("\n");
}

/** Every quota of every direction of `fleet`, with the measured figure (the stacks' synth-time check, as a table). */
export function quotaTable(fleet: Fleet): string {
  const out: string[] = [];
  for (const env of fleet.environments) {
    for (const kind of env.egress ? (["ingress", "egress"] as const) : (["ingress"] as const)) {
      out.push(`${env.key}-${kind} (${env.region}):`);
      for (const f of measureQuotas(directionQuotaInput(env, kind, directionSlots(fleet, env.key, kind)))) {
        out.push(`  ${f.measured > f.limit ? "OVER " : ""}${formatQuotaLine(f)}`);
      }
    }
  }
  return out.join("\n");
}

function main(): void {
  const argv = process.argv.slice(2);
  let fleetFile = process.env.FARCAR_CONFIG || DEFAULT_FLEET_FILE;
  let pricesFile = DEFAULT_PRICES_FILE;
  let json = false;
  let quotas = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--fleet" && argv[i + 1]) fleetFile = argv[++i];
    else if (a === "--prices" && argv[i + 1]) pricesFile = argv[++i];
    else if (a === "--json") json = true;
    else if (a === "--quotas") quotas = true;
    else {
      process.stderr.write(`cost: unknown argument ${a}\nusage: npm run cost [-- --fleet FILE] [--prices FILE] [--json] [--quotas]\n`);
      process.exit(2);
    }
  }
  try {
    const fleet = loadFleet(fleetFile);
    const report = costReport(fleet, loadPrices(pricesFile));
    if (json) process.stdout.write(`${JSON.stringify({ stacks: report.stacks, total: report.total }, null, 2)}\n`);
    else process.stdout.write(`farcar cost — ${fleetFile}\n\n${report.table}\n`);
    if (quotas) process.stdout.write(`\nAWS quotas, measured (help/scaling.md):\n${quotaTable(fleet)}\n`);
  } catch (err) {
    if (err instanceof FleetError || err instanceof CostError) {
      process.stderr.write(`cost: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

if (require.main === module) main();
