/**
 * verify in a direction of more than 20 services (help/scaling.md, "verify at scale"): each API is
 * probed by a sample of the other roles and names, which always includes every role its policy
 * names and every prefix it grants, so a policy that lets another service in is still caught.
 */
import { generateFleetYaml } from "../../bench/fleet";
import { mapApiPolicies, verifyIsolation, type TerraformJson } from "../../verify";
import { fleetFromYaml, synthFleet } from "../support/synth";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const STACK = "bigco-production-ingress";
const fleet = fleetFromYaml(generateFleetYaml({ inbound: 25, outbound: 0 }));
const clean = synthFleet(fleet).json(STACK) as TerraformJson;

/** `clean` with the policy of `service`'s API rewritten by `f` (the others untouched). */
function breakPolicyOf(service: string, f: (doc: { Statement: Json[] }) => unknown): TerraformJson {
  const copy = JSON.parse(JSON.stringify(clean)) as Json;
  const [id] = Object.keys(copy.resource.aws_api_gateway_rest_api_policy).filter((k) => k.startsWith(`api-${service}_policy_`));
  const one = mapApiPolicies({ resource: { aws_api_gateway_rest_api_policy: { [id]: copy.resource.aws_api_gateway_rest_api_policy[id] } } }, f as never);
  copy.resource.aws_api_gateway_rest_api_policy[id] = (one.resource as Json).aws_api_gateway_rest_api_policy[id];
  return copy;
}

test("the generated policies are clean, and the report says the matrix was sampled", async () => {
  const report = await verifyIsolation(fleet, { [STACK]: clean });
  expect(report.problems).toEqual([]);
  expect(report.mismatches).toBe(0);
  expect(report.stacks).toHaveLength(25);
  expect(report.notes).toEqual([expect.stringContaining(`${STACK}: more than 20 services`)]);
});

test("a policy that also admits a far-away service's role is caught, although that role is no neighbour", async () => {
  // svc-0003's API also lets svc-0017's role in (svc-0017 is not among svc-0003's 4 neighbours).
  const far = fleet.environments[0].inbound.find((s) => s.name === "svc-0017")!.roleArns[0];
  const broken = breakPolicyOf("svc-0003", (doc) => ({
    ...doc,
    Statement: doc.Statement.map((s) => (s.Effect === "Allow" ? { ...s, Principal: { AWS: [...[s.Principal.AWS].flat(), far] } } : s)),
  }));
  const report = await verifyIsolation(fleet, { [STACK]: broken });
  expect(report.ok).toBe(false);
  const principals = new Set(report.stacks.flatMap((s) => s.mismatches.map((m) => `${s.services.join()} ${m.roleArn} ${m.expected}`)));
  expect([...principals]).toEqual([`svc-0003 ${far} Denied`]);
});
