/**
 * Entry point of the identity sidecar image (bundled to /app/sidecar.js).
 *
 *   node sidecar.js          run: obtain, install and renew the Farcar's X.509-SVID
 *   node sidecar.js health   exit 0 only if a valid, unexpired SVID is installed (ECS healthCheck)
 *
 * Exit codes: 0 clean stop (SIGTERM/SIGINT) or healthy; 1 certificate expired / never obtained /
 * unhealthy; 2 invalid configuration.
 */
import { ACMPCAClient } from "@aws-sdk/client-acm-pca";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { IDENTITY_DIR } from "../identity-files";
import { parseSidecarEnv, SIDECAR_ENV, SidecarConfig, SidecarConfigError } from "./env";
import { PrivateCaSource } from "./private-ca";
import { jsonLogger, runSidecar } from "./run";
import { SecretsManagerSource } from "./secrets-manager";
import { IdentitySource, realSleep } from "./source";
import { checkHealth } from "./status";

export async function healthCommand(env: NodeJS.ProcessEnv, now: Date = new Date()): Promise<number> {
  const dir = env[SIDECAR_ENV.identityDir]?.trim() || IDENTITY_DIR;
  const spiffeId = env[SIDECAR_ENV.spiffeId]?.trim() || undefined;
  const result = await checkHealth({ dir, now, spiffeId });
  (result.healthy ? process.stdout : process.stderr).write(`${result.healthy ? "healthy" : "unhealthy"}: ${result.reason}\n`);
  return result.healthy ? 0 : 1;
}

function sourceFor(config: SidecarConfig, signal: AbortSignal): IdentitySource {
  const clock = (): Date => new Date();
  if (config.source === "privateCa") {
    return new PrivateCaSource({ config, client: new ACMPCAClient({ region: config.region }), clock, sleep: realSleep, signal });
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
  return runSidecar({
    config,
    source: sourceFor(config, controller.signal),
    clock: () => new Date(),
    sleep: realSleep,
    signal: controller.signal,
    log: jsonLogger,
  });
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
