/**
 * Verification layer 5: every Envoy config Farcar would ship, decoded strictly against Envoy's API
 * protos (envoy/validate.ts). No Docker or Envoy binary needed.
 *
 *   npx tsx scripts/verify-envoy.ts [--fleet FILE] [--out DIR]
 *   npm run verify:envoy
 *
 * Each bootstrap gets the proto walk and the checks the protos cannot express (envoy/validate.ts):
 * route → cluster references and the extension names the pinned Envoy registers for each
 * typed_config type (the table in envoy/extensions.ts, each entry citing Envoy's source).
 *
 * Checks, and exits 1 on any error:
 *   - one bootstrap per inbound service of the fleet file (--fleet, else $FARCAR_CONFIG, else
 *     examples/fleet.yaml), exactly as the ingress stacks generate them;
 *   - one egress bootstrap per outbound service of the fleet file (envoy/egress.ts: sigv4, mtls
 *     and header kinds);
 *   - bootstraps for built-in sample inputs that exercise the non-default options;
 *   - the file-based SDS documents the identity sidecar writes (the header-credential one too).
 * With --out, also writes each bootstrap as YAML plus the SDS documents to DIR (for `docker run`,
 * see envoy/README.md).
 */
import * as fs from "fs";
import * as path from "path";
import { DEFAULT_FLEET_FILE, loadFleet } from "../config/load";
import { farcarBootstrap, type EnvoyBootstrap, type FarcarEnvoyInput } from "../envoy/bootstrap";
import { EGRESS_IDENTITY_FILES, farcarEgressBootstrap, headerCredentialSdsDocument, type FarcarEgressInput } from "../envoy/egress";
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
    drain: { maxConnectionDurationSec: 15.5, connectionDrainSec: 2, deregistrationDelaySec: 30, drainTimeSec: 12, stopTimeoutSec: 20 },
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

/** Egress inputs beyond the fleet file: the options the example fleet leaves at their defaults. */
const SAMPLE_EGRESS_INPUTS: readonly FarcarEgressInput[] = [
  {
    acquisition: "sample",
    environment: "test",
    service: "sigv4-custom",
    upstream: {
      url: "https://api.sample.internal:4443/prod/v1",
      auth: { kind: "sigv4", service: "execute-api", region: "ap-southeast-2", roleArn: "arn:aws:iam::123456789012:role/farcar-invoker" },
    },
    upstreamCa: "trustBundle",
    upstreamProtocol: "http2",
    listenerPort: 18080,
    healthPort: 18081,
    adminPort: 19901,
    timeouts: { connectSec: 0.5, routeSec: 10, streamIdleSec: 15 },
    retries: 0,
    stripRequestHeaders: ["x-parent-caller"],
  },
  {
    acquisition: "sample",
    environment: "test",
    service: "mtls-spiffe",
    upstream: { url: "https://10.0.12.7:8443", auth: { kind: "mtls", serverSan: "spiffe://sample.example/ns/prod/sa/api" } },
  },
  {
    acquisition: "sample",
    environment: "test",
    service: "bearer-http",
    upstream: { url: "http://legacy.sample.internal:8080/api", auth: { kind: "header", name: "Authorization" } },
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

/** One egress Farcar input per outbound service of the fleet. */
function fleetEgressInputs(file: string): FarcarEgressInput[] {
  const fleet = loadFleet(file);
  return fleet.environments.flatMap((env) =>
    env.outbound.map((service) => ({
      acquisition: env.acquisition,
      environment: env.environment,
      service: service.name,
      upstream: service.upstream,
    })),
  );
}

/** Every bootstrap to check, named: ingress then egress, fleet then samples. */
function bootstraps(fleetFile: string): Array<[string, EnvoyBootstrap]> {
  return [
    ...[...fleetInputs(fleetFile), ...SAMPLE_INPUTS].map((input): [string, EnvoyBootstrap] => [configName(input), farcarBootstrap(input)]),
    ...[...fleetEgressInputs(fleetFile), ...SAMPLE_EGRESS_INPUTS].map((input): [string, EnvoyBootstrap] => [
      `${configName(input)}-egress`,
      farcarEgressBootstrap(input),
    ]),
  ];
}

function main(): number {
  const args = parseArgs(process.argv.slice(2));
  const api = loadEnvoyApi();
  console.log(`Envoy API: ${api.fileCount} proto files loaded in ${api.loadMs.toFixed(0)} ms`);

  const configs = bootstraps(args.fleet);
  const started = performance.now();
  const checked: Checked[] = [
    ...configs.map(([name, config]) => ({ name, errors: validateBootstrap(config) })),
    { name: `SDS ${IDENTITY_FILES.certificateSds}`, errors: validateSdsDocument(certificateSdsDocument()) },
    { name: `SDS ${IDENTITY_FILES.trustBundleSds}`, errors: validateSdsDocument(trustBundleSdsDocument()) },
    { name: `SDS ${EGRESS_IDENTITY_FILES.headerCredentialSds}`, errors: validateSdsDocument(headerCredentialSdsDocument()) },
  ];
  const elapsed = performance.now() - started;

  for (const { name, errors } of checked) {
    console.log(`${errors.length === 0 ? "ok  " : "FAIL"} ${name}`);
    if (errors.length > 0) console.log(formatValidationErrors(errors).replace(/^/gm, "       "));
  }
  const failed = checked.filter((c) => c.errors.length > 0).length;
  console.log(
    `${checked.length - failed}/${checked.length} valid (${configs.length} bootstraps from ${args.fleet} and samples), ` +
      `validated in ${elapsed.toFixed(1)} ms`,
  );

  if (args.out) writeOut(args.out, configs);
  return failed === 0 ? 0 : 1;
}

function configName(input: { acquisition: string; environment: string; service: string }): string {
  return `${input.acquisition}-${input.environment}-${input.service}`;
}

function writeOut(dir: string, configs: ReadonlyArray<[string, EnvoyBootstrap]>): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, config] of configs) {
    fs.writeFileSync(path.join(dir, `${name}.envoy.yaml`), renderYaml(config));
  }
  fs.writeFileSync(path.join(dir, IDENTITY_FILES.certificateSds), renderYaml(certificateSdsDocument()));
  fs.writeFileSync(path.join(dir, IDENTITY_FILES.trustBundleSds), renderYaml(trustBundleSdsDocument()));
  fs.writeFileSync(path.join(dir, EGRESS_IDENTITY_FILES.headerCredentialSds), renderYaml(headerCredentialSdsDocument()));
  console.log(`wrote ${configs.length} bootstraps and 3 SDS documents to ${dir}`);
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
}
