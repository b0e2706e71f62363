/**
 * Cases settled as denied without simulating them (verify/no-allow.ts): only when no Allow
 * statement could apply. Never a request iam-simulate lets through — checked against iam-simulate
 * itself on policies written to make a careless shortcut go wrong (wildcards, short ARNs, policy
 * variables, NotResource / NotAction / NotPrincipal, account and wildcard principals, role names
 * in another case, same- and cross-account callers, identity policies that allow or not).
 */
import { evaluate, prepareIdentityPolicy, prepareResourcePolicy, roleSessionArn, type InvokeRequest, type PreparedPolicy } from "../../verify/simulator";
import { NoApplicableAllow } from "../../verify/no-allow";

const API_ACCOUNT = "900000000001";
const API = `arn:aws:execute-api:us-east-1:${API_ACCOUNT}:a1b2c3d4e5`;
const ENDPOINT = "vpce-0123456789abcdef0";
const CHECKOUT = "arn:aws:iam::333333333333:role/checkout-staging";

const allow = (extra: Record<string, unknown>) => ({ Effect: "Allow", Action: "execute-api:Invoke", Resource: `${API}/staging/*/checkout/*`, Principal: { AWS: CHECKOUT }, ...extra });
const endpointDeny = { Sid: "DenyOutsideEndpoint", Effect: "Deny", Principal: "*", Action: "execute-api:Invoke", Resource: `${API}/*`, Condition: { StringNotEquals: { "aws:SourceVpce": ENDPOINT } } };

/** Resource policies whose Allow is shaped in every way the shortcut must read generously. */
const RESOURCE_POLICIES: Record<string, Record<string, unknown>[]> = {
  generated: [allow({}), endpointDeny],
  "prefix without slash": [allow({ Resource: `${API}/staging/*/checkout*` })],
  "question mark": [allow({ Resource: `${API}/staging/???/checkout/*` })],
  "resource in another case": [allow({ Resource: `${API.toUpperCase()}/STAGING/*/checkout/*` })],
  "wildcard across colons": [allow({ Resource: "arn:aws:execute-api:*" })],
  "short ARN": [allow({ Resource: "arn:aws:execute-api" })],
  "resource star": [allow({ Resource: "*" })],
  "policy variable": [allow({ Resource: `${API}/staging/*/\${aws:PrincipalTag/service}/*` })],
  "not resource": [{ Effect: "Allow", Action: "execute-api:Invoke", NotResource: `${API}/production/*`, Principal: { AWS: CHECKOUT } }],
  "action wildcard": [allow({ Action: "execute-api:*" })],
  "action in another case": [allow({ Action: "EXECUTE-API:invoke" })],
  "not action": [{ Effect: "Allow", NotAction: "s3:*", Resource: `${API}/*`, Principal: { AWS: CHECKOUT } }],
  "principal star": [allow({ Principal: "*" })],
  "principal AWS star": [allow({ Principal: { AWS: "*" } })],
  "account principal": [allow({ Principal: { AWS: "333333333333" } })],
  "account root principal": [allow({ Principal: { AWS: "arn:aws:iam::333333333333:root" } })],
  "role name in another case": [allow({ Principal: { AWS: "arn:aws:iam::333333333333:role/CHECKOUT-STAGING" } })],
  "role with a path": [allow({ Principal: { AWS: "arn:aws:iam::333333333333:role/team/checkout-staging" } })],
  "own account's admin": [allow({ Principal: { AWS: `arn:aws:iam::${API_ACCOUNT}:role/admin` }, Resource: `${API}/*` })],
  "not principal": [{ Effect: "Allow", Action: "execute-api:Invoke", Resource: `${API}/*`, NotPrincipal: { AWS: "arn:aws:iam::444444444444:role/x" } }],
  "conditional allow": [allow({ Condition: { StringEquals: { "aws:SourceVpce": ENDPOINT } } })],
  "nothing allowed": [endpointDeny],
};

