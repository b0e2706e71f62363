/**
 * The guardrail proof (verify/guardrails.ts): clean on the SCPs the org stack synthesizes, and a
 * named HOLE or LOCKOUT for each deliberately broken variant. Variants rewrite the synthesized JSON
 * (SCP content, attachments, the ingress stack's resources); the simulator is never stubbed.
 */
import {
  formatFinding,
  formatGuardrailReport,
  mapGuardrailPolicies,
  principalArnPatterns,
  principalClasses,
  verifyGuardrails,
  type GuardrailPrincipal,
  type GuardrailReport,
} from "../../verify/guardrails";
import type { TerraformJson } from "../../verify";
import { synthFleetFile } from "../support/synth";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const s = synthFleetFile();
const clean: Record<string, TerraformJson> = Object.fromEntries(s.stackNames.map((n) => [n, s.json(n)]));
const ADMIN_STAGING = "arn:aws:iam::900000000001:role/ProxyAdministrator (an administrator of the proxy account)";

/** The stacks with `org` (or another stack) replaced. */
const withStack = (name: string, tf: TerraformJson) => ({ ...clean, [name]: tf });
const copy = (tf: TerraformJson): Json => JSON.parse(JSON.stringify(tf));

async function findings(stacks: Record<string, TerraformJson>, environment: string): Promise<string[]> {
  const report = await verifyGuardrails(s.fleet, stacks, { environments: [environment] });
  expect(report.problems).toEqual([]);
  return report.accounts.flatMap((a) => a.findings.map(formatFinding));
}

/** Drop a statement from every guardrail SCP, or rewrite it. */
function editStatement(sid: string, edit: (st: Json) => Json | undefined): TerraformJson {
  return mapGuardrailPolicies(clean.org, (_name, policy) => ({
    ...policy,
    Statement: policy.Statement.flatMap((st) => (st.Sid === sid ? (edit(st) ?? []) : [st])),
  }));
}

