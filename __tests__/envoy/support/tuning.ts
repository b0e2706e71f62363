/** Shared fixture for the Envoy generator tests of both directions. */
import type { FarcarTuning } from "../../../envoy/bootstrap";

/** Every FarcarTuning option away from its default (a partial timeouts/circuitBreaker keeps the rest). */
export const NON_DEFAULT_TUNING: FarcarTuning = {
  upstreamProtocol: "http2",
  listenerPort: 18080,
  healthPort: 18081,
  adminPort: 19901,
  timeouts: { connectSec: 0.5, routeSec: 10, streamIdleSec: 20 },
  maxRequestBytes: 1024,
  retries: 0,
  circuitBreaker: { maxConnections: 64 },
  maxDownstreamConnections: 100,
  stripRequestHeaders: ["x-parent-caller"],
  drain: { maxConnectionDurationSec: 20, connectionDrainSec: 2.5, deregistrationDelaySec: 45, drainTimeSec: 15, stopTimeoutSec: 25 },
};
