/**
 * Verification layer 5: every Envoy config Farcar would ship, decoded strictly against Envoy's API
 * protos (envoy/validate.ts). No Docker or Envoy binary needed.
 *
 *   npx tsx scripts/verify-envoy.ts [--fleet FILE] [--out DIR]
 *   npm run verify:envoy
 *
 * Checks, and exits 1 on any error:
 *   - one bootstrap per inbound service of the fleet file (--fleet, else $FARCAR_CONFIG, else
 *     examples/fleet.yaml), exactly as the ingress stacks generate them;
 *   - bootstraps for built-in sample inputs that exercise the non-default options;
 *   - the two file-based SDS documents the identity sidecar writes.
 * With --out, also writes each bootstrap as YAML plus the SDS documents to DIR (for `docker run`,
 * see envoy/README.md).
 */
import * as fs from "fs";
import * as path from "path";
import { DEFAULT_FLEET_FILE, loadFleet } from "../config/load";
import { farcarBootstrap, type FarcarEnvoyInput } from "../envoy/bootstrap";
import { IDENTITY_FILES } from "../envoy/identity-files";
import { renderYaml } from "../envoy/render";
import { certificateSdsDocument, trustBundleSdsDocument } from "../envoy/sds";
import { formatValidationErrors, loadEnvoyApi, validateBootstrap, validateSdsDocument, type ValidationError } from "../envoy/validate";

/** Inputs beyond the fleet file: every option away from its default at least once. */
const SAMPLE_INPUTS: readonly FarcarEnvoyInput[] = [
  {
    acquisition: "sample",
    environment: "test",
    service: "http2-custom",
    spiffeId: "spiffe://mesh.example/acquisition/sample/test/http2-custom",
    targets: [
      { name: "payments", spiffeId: "spiffe://mesh.example/payments", address: "payments.mesh.internal:8443", authority: "payments" },
      { name: "ledger", spiffeId: "spiffe://mesh.example/ledger", address: "10.0.12.7:443" },
    ],
    listenerPort: 18080,
    healthPort: 18081,
    adminPort: 19901,
    timeouts: { connectSec: 0.5, routeSec: 10, downstreamIdleSec: 120, upstreamIdleSec: 30, requestHeadersSec: 5, streamIdleSec: 15 },
    maxRequestBytes: 1024 * 1024,
    upstreamProtocol: "http2",
    retries: 0,
    circuitBreaker: { maxConnections: 64, maxPendingRequests: 64, maxRequests: 128, maxRetries: 1 },
    maxDownstreamConnections: 2048,
    stripRequestHeaders: ["x-mesh-caller", "x-mesh-identity"],
  },
  {
    acquisition: "sample",
    environment: "test",
    service: "many-targets",
    spiffeId: "spiffe://mesh.example/acquisition/sample/test/many-targets",
    targets: Array.from({ length: 10 }, (_, i) => ({
      name: `service-${i}`,
      spiffeId: `spiffe://mesh.example/service-${i}`,
      address: `service-${i}.mesh.internal:8443`,
    })),
  },
];

interface Checked {
  readonly name: string;
  readonly errors: readonly ValidationError[];
}

function parseArgs(argv: readonly string[]): { fleet: string; out?: string } {
  const args = { fleet: process.env.FARCAR_CONFIG ?? DEFAULT_FLEET_FILE } as { fleet: string; out?: string };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if ((argv[i] === "--fleet" || argv[i] === "--out") && value) {
      if (argv[i] === "--fleet") args.fleet = value;
      else args.out = value;
      i++;
    } else {
      throw new Error(`unknown argument "${argv[i]}"; usage: verify-envoy [--fleet FILE] [--out DIR]`);
    }
  }
  return args;
}

/** One Farcar input per inbound service of the fleet, as the ingress stacks build them. */
function fleetInputs(file: string): FarcarEnvoyInput[] {
  const fleet = loadFleet(file);
  return fleet.environments.flatMap((env) =>
    env.inbound.map((service) => ({
      acquisition: env.acquisition,
      environment: env.environment,
      service: service.name,
      spiffeId: service.spiffeId,
      targets: service.targets,
    })),
  );
}

function main(): number {
  const args = parseArgs(process.argv.slice(2));
  const api = loadEnvoyApi();
  console.log(`Envoy API: ${api.fileCount} proto files loaded in ${api.loadMs.toFixed(0)} ms`);

  const inputs = [...fleetInputs(args.fleet), ...SAMPLE_INPUTS];
  const started = performance.now();
  const checked: Checked[] = [
    ...inputs.map((input) => ({ name: configName(input), errors: validateBootstrap(farcarBootstrap(input)) })),
    { name: `SDS ${IDENTITY_FILES.certificateSds}`, errors: validateSdsDocument(certificateSdsDocument()) },
    { name: `SDS ${IDENTITY_FILES.trustBundleSds}`, errors: validateSdsDocument(trustBundleSdsDocument()) },
  ];
  const elapsed = performance.now() - started;

  for (const { name, errors } of checked) {
    console.log(`${errors.length === 0 ? "ok  " : "FAIL"} ${name}`);
    if (errors.length > 0) console.log(formatValidationErrors(errors).replace(/^/gm, "       "));
  }
  const failed = checked.filter((c) => c.errors.length > 0).length;
  console.log(
    `${checked.length - failed}/${checked.length} valid (${inputs.length} bootstraps from ${args.fleet} and samples), ` +
      `validated in ${elapsed.toFixed(1)} ms`,
  );

  if (args.out) writeOut(args.out, inputs);
  return failed === 0 ? 0 : 1;
}

function configName(input: FarcarEnvoyInput): string {
  return `${input.acquisition}-${input.environment}-${input.service}`;
}

function writeOut(dir: string, inputs: readonly FarcarEnvoyInput[]): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const input of inputs) {
    fs.writeFileSync(path.join(dir, `${configName(input)}.envoy.yaml`), renderYaml(farcarBootstrap(input)));
  }
  fs.writeFileSync(path.join(dir, IDENTITY_FILES.certificateSds), renderYaml(certificateSdsDocument()));
  fs.writeFileSync(path.join(dir, IDENTITY_FILES.trustBundleSds), renderYaml(trustBundleSdsDocument()));
  console.log(`wrote ${inputs.length} bootstraps and 2 SDS documents to ${dir}`);
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
}
