/**
 * State backends: HCP Terraform workspaces (one per stack), S3, or local — and cross-stack
 * references that keep resolving with each.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { BASE_FLEET } from "../config/fleet-fixture";
import { fleetFromYaml, synthFleet } from "../support/synth";
import { describeStackPlan, planStacks, type FleetPlan } from "../support/terraform";

const STACKS = ["afterpay-staging-ingress", "org"];

describe("HCP Terraform", () => {
  const s = synthFleet(fleetFromYaml(`${BASE_FLEET}terraformCloud: { organization: block, project: farcar, workspacePrefix: mesh- }\n`));
  const work = mkdtempSync(path.join(tmpdir(), "farcar-tfc-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test.each(STACKS)("%s runs in its own named workspace", (stack) => {
    const tf = s.json(stack);
    expect(tf.terraform.cloud).toEqual({
      hostname: "app.terraform.io",
      organization: "block",
      workspaces: { name: `mesh-${stack}`, project: "farcar" },
    });
    expect(tf.terraform.backend).toBeUndefined();
  });

  test("the ingress stack reads the created account's id from the org workspace", () => {
    const tf = s.json("afterpay-staging-ingress");
    expect(tf.data.terraform_remote_state["org-state"]).toEqual({
      backend: "remote",
      config: { hostname: "app.terraform.io", organization: "block", workspaces: { name: "mesh-org" } },
    });
    expect(tf.provider.aws[0].assume_role[0].role_arn).toContain("${data.terraform_remote_state.org-state.outputs.account_id_afterpay_staging}");
    expect(s.json("org").output.account_id_afterpay_staging).toBeDefined();
  });

  test("the images stack has its own workspace and reads the created account's id from the org workspace too", () => {
    const tf = s.json("afterpay-staging-ingress-images");
    expect(tf.terraform.cloud.workspaces).toEqual({ name: "mesh-afterpay-staging-ingress-images", project: "farcar" });
    expect(tf.data.terraform_remote_state["org-state"]).toEqual(s.json("afterpay-staging-ingress").data.terraform_remote_state["org-state"]);
    expect(tf.provider.aws[0].assume_role).toEqual(s.json("afterpay-staging-ingress").provider.aws[0].assume_role);
  });

  // Both stacks in one Terraform root (support/terraform.ts planStacks), each judged on its own.
  let fleetPlan: FleetPlan;
  beforeAll(async () => {
    fleetPlan = await planStacks(STACKS.map(s.dir), work);
  }, 300_000);

  test.each(STACKS)("%s validates and plans (workspace and remote state replaced offline)", (stack) => {
    const p = fleetPlan.stack(stack);
    if (!p.ok) throw new Error(describeStackPlan(p));
    expect([...p.changes.values()]).toContain("create");
  });
});

describe("S3 backend", () => {
  const s = synthFleet(fleetFromYaml(`${BASE_FLEET}s3Backend: { bucket: block-tf-state, dynamodbTable: tf-locks }\n`));

  test("each stack keeps its state under its own key, encrypted", () => {
    expect(s.json("org").terraform.backend.s3).toEqual({
      bucket: "block-tf-state",
      key: "farcar/org.tfstate",
      region: "us-east-1",
      encrypt: true,
      dynamodb_table: "tf-locks",
    });
    expect(s.json("afterpay-staging-ingress").terraform.backend.s3.key).toBe("farcar/afterpay-staging-ingress.tfstate");
  });

  test("cross-stack references read the org stack's S3 state", () => {
    const remote = s.json("afterpay-staging-ingress").data.terraform_remote_state["org-state"];
    expect(remote.backend).toBe("s3");
    expect(remote.config).toMatchObject({ bucket: "block-tf-state", key: "farcar/org.tfstate", region: "us-east-1" });
  });
});

describe("local state (default)", () => {
  test("state files live in the project root, referenced by relative paths", () => {
    const s = synthFleet(fleetFromYaml(BASE_FLEET));
    expect(s.json("org").terraform.backend.local.path).toBe("../../../terraform.org.tfstate");
    expect(s.json("afterpay-staging-ingress").data.terraform_remote_state["org-state"].config.path).toBe("../../../terraform.org.tfstate");
  });
});
