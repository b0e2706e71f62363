/**
 * How a generated bootstrap leaves TypeScript: as YAML or JSON text, and as the launch contract of
 * the Farcar container (envoy/Dockerfile), which the ECS task definition takes from here rather
 * than restating it.
 *
 * The image's entrypoint (`farcar-envoy`, see the Dockerfile) runs
 * `envoy --config-yaml "$FARCAR_ENVOY_CONFIG" <command…>`: the bootstrap travels in an environment
 * variable of the task definition (no config file to bake, mount or fetch; large ones gzipped), and
 * on SIGTERM the entrypoint fails the health check, drains for FARCAR_ENVOY_DRAIN_TIME_S and only
 * then stops Envoy.
 */
import { gzipSync } from "zlib";
import { stringify as stringifyYaml } from "yaml";
import {
  DEFAULT_DRAIN_TIMING,
  FARCAR_PORTS,
  farcarBootstrap,
  resolveFarcarDrain,
  type EnvoyBootstrap,
  type FarcarEnvoyInput,
  type FarcarTuning,
} from "./bootstrap";

/**
 * YAML for Envoy. Written as YAML 1.1 so that strings Envoy's YAML reader would take for booleans
 * (`yes`, `on`, `n`, …) are quoted; no anchors or aliases; no line folding.
 */
export function renderYaml(config: EnvoyBootstrap | object): string {
  return stringifyYaml(config, { version: "1.1", lineWidth: 0, aliasDuplicateObjects: false });
}

