/**
 * `npm run verify` on worker threads (verify/parallel.ts): the same proof as in one thread — the
 * same APIs, cases, outcomes and mismatches — with the APIs shared out between the workers.
 */
import { defaultWorkers, defaultWorkersFor, mapApiPolicies, shareOut, startIsolationWorkers, verifyIsolation, verifyIsolationParallel, WORKERS_FROM_APIS } from "../../verify";
import { generateFleetYaml } from "../../bench/fleet";
import { fleetFromYaml, synthFleet } from "../support/synth";
import { stacksOf } from "./support";

// Started before the synth, as scripts/verify.ts does: the workers load while this thread synthesizes.
const pool = startIsolationWorkers(2);
// The smallest fleet with two stacks that have APIs: an ingress (two services) and an egress stack.
const example = synthFleet(fleetFromYaml(generateFleetYaml({ inbound: 2, outbound: 1 })));
const clean = stacksOf(example);
const SELECTED = ["bigco-production-egress", "bigco-production-ingress"];

const summary = (r: Awaited<ReturnType<typeof verifyIsolation>>) => ({
  ok: r.ok,
  cases: r.cases,
  mismatches: r.mismatches,
  problems: r.problems,
  stacks: r.stacks.map((s) => ({ stack: s.stack, cases: s.cases, allowed: s.allowed, mismatches: s.mismatches.map((m) => `${m.principal} ${m.method} ${m.path} ${m.endpoint.kind}`) })),
});

describe("verifyIsolationParallel", () => {
  test("shares every API with a resource policy out, largest first, each exactly once", () => {
    const shares = shareOut(clean, 2);
    expect(shares).toHaveLength(2);
    expect(shares.flat().sort()).toEqual(example.stackNames.filter((n) => example.json(n).resource?.aws_api_gateway_rest_api_policy).sort());
    expect(shareOut(clean, 2, SELECTED).flat().sort()).toEqual(SELECTED);
  });

  afterAll(() => pool.close());

  test("by default simulates in this thread up to WORKERS_FROM_APIS selected APIs, on workers above", () => {
    expect(defaultWorkersFor(example.fleet)).toBe(1);
    const large = fleetFromYaml(generateFleetYaml({ inbound: WORKERS_FROM_APIS, outbound: 1 }));
    expect(defaultWorkersFor(large)).toBe(defaultWorkers());
    // Only the selected stacks count: the ingress stack alone has exactly WORKERS_FROM_APIS APIs.
    expect(defaultWorkersFor(large, ["bigco-production-ingress"])).toBe(1);
    expect(defaultWorkersFor(large, ["bigco-production-egress"])).toBe(1);
  });

  test("two workers started early give the report one thread gives, mismatches included", async () => {
    // One of the two stacks broken (its APIs without the endpoint deny), so there is something to find.
    const broken = {
      ...clean,
      [SELECTED[1]]: mapApiPolicies(clean[SELECTED[1]], (doc) => ({ ...doc, Statement: doc.Statement.filter((s) => s.Sid !== "DenyOutsideEnvironmentEndpoint") })),
    };
    const options = { stacks: SELECTED, crossCheckEvery: 0 };
    const [serial, parallel] = [await verifyIsolation(example.fleet, broken, options), await verifyIsolationParallel(example.fleet, broken, { ...options, pool })];
    expect(serial.mismatches).toBeGreaterThan(0);
    expect(summary(parallel)).toEqual(summary(serial));
  }, 120_000);
});
