/**
 * Draining on deploys and scale-ins (issue 11 item 2): the numbers of the stop sequence in
 * envoy/README.md ("Stopping without dropping requests") come from one place (FarcarDrainTiming,
 * resolveFarcarDrain) into the bootstrap, the container and the NLB target group, and combinations
 * that cannot drain are refused with the knobs named.
 */
import {
  DEFAULT_DRAIN_TIMING,
  DEFAULT_TIMEOUTS,
  FARCAR_LISTENER_NAMES,
  FARGATE_MAX_STOP_TIMEOUT_SEC,
  FarcarEnvoyInputError,
  farcarBootstrap,
  resolveFarcarDrain,
  type FarcarDrainTiming,
  type FarcarEnvoyInput,
} from "../../envoy/bootstrap";
import { FarcarEgressInputError, farcarEgressBootstrap } from "../../envoy/egress";
import { ENVOY_DRAIN_TIME_ENV, envoyContainerLaunch } from "../../envoy/render";
import { formatValidationErrors, validateBootstrap } from "../../envoy/validate";

const INPUT: FarcarEnvoyInput = {
  acquisition: "afterpay",
  environment: "staging",
  service: "checkout",
  spiffeId: "spiffe://block.example/acquisition/afterpay/staging/checkout",
  targets: [{ name: "payments", spiffeId: "spiffe://block.example/payments", address: "payments.mesh.internal:8443" }],
};

const fail = (message: string): never => {
  throw new Error(message);
};
const drainWith = (drain: FarcarDrainTiming, routeSec?: number) => resolveFarcarDrain({ drain, timeouts: { routeSec } }, fail);

function trafficManager(input: FarcarEnvoyInput): Record<string, any> {
  const listener = farcarBootstrap(input).static_resources.listeners.find((l) => l.name === FARCAR_LISTENER_NAMES.traffic) as any;
  return listener.filter_chains[0].filters[0].typed_config;
}

describe("the default stop sequence adds up", () => {
  const d = DEFAULT_DRAIN_TIMING;
  const routeSec = DEFAULT_TIMEOUTS.routeSec;

  it("deregistration delay ≥ time for Envoy to close every connection ≥ route timeout", () => {
    expect(d.deregistrationDelaySec).toBeGreaterThanOrEqual(d.maxConnectionDurationSec + Math.max(routeSec, d.connectionDrainSec));
    expect(d.deregistrationDelaySec).toBeGreaterThanOrEqual(d.drainTimeSec);
    expect(d.drainTimeSec).toBeGreaterThanOrEqual(routeSec);
  });

  it("stop timeout above the SIGTERM drain and the route timeout, within Fargate's 120 s", () => {
    expect(d.stopTimeoutSec).toBeGreaterThan(d.drainTimeSec);
    expect(d.stopTimeoutSec).toBeGreaterThan(routeSec);
    expect(d.stopTimeoutSec).toBeLessThanOrEqual(FARGATE_MAX_STOP_TIMEOUT_SEC);
    expect(resolveFarcarDrain({}, fail)).toEqual(d);
  });

  it("Envoy closes its connections itself: max_connection_duration and drain_timeout on the traffic listener", () => {
    const hcm = trafficManager(INPUT);
    expect(hcm.common_http_protocol_options.max_connection_duration).toBe(`${d.maxConnectionDurationSec}s`);
    expect(hcm.drain_timeout).toBe(`${d.connectionDrainSec}s`);
  });

  it("the container and the target group take their numbers from the same plan", () => {
    const launch = envoyContainerLaunch({ ...INPUT, drain: { drainTimeSec: 45, stopTimeoutSec: 60, deregistrationDelaySec: 90 } });
    expect(launch.command).toEqual(expect.arrayContaining(["--drain-time-s", "45"]));
    expect(launch.environment.find((e) => e.name === ENVOY_DRAIN_TIME_ENV)?.value).toBe("45");
    expect(launch.stopTimeoutSec).toBe(60);
    expect(launch.deregistrationDelaySec).toBe(90);
    expect(formatValidationErrors(validateBootstrap(launch.bootstrap))).toBe("");
  });
});

describe("refuses knobs that cannot drain, naming them", () => {
  it("a deregistration delay shorter than max connection duration + route timeout", () => {
    expect(drainWith({ maxConnectionDurationSec: 30, deregistrationDelaySec: 55 }, 25).deregistrationDelaySec).toBe(55);
    expect(() => drainWith({ maxConnectionDurationSec: 30, deregistrationDelaySec: 54 }, 25)).toThrow(
      "drain.deregistrationDelaySec 54 must be at least drain.maxConnectionDurationSec 30 + max(timeouts.routeSec 25, drain.connectionDrainSec 5) = 55",
    );
    // A longer route timeout needs a longer delay: the generator refuses the combination.
    expect(() => farcarBootstrap({ ...INPUT, timeouts: { routeSec: 28 }, drain: { maxConnectionDurationSec: 35 } })).toThrow(
      /drain\.deregistrationDelaySec 60 must be at least .* = 63/,
    );
  });

  it("an Envoy drain shorter than the route timeout", () => {
    expect(() => drainWith({ drainTimeSec: 20 }, 25)).toThrow("drain.drainTimeSec 20 must be at least timeouts.routeSec 25");
  });

  it("a drain longer than the deregistration delay", () => {
    expect(() => drainWith({ drainTimeSec: 70, stopTimeoutSec: 80 }, 25)).toThrow(
      "drain.deregistrationDelaySec 60 must be at least drain.drainTimeSec 70",
    );
  });

  it("a stop timeout that does not cover the drain, or above Fargate's maximum", () => {
    expect(() => drainWith({ stopTimeoutSec: 34 })).toThrow("drain.stopTimeoutSec 34 must be at least drain.drainTimeSec 30 + 5");
    expect(() => drainWith({ drainTimeSec: 118, stopTimeoutSec: 123, deregistrationDelaySec: 200 })).toThrow(
      "drain.stopTimeoutSec 123 is above Fargate's maximum stop timeout of 120",
    );
  });

  it("zero, negative or fractional whole-second knobs, and a delay above the NLB's 3600 s", () => {
    expect(() => drainWith({ maxConnectionDurationSec: 0 })).toThrow("drain.maxConnectionDurationSec must be a positive number of seconds, got 0");
    expect(() => drainWith({ drainTimeSec: 30.5 })).toThrow("drain.drainTimeSec must be a whole number of seconds, got 30.5");
    expect(() => drainWith({ deregistrationDelaySec: 3601 })).toThrow("above the NLB's maximum of 3600");
  });

  it("as the generators' own errors, in both directions", () => {
    expect(() => farcarBootstrap({ ...INPUT, drain: { stopTimeoutSec: 10 } })).toThrow(FarcarEnvoyInputError);
    expect(() => farcarBootstrap({ ...INPUT, drain: { stopTimeoutSec: 10 } })).toThrow(/^Farcar afterpay\/staging\/checkout: drain\.stopTimeoutSec 10/);
    const egress = {
      acquisition: "afterpay",
      environment: "production",
      service: "risk-scores",
      upstream: { url: "https://risk.afterpay.internal", auth: { kind: "mtls" as const } },
      drain: { deregistrationDelaySec: 10 },
    };
    expect(() => farcarEgressBootstrap(egress)).toThrow(FarcarEgressInputError);
  });
});
