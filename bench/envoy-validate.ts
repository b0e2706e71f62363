/**
 * Cost of the strict Envoy validator (envoy/validate.ts): API load time, per-config validation
 * time and heap.
 *
 *   npx tsx bench/envoy-validate.ts [--fleet FILE] [--runs N]
 *   npm run bench:envoy
 *
 * Configs: one per inbound service of the fleet file (default examples/fleet.yaml), one egress
 * bootstrap per outbound service (envoy/egress.ts), plus synthetic services with 1, 5, 10 and 20
 * targets. For each: the first validation (cold code paths) and the median of N further runs.
 */
import { DEFAULT_FLEET_FILE, loadFleet } from "../config/load";
import { farcarBootstrap, type EnvoyBootstrap, type FarcarEnvoyInput } from "../envoy/bootstrap";
import { farcarEgressBootstrap } from "../envoy/egress";
import { renderJson } from "../envoy/render";
import { loadEnvoyApi, validateBootstrap } from "../envoy/validate";

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const heapMiB = (): string => (process.memoryUsage().heapUsed / 2 ** 20).toFixed(1);

function synthetic(targetCount: number): FarcarEnvoyInput {
  return {
    acquisition: "bench",
    environment: "test",
    service: `targets-${targetCount}`,
    spiffeId: `spiffe://mesh.example/acquisition/bench/test/targets-${targetCount}`,
    targets: Array.from({ length: targetCount }, (_, i) => ({
      name: `service-${i}`,
      spiffeId: `spiffe://mesh.example/service-${i}`,
      address: `service-${i}.mesh.internal:8443`,
    })),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function main(): void {
  const fleetFile = option("--fleet", process.env.FARCAR_CONFIG ?? DEFAULT_FLEET_FILE);
  const runs = Number(option("--runs", "50"));

  console.log(`heap before load: ${heapMiB()} MiB`);
  const api = loadEnvoyApi();
  console.log(`API load: ${api.loadMs.toFixed(0)} ms, ${api.fileCount} files (skipped ${api.skippedFiles.length}); heap ${heapMiB()} MiB`);

  const fleet = loadFleet(fleetFile);
  const configs: Array<[string, EnvoyBootstrap]> = [
    ...fleet.environments.flatMap((env) =>
      env.inbound.map((service): [string, EnvoyBootstrap] => [
        `${env.key}-${service.name}`,
        farcarBootstrap({
          acquisition: env.acquisition,
          environment: env.environment,
          service: service.name,
          spiffeId: service.spiffeId,
          targets: service.targets,
        }),
      ]),
    ),
    ...fleet.environments.flatMap((env) =>
      env.outbound.map((service): [string, EnvoyBootstrap] => [
        `${env.key}-${service.name}-egress-${service.upstream.auth.kind}`,
        farcarEgressBootstrap({
          acquisition: env.acquisition,
          environment: env.environment,
          service: service.name,
          upstream: service.upstream,
        }),
      ]),
    ),
    ...[1, 5, 10, 20].map((n): [string, EnvoyBootstrap] => [`synthetic ${n} targets`, farcarBootstrap(synthetic(n))]),
  ];

  console.log(`\n${"config".padEnd(50)} ${"bytes".padStart(7)} ${"first ms".padStart(9)} ${"median ms".padStart(10)}`);
  let total = 0;
  for (const [name, config] of configs) {
    let started = performance.now();
    const errors = validateBootstrap(config);
    const first = performance.now() - started;
    if (errors.length > 0) throw new Error(`${name} is invalid: ${errors[0].path} ${errors[0].message}`);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      started = performance.now();
      validateBootstrap(config);
      times.push(performance.now() - started);
    }
    total += first;
    const bytes = Buffer.byteLength(renderJson(config, { compact: true }));
    console.log(`${name.padEnd(50)} ${String(bytes).padStart(7)} ${first.toFixed(2).padStart(9)} ${median(times).toFixed(3).padStart(10)}`);
  }
  console.log(`\nall ${configs.length} configs, first pass: ${total.toFixed(1)} ms; heap ${heapMiB()} MiB`);
}

main();
