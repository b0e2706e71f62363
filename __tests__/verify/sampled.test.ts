/**
 * verify in a direction of more than 20 services (help/scaling.md, "verify at scale"): each API is
 * probed by a sample of the other roles and names, which always includes every role its policy
 * names and every prefix it grants, so a policy that lets another service in is still caught.
 *
 * The sample is chosen per API from the fleet file, whatever else the stack holds, so each test
 * simulates only the APIs it is about (the others' policies are left out of the stack JSON): the
 * first and last service (the neighbours wrap around) and one in the middle, and the broken one.
 */
import { generateFleetYaml } from "../../bench/fleet";
import { mapApiPolicies, verifyIsolation, type TerraformJson } from "../../verify";
import { fleetFromYaml, synthFleet } from "../support/synth";
import { onlyApisOf, policyIdOf, type Json } from "./support";

const STACK = "bigco-production-ingress";
const fleet = fleetFromYaml(generateFleetYaml({ inbound: 25, outbound: 0 }));
const clean = synthFleet(fleet).json(STACK) as TerraformJson;

/** `clean` with the policy of `service`'s API rewritten by `f` (the others untouched). */
function breakPolicyOf(service: string, f: (doc: { Statement: Json[] }) => unknown): TerraformJson {
  const copy = JSON.parse(JSON.stringify(clean)) as Json;
  const id = policyIdOf(copy, service);
  const one = mapApiPolicies({ resource: { aws_api_gateway_rest_api_policy: { [id]: copy.resource.aws_api_gateway_rest_api_policy[id] } } }, f as never);
  copy.resource.aws_api_gateway_rest_api_policy[id] = (one.resource as Json).aws_api_gateway_rest_api_policy[id];
  return copy;
}

test("the generated policies are clean, and the report says the matrix was sampled", async () => {
  expect(Object.keys((clean.resource as Json).aws_api_gateway_rest_api_policy)).toHaveLength(25);
  const services = ["svc-0000", "svc-0012", "svc-0024"];
  const report = await verifyIsolation(fleet, { [STACK]: onlyApisOf(clean, services) });
  expect(report.problems).toEqual([]);
  expect(report.mismatches).toBe(0);
  expect(report.stacks.map((s) => s.services)).toEqual(services.map((s) => [s]));
  expect(report.notes).toEqual([expect.stringContaining(`${STACK}: more than 20 services`)]);
  // Sampled, not the whole fleet: every API is probed by fewer roles than the 25 services have.
  for (const s of report.stacks) expect(s.principals).toBeLessThan(25);
});

test("a policy that also admits a far-away service's role is caught, although that role is no neighbour", async () => {
  // svc-0003's API also lets svc-0017's role in (svc-0017 is not among svc-0003's 4 neighbours).
  const far = fleet.environments[0].inbound.find((s) => s.name === "svc-0017")!.roleArns[0];
  const broken = breakPolicyOf("svc-0003", (doc) => ({
    ...doc,
    Statement: doc.Statement.map((s) => (s.Effect === "Allow" ? { ...s, Principal: { AWS: [...[s.Principal.AWS].flat(), far] } } : s)),
  }));
  // svc-0003's API, and svc-0017's own (whose policy is unchanged: no mismatch there).
  const report = await verifyIsolation(fleet, { [STACK]: onlyApisOf(broken, ["svc-0003", "svc-0017"]) });
  expect(report.ok).toBe(false);
  expect(report.stacks.map((s) => s.services.join())).toEqual(["svc-0003", "svc-0017"]);
  const principals = new Set(report.stacks.flatMap((s) => s.mismatches.map((m) => `${s.services.join()} ${m.roleArn} ${m.expected}`)));
  expect([...principals]).toEqual([`svc-0003 ${far} Denied`]);
});
