/**
 * Entry point of the identity sidecar image (bundled to /app/sidecar.js).
 *
 *   node sidecar.js          run: obtain, install and renew the Farcar's X.509-SVID (ingress), or
 *                            the egress Farcar's acquisition-native identity (FARCAR_IDENTITY_SOURCE=egress)
 *   node sidecar.js health   exit 0 only if a valid, unexpired SVID is installed (ECS healthCheck);
 *                            egress: only if every enabled item is in place and fresh
 *
 * Exit codes: 0 clean stop (SIGTERM/SIGINT) or healthy; 1 certificate expired / never obtained /
 * unhealthy; 2 invalid configuration.
 */
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { STSClient } from "@aws-sdk/client-sts";
import { IDENTITY_DIR } from "../identity-files";
import { CredentialsServer, startCredentialsServer } from "./assume-role";
import { checkEgressHealth, egressItems, runEgressSidecar } from "./egress-run";
import { EgressConfig, IngressSidecarConfig, parseSidecarEnv, SIDECAR_ENV, SidecarConfig, SidecarConfigError } from "./env";
import { PrivateCaSource } from "./private-ca";
import { jsonLogger, runSidecar } from "./run";
import { SecretsManagerSource } from "./secrets-manager";
import { IdentitySource, realSleep } from "./source";
import { checkHealth } from "./status";

export async function healthCommand(env: NodeJS.ProcessEnv, now: Date = new Date()): Promise<number> {
  const result = await health(env, now);
  (result.healthy ? process.stdout : process.stderr).write(`${result.healthy ? "healthy" : "unhealthy"}: ${result.reason}\n`);
  return result.healthy ? 0 : 1;
}

async function health(env: NodeJS.ProcessEnv, now: Date): Promise<{ healthy: boolean; reason: string }> {
  if (env[SIDECAR_ENV.source]?.trim() === "egress") {
    // What must be in place depends on which items the environment enables: parse it fully.
    let config: SidecarConfig;
    try {
      config = parseSidecarEnv(env);
    } catch (err) {
      return { healthy: false, reason: (err as Error).message };
    }
    return checkEgressHealth({ config: config as EgressConfig, now });
  }
  const dir = env[SIDECAR_ENV.identityDir]?.trim() || IDENTITY_DIR;
  const spiffeId = env[SIDECAR_ENV.spiffeId]?.trim() || undefined;
  return checkHealth({ dir, now, spiffeId });
}

function sourceFor(config: IngressSidecarConfig, signal: AbortSignal): IdentitySource {
  const clock = (): Date => new Date();
  if (config.source === "privateCa") {
    return new PrivateCaSource({ config, client: new LambdaClient({ region: config.region }), clock, sleep: realSleep, signal });
  }
  return new SecretsManagerSource({ config, client: new SecretsManagerClient({ region: config.region }), clock, signal });
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const command = argv[0] ?? "run";
  if (command === "health") return healthCommand(env);
  if (command !== "run") {
    process.stderr.write(`usage: sidecar.js [run|health] (got '${command}')\n`);
    return 2;
  }
  let config: SidecarConfig;
  try {
    config = parseSidecarEnv(env);
  } catch (err) {
    if (err instanceof SidecarConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  if (config.source === "egress") return runEgress(config, controller.signal);
  return runSidecar({
    config,
    source: sourceFor(config, controller.signal),
    clock: () => new Date(),
    sleep: realSleep,
    signal: controller.signal,
    log: jsonLogger,
  });
}

/** egress mode: the enabled items, plus the loopback credentials endpoint when a role is assumed. */
async function runEgress(config: EgressConfig, signal: AbortSignal): Promise<number> {
  const clock = (): Date => new Date();
  const { items, credentials } = egressItems(config, {
    secrets: config.clientCertificateSecretId || config.headerSecretId ? new SecretsManagerClient({ region: config.region }) : undefined,
    // The sidecar's own default credential chain: the TASK ROLE (ECS sets the relative URI in
    // this container; only Envoy's container gets the full URI of the endpoint below).
    sts: config.assumeRole ? new STSClient({ region: config.region }) : undefined,
    clock,
    signal,
  });
  let server: CredentialsServer | undefined;
  if (config.assumeRole && credentials) {
    try {
      server = await startCredentialsServer({ endpoint: config.assumeRole.endpoint, credentials: () => credentials.credentials(clock()) });
    } catch (err) {
      jsonLogger("error", "cannot serve the assumed role's credentials", { endpoint: config.assumeRole.endpoint, error: (err as Error).message });
      return 1;
    }
  }
  try {
    return await runEgressSidecar({ config, items, clock, sleep: realSleep, signal, log: jsonLogger });
  } finally {
    await server?.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (err: unknown) => {
      jsonLogger("error", "identity sidecar crashed", { error: String((err as Error)?.stack ?? err) });
      process.exit(1);
    },
  );
}
