/**
 * The identity proof (verify/identity.ts): green on the example fleet, and each deliberately
 * broken input produces a named hole.
 */
import { verifyIdentity, type IdentityReport } from "../../verify/identity";
import type { TerraformJson } from "../../verify/terraform-refs";
import { synthFleetFile } from "../support/synth";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const example = synthFleetFile();
const STACK = "afterpay-production-ingress";
const stacks = (): Record<string, TerraformJson> => Object.fromEntries(example.stacks.ingress.map((s) => [s.node.id, JSON.parse(JSON.stringify(example.json(s.node.id)))]));
const ID = (svc: string) => `spiffe://block.example/acquisition/afterpay/production/${svc}`;

function entry(tf: Json, type: string, part: string): [string, Json] {
  const found = Object.entries(tf.resource[type] as Record<string, Json>).filter(([id]) => id.includes(part));
  expect(found).toHaveLength(1);
  return found[0];
}

function editPolicy(tf: Json, part: string, edit: (doc: Json) => void): void {
  const [, p] = entry(tf, "aws_iam_role_policy", part);
  const doc = JSON.parse(p.policy);
  edit(doc);
  p.policy = JSON.stringify(doc);
}

function holesOf(report: IdentityReport, stack = STACK): string[] {
  return report.stacks.find((s) => s.stack === stack)!.holes;
}

describe("identity proof", () => {
  it("is green on the example fleet: each task role obtains its own ID, nothing else obtains any", () => {
    const report = verifyIdentity(example.fleet, stacks());
    expect(report.problems).toEqual([]);
    expect(report.stacks.map((s) => [s.stack, s.holes, s.missing]).sort()).toEqual(
      ["afterpay-production-ingress", "afterpay-staging-ingress", "tidal-production-ingress"].map((s) => [s, [], []]),
    );
    expect(report.ok).toBe(true);
    expect(report.cases).toBeGreaterThan(100);
  });

  it("names the hole when a task role may invoke every alias of the issuer", () => {
    const all = stacks();
    editPolicy(all[STACK], "farcar-checkout_task-policy", (doc) => {
      doc.Statement[0].Resource = "arn:aws:lambda:*:*:function:farcar-afterpay-production-issuer:*";
    });
    const report = verifyIdentity(example.fleet, all);
    expect(report.ok).toBe(false);
    expect(holesOf(report)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`checkout-task can obtain ${ID("disputes")} \\(invokes issuer alias farcar-disputes\\)`)),
        expect.stringMatching(new RegExp(`checkout-task can obtain ${ID("merchant-onboarding")}`)),
      ]),
    );
  });

  it("names the hole when a task role may call IssueCertificate on the CA itself (any SAN: every ID of the fleet)", () => {
    const all = stacks();
    editPolicy(all[STACK], "farcar-disputes_task-policy", (doc) => {
      doc.Statement.push({ Sid: "Oops", Effect: "Allow", Action: "acm-pca:IssueCertificate", Resource: "*" });
    });
    const holes = holesOf(verifyIdentity(example.fleet, all));
    expect(holes).toEqual(expect.arrayContaining([expect.stringMatching(/disputes-task can obtain spiffe:\/\/block.example\/payments \(calls acm-pca:IssueCertificate on the environment CA directly/)]));
    expect(holes.filter((h) => h.includes("disputes-task can obtain")).length).toBe(10); // 11 IDs in the fleet, less its own
  });

  it("names the hole when two aliases stand for the same service (the alias, not the role, names the identity)", () => {
    const all = stacks();
    const [, alias] = entry(all[STACK], "aws_lambda_alias", "alias-disputes_");
    alias.name = "farcar-checkout";
    const report = verifyIdentity(example.fleet, all);
    const s = report.stacks.find((r) => r.stack === STACK)!;
    expect(s.holes).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`disputes-task can obtain ${ID("checkout")}`))]));
    expect(s.missing).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`disputes-task cannot obtain its own ${ID("disputes")}`))]));
  });

  it("names the hole when a role could rewrite the issuer, and when the execution role could invoke it", () => {
    const all = stacks();
    editPolicy(all[STACK], "farcar-checkout_execution-policy", (doc) => {
      doc.Statement.push({ Sid: "Oops", Effect: "Allow", Action: ["lambda:UpdateFunctionCode", "lambda:InvokeFunction"], Resource: "*" });
    });
    const holes = holesOf(verifyIdentity(example.fleet, all));
    expect(holes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/checkout-exec can rewrite the issuer \(lambda:UpdateFunctionCode/),
        expect.stringMatching(new RegExp(`checkout-exec can obtain ${ID("checkout")}`)),
        expect.stringMatching(/checkout-exec may invoke .*function:farcar-afterpay-production-issuer /),
      ]),
    );
  });

  it("names the hole when another role may read a Farcar's SVID secret (secretsManager)", () => {
    const all = stacks();
    const tidal = "tidal-production-ingress";
    editPolicy(all[tidal], "farcar-royalties_task-policy", (doc) => {
      doc.Statement[0].Resource = "*";
    });
    // The secret's resource policy still denies every other principal: no hole.
    expect(holesOf(verifyIdentity(example.fleet, all), tidal)).toEqual([]);
    // Without that resource policy, the identity policy alone decides.
    delete all[tidal].resource.aws_secretsmanager_secret_policy;
    expect(holesOf(verifyIdentity(example.fleet, all), tidal)).toEqual([
      expect.stringMatching(/royalties-task can obtain spiffe:\/\/block.example\/acquisition\/tidal\/production\/payouts \(reads the SVID secret/),
    ]);
  });

  it("reports a problem, not a pass, for a managed policy it cannot evaluate", () => {
    const all = stacks();
    const [roleId] = entry(all[STACK], "aws_iam_role", "farcar-checkout_task-role");
    all[STACK].resource.aws_iam_role_policy_attachment = {
      ...(all[STACK].resource.aws_iam_role_policy_attachment ?? {}),
      admin: { role: `\${aws_iam_role.${roleId}.name}`, policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess" },
    };
    const report = verifyIdentity(example.fleet, all);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.stringMatching(/attaches arn:aws:iam::aws:policy\/AdministratorAccess, which the identity proof cannot evaluate/)]);
  });
});

