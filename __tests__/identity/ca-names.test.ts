/**
 * Issue 11 item 6: CA subject attributes stay within 64 characters, derived deterministically,
 * with the longest names the fleet allows (63-character acquisition, environment and service).
 */
import { caSubjectNames, CA_SUBJECT_ATTRIBUTE_MAX } from "../../modules/identity/certificate-authorities";
import { LONG_NAMES, LONG_NAMES_FLEET, LONG_NAMES_STACK } from "../config/fleet-variants";
import { fleetFromYaml, synthFleet } from "../support/synth";

const { acquisition: ACQ, environment: ENV } = LONG_NAMES;

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

  it("63-character acquisition, environment and service names synthesize within the limits", () => {
    const synthesized = synthFleet(fleetFromYaml(LONG_NAMES_FLEET));
    const stack = LONG_NAMES_STACK;
    const tf = synthesized.json(stack);
    const [ca] = Object.values(tf.resource.aws_acmpca_certificate_authority) as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const subject = ca.certificate_authority_configuration.subject;
    for (const key of ["common_name", "organization", "organizational_unit"]) expect(subject[key].length).toBeLessThanOrEqual(64);
    const fn = Object.values(tf.resource.aws_lambda_function)[0] as { function_name: string };
    expect(fn.function_name.length).toBeLessThanOrEqual(64);

    // terraform validate + plan of this stack: terraform/variants.test.ts ("long-names").
  });
});
