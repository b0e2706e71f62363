/**
 * Rendering and the container launch contract: the text Envoy reads, the ECS container settings,
 * and the Dockerfile they must agree with.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { gunzipSync } from "zlib";
import {
  DEFAULT_DRAIN_TIMING,
  FARCAR_PORTS,
  farcarBootstrap,
  type FarcarEnvoyInput,
} from "../../envoy/bootstrap";
import {
  COMPRESSED_CONFIG_PREFIX,
  ENVOY_ADMIN_PORT_ENV,
  ENVOY_BASE_IMAGE,
  ENVOY_CONFIG_ENV,
  ENVOY_CONTAINER_USER,
  ENVOY_DRAIN_TIME_ENV,
  MAX_ENVIRONMENT_CONFIG_BYTES,
  PLAIN_CONFIG_MAX_BYTES,
  environmentConfigValue,
  envoyContainerCommand,
  envoyContainerLaunch,
  renderJson,
  renderYaml,
} from "../../envoy/render";
import { SIDECAR_USER } from "../../envoy/sidecar/container";
import { validateBootstrap } from "../../envoy/validate";

const INPUT: FarcarEnvoyInput = {
  acquisition: "afterpay",
  environment: "staging",
  service: "checkout",
  spiffeId: "spiffe://block.example/acquisition/afterpay/staging/checkout",
  targets: [
    { name: "payments", spiffeId: "spiffe://block.example/payments", address: "payments.mesh.internal:8443" },
    // A DNS label that YAML 1.1 readers (Envoy's among them) take for a boolean unless quoted.
    { name: "on", spiffeId: "spiffe://block.example/on", address: "on.mesh.internal:8443" },
  ],
};

describe("renderYaml / renderJson", () => {
  const config = farcarBootstrap(INPUT);

  it("round-trips through YAML exactly, also as a YAML 1.1 reader sees it", () => {
    const yaml = renderYaml(config);
    expect(parseYaml(yaml)).toEqual(config);
    expect(parseYaml(yaml, { version: "1.1" })).toEqual(config);
    expect(yaml).toContain('name: "on"');
    expect(yaml).not.toMatch(/[&*]a\d/); // no anchors or aliases
  });

  it("round-trips through JSON, indented or compact", () => {
    expect(JSON.parse(renderJson(config))).toEqual(config);
    const compact = renderJson(config, { compact: true });
    expect(compact).not.toContain("\n");
    expect(JSON.parse(compact)).toEqual(config);
  });
});

describe("envoyContainerLaunch", () => {
  const launch = envoyContainerLaunch(INPUT);
  const env = Object.fromEntries(launch.environment.map((e) => [e.name, e.value]));

  it("carries the bootstrap, valid, in the environment", () => {
    const carried = JSON.parse(env[ENVOY_CONFIG_ENV]);
    expect(carried).toEqual(farcarBootstrap(INPUT));
    expect(validateBootstrap(carried)).toEqual([]);
    expect(launch.bootstrap).toEqual(carried);
  });

  it("maps traffic and health ports, never the admin port", () => {
    expect(launch.portMappings.map((p) => p.containerPort)).toEqual([FARCAR_PORTS.listener, FARCAR_PORTS.health]);
    expect(launch.portMappings.map((p) => p.containerPort)).not.toContain(FARCAR_PORTS.admin);
  });

  it("tells the entrypoint the admin port and the drain time, and leaves time to drain", () => {
    expect(env[ENVOY_ADMIN_PORT_ENV]).toBe(String(FARCAR_PORTS.admin));
    const { drainTimeSec, stopTimeoutSec, deregistrationDelaySec } = DEFAULT_DRAIN_TIMING;
    expect(env[ENVOY_DRAIN_TIME_ENV]).toBe(String(drainTimeSec));
    expect(launch.command).toEqual(expect.arrayContaining(["--drain-time-s", String(drainTimeSec)]));
    expect(launch.stopTimeoutSec).toBe(stopTimeoutSec);
    expect(launch.deregistrationDelaySec).toBe(deregistrationDelaySec);
    expect(launch.stopTimeoutSec).toBeGreaterThan(drainTimeSec);
    expect(launch.stopTimeoutSec).toBeLessThanOrEqual(120); // Fargate maximum
  });

  it("runs as the user the identity sidecar writes the key for", () => {
    expect(launch.user).toBe(ENVOY_CONTAINER_USER);
    expect(ENVOY_CONTAINER_USER).toBe(SIDECAR_USER);
  });

  it("follows the ports of the input", () => {
    const moved = envoyContainerLaunch({ ...INPUT, listenerPort: 18080, healthPort: 18081, adminPort: 19901 });
    expect(moved.portMappings.map((p) => p.containerPort)).toEqual([18080, 18081]);
    expect(moved.environment).toContainEqual({ name: ENVOY_ADMIN_PORT_ENV, value: "19901" });
  });

});

describe("environmentConfigValue", () => {
  const withTargets = (count: number): FarcarEnvoyInput => ({
    ...INPUT,
    targets: Array.from({ length: count }, (_, i) => ({ ...INPUT.targets[0], name: `service${i}` })),
  });

  it("keeps a small bootstrap as readable JSON", () => {
    const bootstrap = farcarBootstrap(INPUT);
    expect(environmentConfigValue(bootstrap)).toBe(renderJson(bootstrap, { compact: true }));
  });

  it("gzips a large bootstrap, deterministically, within the task definition budget", () => {
    const bootstrap = farcarBootstrap(withTargets(20));
    expect(Buffer.byteLength(renderJson(bootstrap, { compact: true }))).toBeGreaterThan(PLAIN_CONFIG_MAX_BYTES);
    const value = environmentConfigValue(bootstrap);
    expect(value.startsWith(COMPRESSED_CONFIG_PREFIX)).toBe(true);
    expect(value.length).toBeLessThanOrEqual(MAX_ENVIRONMENT_CONFIG_BYTES);
    expect(environmentConfigValue(bootstrap)).toBe(value); // no spurious Terraform diff
    const json = gunzipSync(Buffer.from(value.slice(COMPRESSED_CONFIG_PREFIX.length), "base64")).toString("utf8");
    expect(JSON.parse(json)).toEqual(bootstrap);
  });

  it("refuses a bootstrap too large to pass to Envoy as one argument", () => {
    expect(() => envoyContainerLaunch(withTargets(60))).toThrow(
      /Farcar afterpay\/staging\/checkout: the Envoy bootstrap is \d+ bytes, over the 122880 bytes Envoy can take/,
    );
  });
});

describe("envoy/Dockerfile agrees with the launch contract", () => {
  const dockerfile = fs.readFileSync(path.join(__dirname, "../../envoy/Dockerfile"), "utf8");
  const instruction = (name: string): string[] =>
    dockerfile
      .split("\n")
      .filter((line) => line.startsWith(`${name} `))
      .map((line) => line.slice(name.length + 1).trim());

  it("builds on the pinned base image", () => {
    expect(instruction("FROM")).toEqual([ENVOY_BASE_IMAGE]);
    expect(ENVOY_BASE_IMAGE).toMatch(/^envoyproxy\/envoy:v1\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
  });

  it("runs as the non-root user, with the exec-form entrypoint and the default command", () => {
    expect(instruction("USER")).toEqual([ENVOY_CONTAINER_USER]);
    expect(ENVOY_CONTAINER_USER).not.toMatch(/^0(:|$)/);
    expect(JSON.parse(instruction("ENTRYPOINT")[0])).toEqual(["/usr/local/bin/farcar-envoy"]);
    expect(JSON.parse(instruction("CMD")[0])).toEqual(envoyContainerCommand());
  });

  it("exposes traffic and health, not admin", () => {
    expect(instruction("EXPOSE")).toEqual([`${FARCAR_PORTS.listener} ${FARCAR_PORTS.health}`]);
  });

  it("has an entrypoint that reads the variables the launch contract sets", () => {
    for (const name of [ENVOY_CONFIG_ENV, ENVOY_ADMIN_PORT_ENV, ENVOY_DRAIN_TIME_ENV]) {
      expect(dockerfile).toContain(`\${${name}`);
    }
    expect(dockerfile).toContain(`:-${FARCAR_PORTS.admin}}`);
    expect(dockerfile).toContain(`:-${DEFAULT_DRAIN_TIMING.drainTimeSec}}`);
  });
});