describe("identity proof across stacks of one account", () => {
  it("judges the roles of an egress stack deployed to the same account, and names their holes", () => {
    // tidal-production's egress stack moved into the ingress proxy account (777777777777).
    const fleet = {
      ...example.fleet,
      environments: example.fleet.environments.map((e) =>
        e.key === "tidal-production" ? { ...e, egressProxyAccountId: "777777777777", egress: e.egress && { ...e.egress, accountId: "777777777777" } } : e,
      ),
    };
    const all: Record<string, Json> = { ...stacks(), "tidal-production-egress": JSON.parse(JSON.stringify(example.json("tidal-production-egress"))) };
    expect(verifyIdentity(fleet, all).ok).toBe(true);
    const egress = all["tidal-production-egress"];
    const [, anyRolePolicy] = Object.entries(egress.resource.aws_iam_role_policy as Record<string, Json>)[0];
    const doc = JSON.parse(anyRolePolicy.policy);
    doc.Statement.push({ Sid: "Oops", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "*" });
    anyRolePolicy.policy = JSON.stringify(doc);
    delete all["tidal-production-ingress"].resource.aws_secretsmanager_secret_policy;
    expect(holesOf(verifyIdentity(fleet, all), "tidal-production-ingress")).toEqual(
      expect.arrayContaining([expect.stringMatching(/^tidal-production-egress\/.+ can obtain spiffe:\/\/block.example\/acquisition\/tidal\/production\/payouts \(reads the SVID secret/)]),
    );
  });
});
