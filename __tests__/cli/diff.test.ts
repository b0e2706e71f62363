/**
 * `farcar diff` on real pairs of fleets: both synthesized in-process, access changes in words and
 * resource changes per stack, as text and as Markdown; and the fleet at a git revision.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { BASE_FLEET, fleetWith } from "../config/fleet-fixture";
import { farcar, workdir, type Ran } from "./support";

const AFTER = fleetWith(
  ["targets: [payments, ledger]", "targets: [payments, ledger]\n            methods: [GET, POST]"],
  ["roleArns: [arn:aws:iam::333333333333:role/disputes-staging]", "roleArns: [arn:aws:iam::333333333333:role/disputes-staging, arn:aws:iam::333333333333:role/disputes-batch]"],
  ["ledger: { spiffeId: spiffe://block.example/ledger, address: ledger.mesh.internal:8443 }", "ledger: { spiffeId: spiffe://block.example/ledger, address: ledger-v2.mesh.internal:8443 }"],
) + `          refunds:
            roleArns: [arn:aws:iam::333333333333:role/refunds-staging]
            targets: [payments]
`;

describe("farcar diff BEFORE AFTER", () => {
  let dir: string;
  /** `farcar diff before.yaml after.yaml` (text): the first two tests read different parts of it. */
  let text: Ran;
  beforeAll(async () => {
    dir = workdir({ "before.yaml": BASE_FLEET, "after.yaml": AFTER });
    text = await farcar(["diff", "before.yaml", "after.yaml"], dir);
  });

  test("says in words who may now call what, which identities appear and which targets move", () => {
    const r = text;
    expect(r.status).toBe(0);
    const access = r.stdout.slice(0, r.stdout.indexOf("Stacks"));
    expect(access).toContain("+ role arn:aws:iam::333333333333:role/disputes-batch may now call /disputes/ledger (any method) into the mesh");
    expect(access).toContain("+ role arn:aws:iam::333333333333:role/refunds-staging may now call /refunds/payments (any method) into the mesh");
    expect(access).toContain("- role arn:aws:iam::333333333333:role/checkout-staging may no longer use DELETE, HEAD, OPTIONS, PATCH, PUT on /checkout/payments into the mesh");
    expect(access).toContain("+ Farcar refunds enters the mesh as spiffe://block.example/acquisition/afterpay/staging/refunds");
    expect(access).toContain("~ mesh target ledger moves: ledger.mesh.internal:8443 → ledger-v2.mesh.internal:8443");
    // checkout's methods narrowed: its roles' identity policy changes, which the acquisition must apply
    expect(access).toContain("~ the acquisition must apply the new identity policy of checkout (output caller_identity_policies.checkout of afterpay-staging-ingress)");
    expect(access).not.toMatch(/identity policy of disputes/); // disputes' policy (/disputes/*, any method) is unchanged by a new role
    expect(access).not.toMatch(/disputes-staging/); // unchanged grants are not reported
  });

  test("lists resources per stack: the new service's resources added, the policy and deployment changed, org untouched", () => {
    const r = text;
    expect(r.status).toBe(0);
    const stacks = r.stdout.slice(r.stdout.indexOf("Stacks"));
    expect(stacks).toMatch(/^ {2}afterpay-staging-ingress: \d+ to add, \d+ to change, 0 to remove$/m);
    expect(stacks).toMatch(/^ {4}\+ aws_ecs_service\.farcar-refunds_/m);
    expect(stacks).toMatch(/^ {4}~ aws_api_gateway_rest_api_policy\.\S+ {2}\(policy\)$/m);
    expect(stacks).toMatch(/^ {4}policy: API resource policy aws_api_gateway_rest_api_policy\.\S+ changed \(policy\)$/m);
    expect(stacks).not.toMatch(/^ {2}org/m);
  });

  test("--format markdown: access list, a table per stack and collapsible resource lists", async () => {
    const r = await farcar(["diff", "before.yaml", "after.yaml", "--format", "markdown", "--output", "diff.md"], dir);
    expect(r.stdout).toMatch(/^### Farcar diff: `before\.yaml` → `after\.yaml`$/m);
    expect(r.stdout).toContain("- ➕ role `arn:aws:iam::333333333333:role/refunds-staging` may now call `/refunds/payments` (any method) into the mesh");
    expect(r.stdout).toMatch(/^\| `afterpay-staging-ingress` \| \d+ \| \d+ \| 0 \| \d+ \|$/m);
    expect(r.stdout).toContain("<details><summary>afterpay-staging-ingress:");
    expect(readFileSync(path.join(dir, "diff.md"), "utf8")).toBe(r.stdout);
  });

  test("the same fleet twice: no changes; --exit-code exits 3 only when something changes", async () => {
    const same = await farcar(["diff", "before.yaml", "before.yaml", "--exit-code"], dir);
    expect(same.status).toBe(0);
    expect(same.stdout).toContain("No changes: both fleets synthesize to the same Terraform.");
    expect((await farcar(["diff", "before.yaml", "after.yaml", "--exit-code"], dir)).status).toBe(3);
  });

  test("an invalid AFTER fleet: its problems once, exit 1", async () => {
    writeFileSync(path.join(dir, "bad.yaml"), fleetWith(["targets: [ledger]", "targets: [ledgr]"]));
    const r = await farcar(["diff", "before.yaml", "bad.yaml"], dir);
    expect(r.status).toBe(1);
    expect(r.stderr.match(/is not a mesh service/g)).toHaveLength(1);
  });

  test("one file without --rev is a usage error", async () => {
    const r = await farcar(["diff", "before.yaml"], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("name two fleet files (BEFORE AFTER), or one with --rev <revision>");
  });
});

describe("farcar diff --rev", () => {
  test("compares the fleet file (and its PEM bundles) at a git revision with the working copy", async () => {
    const dir = workdir({ "fleet.yaml": BASE_FLEET });
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@e", ...args], { cwd: dir });
    git("init", "-q");
    git("add", ".");
    git("commit", "-qm", "fleet");
    writeFileSync(path.join(dir, "fleet.yaml"), AFTER);
    const r = await farcar(["diff", "--rev", "HEAD", "fleet.yaml"], dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^farcar diff: HEAD:fleet\.yaml → fleet\.yaml$/m);
    expect(r.stdout).toContain("may now call /refunds/payments");
    const bad = await farcar(["diff", "--rev", "no-such-rev", "fleet.yaml"], dir);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("--rev no-such-rev: not a git revision");
  });
});
