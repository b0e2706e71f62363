/**
 * The patches to iam-simulate and iam-policy (patches/@cloud-copilot+*.patch, applied by
 * patch-package on `npm ci`) remember what those libraries recomputed on every request. Two things
 * must hold: they are applied (no ICU collation per request once warm; one resource-type lookup per
 * request resource), and a remembered answer is never handed to a different question, nor shared so
 * that one caller's in-place edit reaches the next (verdicts do not depend on what was asked before).
 * The proofs' own tests (isolation.test.ts, guardrails.test.ts) check every verdict on real policies.
 */
import { createRequire } from "node:module";
import { runUnsafeSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import { evaluate, evaluateChecked, prepareIdentityPolicy, prepareResourcePolicy, prepareServiceControlPolicy, roleSessionArn, type InvokeRequest } from "../../verify/simulator";

const API = "arn:aws:execute-api:us-east-1:900000000001:a1b2c3d4e5";
const ENDPOINT = "vpce-0123456789abcdef0";
const CHECKOUT = "arn:aws:iam::333333333333:role/checkout-staging";
const DISPUTES = "arn:aws:iam::333333333333:role/disputes-staging";

/** A resource policy shaped like the generated one: allows per role and path, denies outside the endpoint and the proxy account. */
const resourcePolicy = prepareResourcePolicy("test resource policy", {
  Version: "2012-10-17",
  Statement: [
    { Sid: "InvokeCheckout", Effect: "Allow", Principal: { AWS: CHECKOUT }, Action: "execute-api:Invoke", Resource: [`${API}/staging/*/checkout/*`] },
    { Sid: "InvokeDisputes", Effect: "Allow", Principal: { AWS: DISPUTES }, Action: "execute-api:Invoke", Resource: [`${API}/staging/GET/disputes/*`] },
    { Sid: "DenyOutsideEnvironmentEndpoint", Effect: "Deny", Principal: "*", Action: "execute-api:Invoke", Resource: `${API}/*`, Condition: { StringNotEquals: { "aws:SourceVpce": ENDPOINT } } },
    { Sid: "DenyProxyAccountPrincipals", Effect: "Deny", Principal: "*", Action: "execute-api:Invoke", Resource: `${API}/*`, Condition: { StringEqualsIfExists: { "aws:PrincipalAccount": "900000000001" } } },
    // NotResource: iam-simulate inverts each resource's answer in place; a shared cached answer would flip.
    { Sid: "DenyAllButStaging", Effect: "Deny", Principal: "*", Action: "execute-api:Invoke", NotResource: `${API}/staging/*` },
  ],
});
const allowAll = prepareIdentityPolicy("AllowEverything", { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });

/** `sourceVpce` null: the request came through no VPC endpoint. */
function request(roleArn: string, methodAndPath: string, sourceVpce: string | null): InvokeRequest {
  return {
    principal: roleSessionArn(roleArn),
    principalAccount: roleArn.split(":")[4],
    principalArn: roleArn,
    resourceArn: `${API}/${methodAndPath}`,
    resourceAccount: "900000000001",
    sourceVpce: sourceVpce ?? undefined,
  };
}

const verdict = (roleArn: string, methodAndPath: string, sourceVpce: string | null = ENDPOINT) => evaluate(request(roleArn, methodAndPath, sourceVpce), resourcePolicy, [allowAll]);

/** [role, method/path, endpoint, what AWS decides] — read off the policy above. */
const CASES: [string, string, string | null, string][] = [
  [CHECKOUT, "staging/POST/checkout/payments/a", ENDPOINT, "Allowed"],
  [CHECKOUT, "staging/POST/checkout/payments/a", "vpce-0aaaaaaaaaaaaaaaa", "ExplicitlyDenied"],
  [CHECKOUT, "staging/POST/checkout/payments/a", null, "ExplicitlyDenied"],
  [CHECKOUT, "staging/GET/disputes/x", ENDPOINT, "ImplicitlyDenied"],
  [CHECKOUT, "production/POST/checkout/payments/a", ENDPOINT, "ExplicitlyDenied"], // NotResource deny
  [DISPUTES, "staging/GET/disputes/x", ENDPOINT, "Allowed"],
  [DISPUTES, "staging/POST/disputes/x", ENDPOINT, "ImplicitlyDenied"],
  [DISPUTES, "production/GET/disputes/x", ENDPOINT, "ExplicitlyDenied"],
  ["arn:aws:iam::900000000001:role/admin", "staging/POST/checkout/payments/a", ENDPOINT, "ExplicitlyDenied"],
];

describe("patched iam-simulate", () => {
  test("gives the same verdict for each case whatever was asked before (forwards, backwards, twice)", () => {
    const expected = CASES.map(([, , , v]) => v);
    const run = (order: number[]) => order.map((i) => verdict(CASES[i][0], CASES[i][1], CASES[i][2]));
    const forwards = CASES.map((_, i) => i);
    const backwards = [...forwards].reverse();
    expect(run(forwards)).toEqual(expected);
    expect(run(backwards)).toEqual([...expected].reverse());
    expect(run([...forwards, ...forwards])).toEqual([...expected, ...expected]);
  });

  test("no ICU collation per request once warm (the patched caseInsensitiveEquals and role-name compare)", () => {
    verdict(CHECKOUT, "staging/POST/checkout/payments/a");
    verdict(DISPUTES, "staging/GET/disputes/x");
    const spy = jest.spyOn(String.prototype, "localeCompare");
    try {
      for (let i = 0; i < 50; i++) {
        expect(verdict(CHECKOUT, `staging/POST/checkout/payments/${i}`)).toBe("Allowed");
        expect(verdict(DISPUTES, `staging/GET/disputes/${i}`)).toBe("Allowed");
      }
      // Unpatched: StringNotEquals / StringEqualsIfExists are parsed with localeCompare on every
      // condition of every request (hundreds of calls here).
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  test("a validated policy is parsed once, not per request; a raw document every time", () => {
    // iam-policy, as iam-simulate loads it (verify/simulator.ts prepares policies with it).
    const iamPolicy = createRequire(require.resolve("@cloud-copilot/iam-simulate"))("@cloud-copilot/iam-policy") as {
      loadPolicy(doc: unknown, metadata?: { name: string }): { statements(): { actions(): unknown[] }[] };
    };
    verdict(CHECKOUT, "staging/POST/checkout/payments/a");
    const loaded = iamPolicy.loadPolicy(resourcePolicy.validated, { name: "a" });
    const spy = jest.spyOn(Object.getPrototypeOf(loaded), "newStatements");
    try {
      for (let i = 0; i < 20; i++) expect(verdict(CHECKOUT, `staging/POST/checkout/payments/${i}`)).toBe("Allowed");
      expect(spy).not.toHaveBeenCalled(); // unpatched: once per policy per request
      expect(iamPolicy.loadPolicy(resourcePolicy.validated, { name: "a" })).toBe(loaded);
      expect(loaded.statements()[0].actions()).toBe(loaded.statements()[0].actions());
      // Another name is another Policy (its metadata names it in the analysis); a raw document is never reused.
      expect(iamPolicy.loadPolicy(resourcePolicy.validated, { name: "b" })).not.toBe(loaded);
      const raw = resourcePolicy.document;
      expect(iamPolicy.loadPolicy(raw)).not.toBe(iamPolicy.loadPolicy(raw));
    } finally {
      spy.mockRestore();
    }
  });

  test("ArnNotLike answers are remembered per (pattern, ARN): each principal keeps its own verdict", () => {
    const scp = prepareServiceControlPolicy("guardrail", {
      Version: "2012-10-17",
      Statement: [
        { Sid: "AllowAll", Effect: "Allow", Action: "*", Resource: "*" },
        {
          Sid: "DenyRoleChanges",
          Effect: "Deny",
          Action: "iam:UpdateAssumeRolePolicy",
          Resource: "*",
          Condition: { ArnNotLike: { "aws:PrincipalArn": ["arn:aws:iam::*:role/OrganizationAccountAccessRole", "arn:aws:iam::*:role/stacksets-exec-*"] } },
        },
      ],
    });
    const simulate = (principalArn: string) => {
      const simulation: Simulation = {
        request: {
          principal: principalArn,
          action: "iam:UpdateAssumeRolePolicy",
          resource: { resource: "arn:aws:iam::900000000001:role/farcar-x", accountId: "900000000001" },
          contextVariables: { "aws:PrincipalArn": principalArn, "aws:PrincipalAccount": "900000000001" },
        },
        identityPolicies: [{ name: "AllowEverything", policy: allowAll.validated as never }],
        serviceControlPolicies: [{ orgIdentifier: "ou-ab12-proxies01", policies: [{ name: "guardrail", policy: scp.validated as never }] }],
        resourceControlPolicies: [],
      };
      return runUnsafeSimulation(simulation, {});
    };
    const admin = "arn:aws:iam::900000000001:role/ProxyAdministrator";
    const deployer = "arn:aws:iam::900000000001:role/OrganizationAccountAccessRole";
    const stackset = "arn:aws:iam::900000000001:role/stacksets-exec-me";
    const order = [admin, deployer, stackset, admin, stackset, deployer, admin];
    expect(order.map(simulate)).toEqual(["ExplicitlyDenied", "Allowed", "Allowed", "ExplicitlyDenied", "Allowed", "Allowed", "ExplicitlyDenied"]);
  });

  test("runSimulation looks a resource's type up once per (service, action, resource), with the same answer", async () => {
    // iam-utils, as iam-simulate loads it: the resource-type match is most of runSimulation's cost.
    const iamUtils = createRequire(require.resolve("@cloud-copilot/iam-simulate"))("@cloud-copilot/iam-utils") as Record<string, unknown>;
    const req = request(CHECKOUT, "staging/PATCH/checkout/ledger/once", ENDPOINT);
    const first = await evaluateChecked(req, resourcePolicy, [allowAll]);
    const spy = jest.spyOn(iamUtils, "mostSpecificMatchingResourceTypePatterns" as never);
    try {
      const again = await evaluateChecked(req, resourcePolicy, [allowAll]);
      expect(again).toEqual(first);
      expect(first.result).toBe("Allowed");
      expect(spy).not.toHaveBeenCalled(); // unpatched: once per runSimulation
      // Another resource is looked up afresh.
      expect((await evaluateChecked(request(CHECKOUT, "staging/GET/disputes/x", ENDPOINT), resourcePolicy, [allowAll])).result).toBe("ImplicitlyDenied");
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });
});