describe("guardrail proof", () => {
  let report: GuardrailReport;
  beforeAll(async () => {
    report = await verifyGuardrails(s.fleet, clean);
  });

  test("GIVEN the example fleet THEN no principal but the exempt ones can hijack an identity in any ingress proxy account", () => {
    expect(report.problems).toEqual([]);
    expect(report.accounts.map((a) => [a.environment, a.accountId, a.adopted, a.findings.length])).toEqual([
      ["afterpay-staging", "900000000001", false, 0],
      ["afterpay-production", "900000000002", false, 0],
      ["tidal-production", "777777777777", true, 0],
    ]);
    expect(report.ok).toBe(true);
    expect(report.cases).toBeGreaterThan(2000);
  });

  test("an adopted account is protected by the SCPs attached to it directly, a created one through the proxy OU", () => {
    const [staging, , tidal] = report.accounts;
    expect(staging.ouPolicies).toEqual(["farcar-proxy-guardrails", "farcar-proxy-identity-guardrails"]);
    expect(tidal.ouPolicies).toEqual([]);
    expect(tidal.accountPolicies).toEqual(["farcar-proxy-guardrails", "farcar-proxy-identity-guardrails"]);
  });

  test("says that egress proxy accounts are outside the org stack's reach", () => {
    expect(formatGuardrailReport(report)).toContain("3 egress proxy account(s) (444444444444, 555555555555, 888888888888) belong to the acquisitions' organizations");
  });

  test("names the hole when the SCPs are attached to the proxy OU only (adopted accounts uncovered)", async () => {
    const org = copy(clean.org);
    for (const [id, a] of Object.entries(org.resource.aws_organizations_policy_attachment as Json)) {
      if (a.target_id === "777777777777") delete org.resource.aws_organizations_policy_attachment[id];
    }
    const lines = await findings(withStack("org", org), "tidal-production");
    // one private API per service: each API's fake id (verify/terraform-refs.ts) is named
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(`^HOLE tidal-production \\(777777777777\\): arn:aws:iam::777777777777:role/ProxyAdministrator \\(an administrator of the proxy account\\) can change the API's resource policy — apigateway:PATCH arn:aws:apigateway:us-east-1::/restapis/[0-9a-f]{10}: expected Denied, got Allowed$`),
      ),
    );
    expect(lines.some((l) => l.includes("can overwrite secret farcar/tidal/production/payouts/svid"))).toBe(true);
  });

  test("names the hole when an ECS resource is written with a wildcard resource type (matches nothing)", async () => {
    const org = editStatement("DenyFarcarTaskChanges", (st) => ({ ...st, Resource: "arn:*:ecs:*:*:*/farcar-*" }));
    const lines = await findings(withStack("org", org), "afterpay-staging");
    expect(lines).toContain(
      `HOLE afterpay-staging (900000000001): ${ADMIN_STAGING} can exec into a task of cluster farcar-afterpay-staging-ingress — ecs:ExecuteCommand arn:aws:ecs:us-east-1:900000000001:task/farcar-afterpay-staging-ingress/0123456789abcdef0123456789abcdef: expected Denied, got Allowed`,
    );
    expect(lines.some((l) => l.startsWith(`HOLE afterpay-staging (900000000001): ${ADMIN_STAGING} can run a task of farcar-afterpay-staging-in-checkout`))).toBe(true);
  });

  test("names the hole when the exempt role names are not protected (anyone could create stacksets-exec-me)", async () => {
    const org = editStatement("DenyRoleChanges", (st) => ({ ...st, Resource: "arn:*:iam::*:role/farcar-*" }));
    const lines = await findings(withStack("org", org), "afterpay-staging");
    expect(lines).toContain(
      `HOLE afterpay-staging (900000000001): ${ADMIN_STAGING} can create a role stacksets-exec-me that the exemption stacksets-exec-* would cover — iam:CreateRole arn:aws:iam::900000000001:role/stacksets-exec-me: expected Denied, got Allowed`,
    );
    expect(lines.some((l) => l.includes("can create a role whose path makes its ARN match stacksets-exec-*"))).toBe(true);
    expect(lines.some((l) => l.includes("can change the trust policy of exempt role OrganizationAccountAccessRole"))).toBe(true);
  });

  test("names the hole when anyone may issue certificates", async () => {
    const lines = await findings(withStack("org", editStatement("DenyCertificateIssuance", () => undefined)), "afterpay-staging");
    expect(lines.filter((l) => l.includes("acm-pca:IssueCertificate")).map((l) => l.split(" — ")[0])).toContain(
      `HOLE afterpay-staging (900000000001): ${ADMIN_STAGING} can issue a certificate from CA acquisition-ca`,
    );
  });

  test("names a lockout, with the statement that caused it, when the deploy role is not exempt", async () => {
    const org = editStatement("DenyApiChanges", (st) => ({
      ...st,
      Condition: { ArnNotLike: { "aws:PrincipalArn": st.Condition.ArnNotLike["aws:PrincipalArn"].filter((a: string) => !a.endsWith("/OrganizationAccountAccessRole")) } },
    }));
    const lines = await findings(withStack("org", org), "afterpay-staging");
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^LOCKOUT afterpay-staging \(900000000001\): arn:aws:iam::900000000001:role\/OrganizationAccountAccessRole \(the deploy role\) cannot change the API's resource policy — apigateway:PATCH arn:aws:apigateway:us-east-1::\/restapis\/[0-9a-f]{10}: expected Allowed, got ExplicitlyDenied \[Deny scp:ou-ab12-proxies01:DenyApiChanges\]$/,
      ),
    );
  });

  test("names the hole when the ingress stack creates a role outside the guarded names", async () => {
    const tf = copy(clean["afterpay-staging-ingress"]);
    const [id] = Object.entries(tf.resource.aws_iam_role as Json).find(([, r]) => String(r.name).endsWith("checkout-task"))!;
    tf.resource.aws_iam_role[id].name = "checkout-task";
    const lines = await findings(withStack("afterpay-staging-ingress", tf), "afterpay-staging");
    expect(lines).toContain(
      `HOLE afterpay-staging (900000000001): ${ADMIN_STAGING} can pass checkout-task to a task, function or instance — iam:PassRole arn:aws:iam::900000000001:role/checkout-task: expected Denied, got Allowed`,
    );
  });

  test("GIVEN Farcar task roles with an allow-all policy THEN they cannot issue; the environment's issuer role can", async () => {
    const tf = copy(clean["afterpay-staging-ingress"]);
    const roles = Object.values(tf.resource.aws_iam_role as Json).map((r) => String(r.name));
    expect(roles).toContain("farcar-issuer-afterpay-staging");
    expect(roles.filter((n) => n.startsWith("farcar-issuer-"))).toEqual(["farcar-issuer-afterpay-staging"]);
    // The clean run has no finding: every task role was expected Denied and was, the issuer role Allowed.
    expect(report.accounts.every((a) => a.findings.length === 0)).toBe(true);
    // An issuer running as a role outside farcar-issuer-* could not issue: a problem, not a pass.
    const [id] = Object.entries(tf.resource.aws_iam_role as Json).find(([, r]) => r.name === "farcar-issuer-afterpay-staging")!;
    tf.resource.aws_iam_role[id].name = "farcar-afterpay-staging-issuer-role";
    const r = await verifyGuardrails(s.fleet, withStack("afterpay-staging-ingress", tf), { environments: ["afterpay-staging"] });
    expect(r.ok).toBe(false);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(
      /^afterpay-staging-ingress: aws_lambda_function\.svid-issuer_function_\w+ \(the SVID issuer\) runs as role farcar-afterpay-staging-issuer-role, not farcar-issuer-afterpay-staging: the guardrail SCP lets only roles named farcar-issuer-\* issue, so it could not$/,
    );
  });

  test("names the hole when every farcar-* role may issue (the issuance exemption is not limited to the issuers)", async () => {
    const org = editStatement("DenyCertificateIssuance", (st) => ({
      ...st,
      Condition: { ArnNotLike: { "aws:PrincipalArn": st.Condition.ArnNotLike["aws:PrincipalArn"].map((a: string) => a.replace("/farcar-issuer-*", "/farcar-*")) } },
    }));
    const lines = await findings(withStack("org", org), "afterpay-staging");
    expect(lines).toContain(
      "HOLE afterpay-staging (900000000001): arn:aws:iam::900000000001:role/farcar-afterpay-staging-in-checkout-task (a Farcar role (code running in its task)) can issue a certificate from CA acquisition-ca — " +
        "acm-pca:IssueCertificate arn:aws:acm-pca:us-east-1:900000000001:certificate-authority/" +
        lines.find((l) => l.includes("in-checkout-task") && l.includes("from CA acquisition-ca"))!.split("certificate-authority/")[1],
    );
    expect(lines.filter((l) => l.startsWith("HOLE") && l.includes("acm-pca:IssueCertificate")).every((l) => /role\/farcar-afterpay-staging-(in-\w+-(task|exec)|ingress-apigw-logs)/.test(l))).toBe(true);
  });

  test("names a hole per issuer change when DenyFarcarFunctionChanges misses the actions (code, configuration, aliases, versions, permissions)", async () => {
    const org = editStatement("DenyFarcarFunctionChanges", (st) => ({ ...st, Action: ["lambda:Get*"] }));
    const lines = await findings(withStack("org", org), "afterpay-staging");
    for (const [action, what] of [
      ["lambda:UpdateFunctionCode", "replace the code of function"],
      ["lambda:UpdateFunctionConfiguration", "change the configuration (role, environment) of function"],
      ["lambda:CreateAlias", "add an alias to function"],
      ["lambda:UpdateAlias", "re-point an alias of function"],
      ["lambda:DeleteAlias", "delete an alias of function"],
      ["lambda:PublishVersion", "publish a version of function"],
      ["lambda:AddPermission", "let another principal invoke function"],
      ["lambda:RemovePermission", "remove an invoke permission of function"],
    ]) {
      expect([action, lines.some((l) => l.startsWith(`HOLE afterpay-staging (900000000001): ${ADMIN_STAGING} can ${what} farcar-afterpay-staging-issuer — ${action} `))]).toEqual([action, true]);
    }
  });

  test("names the hole when security groups lose the farcar:stack tag the guardrail keys on", async () => {
    const tf = copy(clean["afterpay-staging-ingress"]);
    tf.provider.aws[0].default_tags[0].tags = String(tf.provider.aws[0].default_tags[0].tags).replace(/, "farcar:stack" = "[^"]+"/, "");
    const lines = await findings(withStack("afterpay-staging-ingress", tf), "afterpay-staging");
    expect(lines.some((l) => l.startsWith(`HOLE afterpay-staging (900000000001): ${ADMIN_STAGING} can add an ingress rule to security group farcar-afterpay-staging-in-checkout-task`))).toBe(true);
  });

  test("names the hole for the one Farcar role an SCP exempts by name (roles the SCPs can tell apart are simulated apart)", async () => {
    const exempt = "arn:*:iam::*:role/farcar-afterpay-staging-in-disputes-task";
    const org = editStatement("DenyCertificateIssuance", (st) => ({
      ...st,
      Condition: { ArnNotLike: { "aws:PrincipalArn": [...st.Condition.ArnNotLike["aws:PrincipalArn"], exempt] } },
    }));
    const lines = (await findings(withStack("org", org), "afterpay-staging")).map((l) => l.split(" — ")[0]);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.startsWith("HOLE afterpay-staging (900000000001): arn:aws:iam::900000000001:role/farcar-afterpay-staging-in-disputes-task (a Farcar role (code running in its task)) can issue a certificate from "))).toBe(true);
  });

  test("groups only Farcar roles, only when no SCP can tell them apart", () => {
    const role = (name: string, kind: GuardrailPrincipal["kind"] = "farcar"): GuardrailPrincipal => ({ arn: `arn:aws:iam::900000000001:role/${name}`, label: name, kind });
    const principals = [role("farcar-a-task"), role("farcar-b-task"), role("farcar-c-exec"), role("farcar-issuer-x", "issuer"), role("ProxyAdministrator", "other"), role("Other", "other")];
    const scp = (condition: Record<string, unknown>) => [{ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "*", Resource: "*", Condition: condition }] }];
    // Only the issuer exemption: every task role answers it alike; the issuer and others are never grouped.
    const issuers = principalArnPatterns(scp({ ArnNotLike: { "aws:PrincipalArn": ["arn:*:iam::*:role/farcar-issuer-*"] }, StringNotEquals: { "aws:RequestedRegion": "us-east-1" } }));
    expect(principalClasses(principals, issuers)).toEqual(new Map([
      [principals[1].arn, principals[0].arn],
      [principals[2].arn, principals[0].arn],
    ]));
    // A pattern that matches some task roles and not others splits them.
    const tasks = principalArnPatterns(scp({ ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/*-task" } }));
    expect(principalClasses(principals, tasks)).toEqual(new Map([[principals[1].arn, principals[0].arn]]));
    // Case matters to some operators: FARCAR-B-TASK named exactly is its own class.
    expect(principalClasses(principals, principalArnPatterns(scp({ StringNotEquals: { "aws:PrincipalArn": "arn:aws:iam::900000000001:role/FARCAR-B-TASK" } })))).toEqual(
      new Map([[principals[2].arn, principals[0].arn]]),
    );
    // A policy variable or another principal-dependent key: nobody is grouped.
    expect(principalArnPatterns(scp({ StringEquals: { "aws:PrincipalTag/team": "x" } }))).toBeUndefined();
    expect(principalArnPatterns([{ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "*", Resource: "arn:aws:iam::*:role/${aws:PrincipalTag/x}" }] }])).toBeUndefined();
    expect(principalClasses(principals, undefined)).toEqual(new Map());
  });

  test("an SCP AWS Organizations would refuse is a problem, not a pass", async () => {
    const org = editStatement("DenyApiChanges", (st) => ({ ...st, Principal: "*" }));
    const r = await verifyGuardrails(s.fleet, withStack("org", org), { environments: ["afterpay-staging"] });
    expect(r.ok).toBe(false);
    expect(r.problems.join("\n")).toMatch(/org: SCP farcar-proxy-identity-guardrails: .*Principal/);
  });
});
