/**
 * The module is the stack: planned offline with the same inputs (both called from one Terraform
 * root: one init, one plan, one show), every resource of
 * `afterpay-staging-ingress` has the same arguments in the module as in the stack, and the same
 * effective tags (`tags_all`) — in the stack they come from the provider's default_tags, in the
 * module from each resource's own `tags`, since a module has no provider (support/terraform.ts
 * `planModules`, the root's provider without default tags). This proves that
 * `extra_tags` reaches every taggable resource, with the fleet's precedence, and that
 * proxy_account_id is validated and used where the remote-state read was.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { loadFleet } from "../../config/load";
import { exportModules } from "../../scripts/module-export";
import { EXAMPLE_FLEET, synthFleetFile } from "../support/synth";
import { asChildModule, describeStackPlan, offlineCopy, planModules, validateInputs } from "../support/terraform";
import type { Json } from "./support";

const STACK = "afterpay-staging-ingress";
const EXTRA_TAGS = { team: "mesh-test", "cost-center": "from-extra-tags", "farcar:stack": "from-extra-tags" };

const work = mkdtempSync(path.join(tmpdir(), "farcar-modules-plan-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `change.after` of every planned managed resource of the stack or the module, by address. */
let planned: { stack: Map<string, Json>; farcar: Map<string, Json> };
let badAccount: { ok: boolean; stderr: string };
/** Where the module's files are, as the root calls it (`path.module` in the module's planned values). */
let modulePath: string;

beforeAll(async () => {
  const rootDir = path.join(work, "root");
  // The stack, as `cdktf deploy` would plan it (offline copy: stand-in remote state, fake
  // credentials), called as a child module of the root: it keeps its own provider and default_tags.
  const synthesized = synthFleetFile();
  const stackDir = offlineCopy(synthesized.dir(STACK), rootDir);
  asChildModule(stackDir);
  const standIn: Json = JSON.parse(readFileSync(path.join(stackDir, "stand-in.org-state.tfstate"), "utf8"));
  const accountId: string = standIn.outputs.account_id_afterpay_staging.value;

  // The module, called from a root whose provider sets no default tags.
  const modules = exportModules(loadFleet(EXAMPLE_FLEET), { outDir: path.join(work, "modules") });
  const moduleDir = path.join(work, "modules", modules.modules.find((m) => m.stack === STACK)!.directory);
  modulePath = path.relative(rootDir, moduleDir);
  const plan = await planModules(
    new Map([
      ["stack", stackDir],
      ["farcar", moduleDir],
    ]),
    rootDir,
    {
      show: true,
      rootExtra: {
        provider: {
          aws: [{ region: "us-east-1", skip_credentials_validation: true, skip_requesting_account_id: true, skip_metadata_api_check: true, skip_region_validation: true }],
        },
      },
      moduleArgs: new Map([
        ["stack", { extra_tags: EXTRA_TAGS }],
        ["farcar", { proxy_account_id: accountId, extra_tags: EXTRA_TAGS }],
      ]),
    },
  );
  const managed = (name: string) => {
    const p = plan.stack(name);
    if (!p.ok) throw new Error(describeStackPlan(p));
    return new Map([...p.planned].filter(([address]) => !address.startsWith("data.")).map(([address, r]) => [address, r.after]));
  };
  planned = { stack: managed("stack"), farcar: managed("farcar") };
  // The module's proxy_account_id declaration, given a literal bad account ID.
  badAccount = await validateInputs(moduleDir, { proxy_account_id: "12345" }, work);
}, 900_000);

describe(`${STACK}: the module plans exactly like the stack`, () => {
  test("plans the same resources", () => {
    expect([...planned.farcar.keys()].sort()).toEqual([...planned.stack.keys()].sort());
  });

  test("every resource has the same arguments and the same effective tags (tags_all)", () => {
    let taggable = 0;
    for (const [address, after] of planned.stack) {
      const { tags: stackTags, tags_all: stackAll, ...stackRest } = after;
      const { tags: moduleTags, tags_all: moduleAll, ...moduleRest } = planned.farcar.get(address)!;
      // A synthesized asset (the SVID issuer's zip) is the same file, found in the module's directory.
      if (typeof moduleRest.filename === "string") moduleRest.filename = path.relative(modulePath, moduleRest.filename);
      expect({ address, args: moduleRest }).toEqual({ address, args: stackRest });
      expect({ address, tags_all: moduleAll }).toEqual({ address, tags_all: stackAll });
      if (stackAll !== undefined) {
        taggable++;
        expect({ address, tags: moduleTags }).toEqual({ address, tags: stackAll });
      } else {
        expect(moduleTags).toBeUndefined();
      }
      void stackTags;
    }
    expect(taggable).toBeGreaterThan(50);
  });

  test("extra_tags reaches the resources; fleet and farcar:* tags take precedence", () => {
    const vpc = planned.farcar.get("aws_vpc.proxy-network_vpc_1699042D")!;
    expect(vpc.tags).toEqual({
      Name: "farcar-afterpay-staging-ingress-proxy",
      team: "mesh-test",
      "cost-center": "platform",
      owner: "platform-mesh",
      "farcar:acquisition": "afterpay",
      "farcar:environment": "staging",
      "farcar:stack": STACK,
    });
  });

  test("rejects a proxy_account_id that is not 12 digits", () => {
    expect(badAccount.ok).toBe(false);
    expect(badAccount.stderr).toContain("proxy_account_id must be a 12-digit AWS account ID.");
  });
});