/** JSON for Envoy: indented for files and reviews, or compact (`{ compact: true }`) for env vars. */
export function renderJson(config: EnvoyBootstrap | object, options: { readonly compact?: boolean } = {}): string {
  return options.compact ? JSON.stringify(config) : `${JSON.stringify(config, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// Container launch contract
// ---------------------------------------------------------------------------------------------

/** Base image of envoy/Dockerfile (a test keeps the two in step). */
export const ENVOY_BASE_IMAGE =
  "envoyproxy/envoy:v1.39.3@sha256:dd85940439de19a0b6ae8419610363ea0ad351d9a994ea007161c206ec1e1865";

/**
 * Environment variable holding the bootstrap: JSON (which `--config-yaml` reads as YAML), or
 * gzipped JSON behind COMPRESSED_CONFIG_PREFIX (see environmentConfigValue).
 */
export const ENVOY_CONFIG_ENV = "FARCAR_ENVOY_CONFIG";
/** Environment variable telling the entrypoint which loopback port the admin API listens on. */
export const ENVOY_ADMIN_PORT_ENV = "FARCAR_ENVOY_ADMIN_PORT";
/** Environment variable telling the entrypoint how long to drain on SIGTERM. */
export const ENVOY_DRAIN_TIME_ENV = "FARCAR_ENVOY_DRAIN_TIME_S";

/**
 * uid:gid the container runs as: the `envoy` user of the official image. The identity sidecar runs
 * as the same user (SIDECAR_USER in envoy/sidecar/container.ts) so Envoy can read the 0600 SVID key.
 */
export const ENVOY_CONTAINER_USER = "101:101";

/**
 * Envoy flags after `--config-yaml` (the image CMD holds the default list for `docker run`):
 * drain for `drainTimeSec` (FarcarDrainTiming), discouraging every request at once (the NLB has
 * already stopped sending new connections when ECS stops the task), and no hot restart (a container
 * is replaced, never hot-restarted, so Envoy needs no shared memory).
 */
export function envoyContainerCommand(drainTimeSec: number = DEFAULT_DRAIN_TIMING.drainTimeSec): string[] {
  return [
    "--log-level",
    "info",
    "--drain-time-s",
    String(drainTimeSec),
    "--drain-strategy",
    "immediate",
    "--disable-hot-restart",
  ];
}

/** What an ECS container definition for the Farcar Envoy needs, besides image, logs and resources. */
export interface EnvoyContainerLaunch {
  /** Container `command`: arguments appended to the image ENTRYPOINT. */
  readonly command: readonly string[];
  /** Container `environment`, the bootstrap included. */
  readonly environment: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  /** Traffic and health ports. The admin port is loopback-only and deliberately absent. */
  readonly portMappings: ReadonlyArray<{ readonly name: string; readonly containerPort: number; readonly protocol: "tcp" }>;
  /** Container `stopTimeout`: long enough for the drain (FarcarDrainTiming.stopTimeoutSec). */
  readonly stopTimeoutSec: number;
  /**
   * The NLB target group's deregistration delay this Farcar's drain needs
   * (FarcarDrainTiming.deregistrationDelaySec): the target group takes it from here.
   */
  readonly deregistrationDelaySec: number;
  /** Container `user`. */
  readonly user: string;
  /** The bootstrap carried in the environment, for tests and inspection. */
  readonly bootstrap: EnvoyBootstrap;
}

/** Bootstraps up to this size travel as plain JSON, readable in the ECS console (≈ 3 targets). */
export const PLAIN_CONFIG_MAX_BYTES = 16 * 1024;
/** Marks a gzipped, base64-encoded bootstrap in ENVOY_CONFIG_ENV; the entrypoint decodes it. */
export const COMPRESSED_CONFIG_PREFIX = "gzip+base64:";
/**
 * Budget for ENVOY_CONFIG_ENV in the task definition (a whole task definition is limited to 64 KiB;
 * the rest is left to the other containers and settings).
 */
export const MAX_ENVIRONMENT_CONFIG_BYTES = 32 * 1024;
/** Envoy gets the decoded bootstrap as one argument; Linux caps a single argument at 128 KiB. */
export const MAX_CONFIG_BYTES = 120 * 1024;

/**
 * The value of ENVOY_CONFIG_ENV for `bootstrap`: compact JSON, or — above PLAIN_CONFIG_MAX_BYTES —
 * COMPRESSED_CONFIG_PREFIX + base64(gzip(JSON)), which keeps about 50 targets within the budget.
 * Throws when even that does not fit.
 */
export function environmentConfigValue(bootstrap: EnvoyBootstrap, owner = "the Farcar"): string {
  const json = renderJson(bootstrap, { compact: true });
  const size = Buffer.byteLength(json, "utf8");
  if (size > MAX_CONFIG_BYTES) {
    throw new Error(
      `${owner}: the Envoy bootstrap is ${size} bytes, over the ${MAX_CONFIG_BYTES} bytes Envoy can take as one ` +
        `argument; split the targets over more services`,
    );
  }
  if (size <= PLAIN_CONFIG_MAX_BYTES) return json;
  // mtime 0 and a fixed level keep the value stable across runs, so Terraform shows no diff.
  const value = COMPRESSED_CONFIG_PREFIX + gzipSync(json, { level: 9 }).toString("base64");
  if (value.length > MAX_ENVIRONMENT_CONFIG_BYTES) {
    throw new Error(
      `${owner}: the compressed Envoy bootstrap is ${value.length} bytes, over the ${MAX_ENVIRONMENT_CONFIG_BYTES} ` +
        `bytes an ECS task definition can carry in ${ENVOY_CONFIG_ENV}; split the targets over more services`,
    );
  }
  return value;
}

/** The launch contract of the Farcar Envoy container for one acquisition service. */
export function envoyContainerLaunch(input: FarcarEnvoyInput): EnvoyContainerLaunch {
  return farcarContainerLaunch(farcarBootstrap(input), input, `Farcar ${input.acquisition}/${input.environment}/${input.service}`);
}

/**
 * The launch contract of a Farcar Envoy container, ingress or egress: `bootstrap` in ENVOY_CONFIG_ENV
 * (see environmentConfigValue; `owner` names the Farcar in its errors), the entrypoint's admin port
 * and drain time, then `extraEnvironment`; the traffic and health ports of `ports`.
 */
export function farcarContainerLaunch(
  bootstrap: EnvoyBootstrap,
  ports: Pick<FarcarTuning, "listenerPort" | "healthPort" | "adminPort" | "drain" | "timeouts">,
  owner: string,
  extraEnvironment: EnvoyContainerLaunch["environment"] = [],
): EnvoyContainerLaunch {
  const drain = resolveFarcarDrain(ports, (message) => {
    throw new Error(`${owner}: ${message}`);
  });
  return {
    command: envoyContainerCommand(drain.drainTimeSec),
    environment: [
      { name: ENVOY_CONFIG_ENV, value: environmentConfigValue(bootstrap, owner) },
      { name: ENVOY_ADMIN_PORT_ENV, value: String(ports.adminPort ?? FARCAR_PORTS.admin) },
      { name: ENVOY_DRAIN_TIME_ENV, value: String(drain.drainTimeSec) },
      ...extraEnvironment,
    ],
    portMappings: [
      { name: "traffic", containerPort: ports.listenerPort ?? FARCAR_PORTS.listener, protocol: "tcp" },
      { name: "health", containerPort: ports.healthPort ?? FARCAR_PORTS.health, protocol: "tcp" },
    ],
    stopTimeoutSec: drain.stopTimeoutSec,
    deregistrationDelaySec: drain.deregistrationDelaySec,
    user: ENVOY_CONTAINER_USER,
    bootstrap,
  };
}
