/**
 * Synthesis benchmark: time and memory to load, validate and synthesize fleets of growing size.
 * Prints figures; asserts nothing (timing belongs here, not in tests).
 *
 *   npx tsx bench/synth.ts            # example fleet + generated fleets
 *   npx tsx bench/synth.ts --runs 5
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { loadFleet, parseFleet } from "../config/load";
import { buildFleet } from "../stacks/fleet-app";

const ROOT = path.resolve(__dirname, "..");
const runs = Number(process.argv[process.argv.indexOf("--runs") + 1]) || 3;

/** A fleet of `acquisitions` × `environments`, each with `services` inbound services of 3 targets. */
function generatedFleet(acquisitions: number, environments: number, services: number): string {
  const lines = [
    "version: 1",
    "region: us-east-1",
    "organization: { managementAccountId: \"111111111111\", proxyOrganizationalUnitId: ou-ab12-proxies01 }",
    "mesh:",
    "  trustDomain: block.example",
    "  trustBundle: mesh/ca-bundle.pem",
    "  routing: { transitGatewayId: tgw-0a1b2c3d4e5f60718, cidrs: [10.0.0.0/12] }",
    "  services:",
    ...["payments", "ledger", "risk", "identity"].map((m) => `    ${m}: { spiffeId: spiffe://block.example/${m}, address: ${m}.mesh.internal:8443 }`),
    "acquisitions:",
  ];
  let account = 200000000000;
  let net = 0;
  for (let a = 0; a < acquisitions; a++) {
    lines.push(`  acq${a}:`, "    environments:");
    for (let e = 0; e < environments; e++) {
      const octet = 64 + (net++ % 150);
      lines.push(
        `      env${e}:`,
        `        proxyAccount: { id: "${account++}" }`,
        "        identity: { source: secretsManager }",
        `        network: { availabilityZones: [us-east-1a, us-east-1b], proxyVpcCidr: 10.${octet}.0.0/20, acquisitionVpcCidr: 10.${octet}.16.0/22, acquisitionCallerCidrs: [10.200.0.0/16] }`,
        "        inbound:",
      );
      for (let s = 0; s < services; s++) {
        // Two methods per service: 20 services then fit the 8192-character resource policy.
        lines.push(
          `          svc${s}: { roleArns: [arn:aws:iam::333333333333:role/a${a}-e${e}-s${s}], targets: [payments, ledger, risk], methods: [GET, POST] }`,
        );
      }
    }
  }
  return `${lines.join("\n")}\n`;
}

function measure(label: string, load: () => ReturnType<typeof loadFleet>): void {
  const times: number[] = [];
  let stacks = 0;
  let resources = 0;
  let heap = 0;
  for (let i = 0; i < runs; i++) {
    const outdir = mkdtempSync(path.join(tmpdir(), "farcar-bench-"));
    global.gc?.();
    const start = process.hrtime.bigint();
    const fleet = load();
    const app = new App({ outdir });
    const built = buildFleet(app, fleet);
    app.synth();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    heap = Math.max(heap, process.memoryUsage().heapUsed);
    stacks = 1 + built.images.length + built.ingress.length + built.egress.length;
    resources = [built.org, ...built.ingress, ...built.egress].reduce(
      (n, s) => n + Object.values((s.toTerraform() as { resource?: Record<string, object> }).resource ?? {}).reduce((m, r) => m + Object.keys(r).length, 0),
      0,
    );
    rmSync(outdir, { recursive: true, force: true });
  }
  times.sort((x, y) => x - y);
  const median = times[Math.floor(times.length / 2)];
  console.log(
    `${label.padEnd(34)} stacks ${String(stacks).padStart(3)}  resources ${String(resources).padStart(5)}  ` +
      `median ${median.toFixed(0).padStart(6)} ms  min ${times[0].toFixed(0).padStart(6)} ms  heap ${(heap / 2 ** 20).toFixed(0)} MiB`,
  );
}

const started = process.hrtime.bigint();
console.log(`farcar synth benchmark — ${runs} runs each, node ${process.version}`);
measure("examples/fleet.yaml", () => loadFleet(path.join(ROOT, "examples/fleet.yaml")));
const inExamples = path.join(ROOT, "examples/generated.yaml");
for (const [a, e, s] of [
  [2, 2, 5],
  [5, 3, 10],
  [10, 3, 20],
] as const) {
  const text = generatedFleet(a, e, s);
  measure(`generated ${a} acq × ${e} env × ${s} svc`, () => parseFleet(text, inExamples, "generated.yaml"));
}
console.log(`total ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s; rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