const IDENTITY_POLICIES: Record<string, PreparedPolicy> = {
  "allow everything": prepareIdentityPolicy("AllowEverything", { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }),
  "checkout paths": prepareIdentityPolicy("caller", { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "execute-api:Invoke", Resource: `${API}/staging/*/checkout/*` }] }),
  "other API": prepareIdentityPolicy("other", { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:us-east-1:900000000002:zzzz/*" }] }),
  none: prepareIdentityPolicy("none", { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] }),
};

const ROLES = [
  CHECKOUT,
  "arn:aws:iam::333333333333:role/team/checkout-staging",
  "arn:aws:iam::333333333333:role/disputes-staging",
  "arn:aws:iam::444444444444:role/checkout-staging",
  `arn:aws:iam::${API_ACCOUNT}:role/admin`,
  `arn:aws:iam::${API_ACCOUNT}:role/checkout-staging`,
];
const PATHS = ["staging/GET/checkout/payments", "staging/POST/checkout-v2/x", "staging/GET/checkoutx/y", "staging/DELETE/disputes/checkout/z", "production/GET/checkout/a", "staging/PATCH/ledger/b"];

function request(roleArn: string, path: string, sourceVpce?: string): InvokeRequest {
  return {
    principal: roleSessionArn(roleArn),
    principalAccount: roleArn.split(":")[4],
    principalArn: roleArn,
    resourceArn: `${API}/${path}`,
    resourceAccount: API_ACCOUNT,
    sourceVpce,
  };
}

describe("NoApplicableAllow", () => {
  test("never settles as denied a request iam-simulate allows; settles the plainly unmatched ones", () => {
    let settled = 0;
    let allowed = 0;
    const wrong: string[] = [];
    for (const [name, statements] of Object.entries(RESOURCE_POLICIES)) {
      const policy = prepareResourcePolicy(name, { Version: "2012-10-17", Statement: statements });
      expect({ name, errors: policy.errors }).toEqual({ name, errors: [] });
      const shortcut = new NoApplicableAllow(policy);
      for (const [identityName, identity] of Object.entries(IDENTITY_POLICIES)) {
        for (const role of ROLES) {
          for (const path of PATHS) {
            for (const endpoint of [ENDPOINT, "vpce-0aaaaaaaaaaaaaaaa", undefined]) {
              const req = request(role, path, endpoint);
              const verdict = evaluate(req, policy, [identity]);
              const settles = shortcut.settlesAsDenied(req, [identity]);
              if (verdict === "Allowed") allowed++;
              if (settles) settled++;
              if (settles && verdict === "Allowed") wrong.push(`${name} / ${identityName}: ${role} ${path} via ${endpoint}`);
            }
          }
        }
      }
    }
    expect(wrong).toEqual([]);
    // Not vacuous: both outcomes occur often.
    expect(allowed).toBeGreaterThan(500);
    expect(settled).toBeGreaterThan(2000);
  });

  test("a cross-account caller needs both Allows; a same-account caller either", () => {
    const policy = prepareResourcePolicy("generated", { Version: "2012-10-17", Statement: RESOURCE_POLICIES.generated });
    const shortcut = new NoApplicableAllow(policy);
    const own = request(CHECKOUT, "staging/GET/checkout/payments", ENDPOINT);
    expect(shortcut.settlesAsDenied(own, [IDENTITY_POLICIES["checkout paths"]])).toBe(false);
    expect(evaluate(own, policy, [IDENTITY_POLICIES["checkout paths"]])).toBe("Allowed");
    // Cross-account with no identity Allow: denied whatever the resource policy says.
    expect(shortcut.settlesAsDenied(own, [IDENTITY_POLICIES.none])).toBe(true);
    // Same account (the API's own admin) with an identity Allow: simulated, not settled.
    const admin = request(`arn:aws:iam::${API_ACCOUNT}:role/admin`, "staging/GET/checkout/payments", ENDPOINT);
    expect(shortcut.settlesAsDenied(admin, [IDENTITY_POLICIES["allow everything"]])).toBe(false);
    expect(shortcut.settlesAsDenied(admin, [IDENTITY_POLICIES.none])).toBe(true);
  });
});
