/**
 * Issue 11 item 6: CA subject attributes stay within 64 characters, derived deterministically,
 * with the longest names the fleet allows (63-character acquisition, environment and service).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { caSubjectNames, CA_SUBJECT_ATTRIBUTE_MAX } from "../../modules/identity/certificate-authorities";
import { fleetWith } from "../config/fleet-fixture";
import { fleetFromYaml, synthFleet } from "../support/synth";
import { describeStackPlan, planStacks } from "../support/terraform";

const ACQ = `a${"c".repeat(61)}q`;
const ENV = `e${"n".repeat(61)}v`;
const SVC = `s${"v".repeat(61)}c`;

describe("CA subject names", () => {
  it("are unchanged when short, and within 64 characters, distinct and stable when long", () => {
    expect(caSubjectNames({ acquisition: "afterpay", environment: "staging", organization: "block.example" })).toEqual({
      commonName: "Farcar-afterpay-staging-CA",
      organization: "block.example",
      organizationalUnit: "afterpay-staging",
    });
    const a = caSubjectNames({ acquisition: ACQ, environment: ENV, organization: "block.example" });
    const b = caSubjectNames({ acquisition: ACQ, environment: `${ENV.slice(0, 62)}w`, organization: "block.example" });
    for (const v of [...Object.values(a), ...Object.values(b)]) expect(v.length).toBeLessThanOrEqual(CA_SUBJECT_ATTRIBUTE_MAX);
    expect(a.commonName).not.toBe(b.commonName);
    expect(a.organizationalUnit).not.toBe(b.organizationalUnit);
    expect(caSubjectNames({ acquisition: ACQ, environment: ENV, organization: "block.example" })).toEqual(a);
  });

  it("63-character acquisition, environment and service names synthesize and pass terraform validate", async () => {
    const yaml = fleetWith(
      ["  afterpay:", `  ${ACQ}:`],
      ["      staging:", `      ${ENV}:`],
      ["          checkout:", `          ${SVC}:`],
    );
    const synthesized = synthFleet(fleetFromYaml(yaml));
    const stack = `${ACQ}-${ENV}-ingress`;
    const tf = synthesized.json(stack);
    const [ca] = Object.values(tf.resource.aws_acmpca_certificate_authority) as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const subject = ca.certificate_authority_configuration.subject;
    for (const key of ["common_name", "organization", "organizational_unit"]) expect(subject[key].length).toBeLessThanOrEqual(64);
    const fn = Object.values(tf.resource.aws_lambda_function)[0] as { function_name: string };
    expect(fn.function_name.length).toBeLessThanOrEqual(64);

    const work = mkdtempSync(path.join(tmpdir(), "farcar-tf-names-"));
    try {
      const p = (await planStacks([synthesized.dir(stack)], work)).stack(stack);
      if (!p.ok) throw new Error(describeStackPlan(p));
      expect(p.errors).toEqual([]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 240_000);
});
