/**
 * Output descriptions are what a module user reads (module README, `terraform output`): each is
 * one readable sentence — no parenthesised hint spliced into the middle of another sentence, no
 * instruction given twice (the defect: "Identity policy (JSON) each role of acquisition services
 * (append <target>/<path> to the URL) needs…", `invoke_urls` saying "append" twice).
 */
import { EXAMPLE_FLEET } from "../support/synth";
import { loadFleet } from "../../config/load";
import { synthesizeFleet } from "../../verify";

const stacks = synthesizeFleet(loadFleet(EXAMPLE_FLEET));
const outputs = Object.entries(stacks).flatMap(([stack, json]) =>
  Object.entries(((json as { output?: Record<string, { description?: string }> }).output ?? {})).map(([name, o]) => ({ stack, name, description: o.description ?? "" })),
);

describe("output descriptions", () => {
  test("every output of every stack is described", () => {
    expect(outputs.filter((o) => !o.description)).toEqual([]);
  });

  test.each(["append", "sign"])("no description says %s twice", (word) => {
    expect(outputs.filter((o) => o.description.split(word).length > 2)).toEqual([]);
  });

  test("invoke_urls and caller_identity_policies read as the sentences they are", () => {
    const ingress = (name: string) => outputs.find((o) => o.stack === "afterpay-staging-ingress" && o.name === name)!.description;
    expect(ingress("invoke_urls")).toBe("Invoke base URL per service for acquisition services: append <target>/<path> and sign the request with SigV4 (service execute-api)");
    expect(ingress("caller_identity_policies")).toBe(
      "Identity policy (JSON) per service: attach it to each of the service's roles, in their own account, so they may invoke the API (acquisition services; cross-account IAM auth needs an Allow on both sides)",
    );
    const egress = outputs.find((o) => o.stack === "afterpay-staging-egress" && o.name === "invoke_urls")!.description;
    expect(egress).toBe("Invoke base URL per service for parent callers: append the request path and sign the request with SigV4 (service execute-api)");
  });
});
