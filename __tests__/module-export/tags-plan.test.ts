/**
 * The module is the stack: planned offline with the same inputs (both called from one Terraform
 * root: one init, one plan, one show), every resource of
 * `afterpay-staging-ingress` has the same arguments in the module as in the stack, and the same
 * effective tags (`tags_all`) — in the stack they come from the provider's default_tags, in the
 * module from each resource's own `tags`, since a module has no provider. This proves that
 * `extra_tags` reaches every taggable resource, with the fleet's precedence, and that
 * proxy_account_id is validated and used where the remote-state read was.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { loadFleet } from "../../config/load";
import { exportModules } from "../../scripts/module-export";
import { EXAMPLE_FLEET, synthFleetFile } from "../support/synth";
import { asChildModule, offlineCopy, terraform, validateInputs } from "../support/terraform";
import type { Json } from "./support";

const STACK = "afterpay-staging-ingress";
const EXTRA_TAGS = { team: "mesh-test", "cost-center": "from-extra-tags", "farcar:stack": "from-extra-tags" };
const hclMap = (m: Record<string, string>) => `{ ${Object.entries(m).map(([k, v]) => `${JSON.stringify(k)} = ${JSON.stringify(v)}`).join(", ")} }`;

const work = mkdtempSync(path.join(tmpdir(), "farcar-modules-plan-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function planJson(dir: string, vars: string[]): Promise<Json> {
  const init = await terraform(dir, ["init", "-input=false", "-no-color"]);
  if (!init.ok) throw new Error(`init in ${dir}: ${init.stderr}`);
  const plan = await terraform(dir, ["plan", "-input=false", "-lock=false", "-refresh=false", "-no-color", "-out=plan.bin", ...vars]);
  if (!plan.ok) throw new Error(`plan in ${dir}: ${plan.stderr}\n${plan.stdout.slice(-3000)}`);
  const show = await terraform(dir, ["show", "-json", "plan.bin"]);
  if (!show.ok) throw new Error(`show in ${dir}: ${show.stderr}`);
  return JSON.parse(show.stdout);
}

/** `change.after` of every planned managed resource of module `<m>` by address, `module.<m>.` removed. */
function afterByAddress(plan: Json, module: string): Map<string, Json> {
  const prefix = `module.${module}.`;
  return new Map(
    (plan.resource_changes as Json[]).filter((rc) => rc.mode === "managed" && rc.address.startsWith(prefix)).map((rc) => [rc.address.slice(prefix.length), rc.change.after]),
  );
}

let plan: Json;
let badAccount: { ok: boolean; stderr: string };

beforeAll(async () => {
  const rootDir = path.join(work, "root");
  // The stack, as `cdktf deploy` would plan it (offline copy: stand-in remote state, fake
  // credentials), called as a child module of the root: it keeps its own provider and default_tags.
  const synthesized = synthFleetFile();
  const stackDir = offlineCopy(synthesized.dir(STACK), rootDir);
  asChildModule(stackDir);
  const standIn: Json = JSON.parse(readFileSync(path.join(stackDir, "stand-in.org-state.tfstate"), "utf8"));
  const accountId: string = standIn.outputs.account_id_afterpay_staging.value;

  // The module, called from a root with a provider that sets no default tags.
  const modules = exportModules(loadFleet(EXAMPLE_FLEET), { outDir: path.join(work, "modules") });
  const moduleDir = path.join(work, "modules", modules.modules.find((m) => m.stack === STACK)!.directory);
  mkdirSync(rootDir, { recursive: true });
  writeFileSync(
    path.join(rootDir, "main.tf"),
    `variable "proxy_account_id" {
  type = string
}

provider "aws" {
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

module "farcar" {
  source           = ${JSON.stringify(moduleDir)}
  proxy_account_id = var.proxy_account_id
  extra_tags       = ${hclMap(EXTRA_TAGS)}
}

module "stack" {
  source     = "./${STACK}"
  extra_tags = ${hclMap(EXTRA_TAGS)}
}
`,
  );

  plan = await planJson(rootDir, [`-var=proxy_account_id=${accountId}`]);
  // The module's proxy_account_id declaration, given a literal bad account ID.
  badAccount = await validateInputs(moduleDir, { proxy_account_id: "12345" }, work);
}, 900_000);

describe(`${STACK}: the module plans exactly like the stack`, () => {
  test("plans the same resources", () => {
    expect([...afterByAddress(plan, "farcar").keys()].sort()).toEqual([...afterByAddress(plan, "stack").keys()].sort());
  });

  test("every resource has the same arguments and the same effective tags (tags_all)", () => {
    const stack = afterByAddress(plan, "stack");
    const module = afterByAddress(plan, "farcar");
    let taggable = 0;
    for (const [address, after] of stack) {
      const { tags: stackTags, tags_all: stackAll, ...stackRest } = after;
      const { tags: moduleTags, tags_all: moduleAll, ...moduleRest } = module.get(address)!;
      // A synthesized asset (the SVID issuer's zip) is the same file, found in the module's directory.
      if (typeof moduleRest.filename === "string") moduleRest.filename = moduleRest.filename.replace(/^\.terraform\/modules\/farcar\//, "");
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
    const vpc = afterByAddress(plan, "farcar").get("aws_vpc.proxy-network_vpc_1699042D")!;
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
