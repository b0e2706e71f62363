/**
 * State backends: HCP Terraform workspaces (one per stack), S3, or local — and cross-stack
 * references that keep resolving with each.
 */
import { BASE_FLEET } from "../config/fleet-fixture";
import { fleetFromYaml, synthFleet } from "../support/synth";

const STACKS = ["afterpay-staging-ingress", "org"];

describe("HCP Terraform", () => {
  const s = synthFleet(fleetFromYaml(`${BASE_FLEET}terraformCloud: { organization: block, project: farcar, workspacePrefix: mesh- }\n`));

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

  // No Terraform plan here: the offline copy a test can plan replaces exactly what this backend
  // changes (the `cloud` block and the remote-state source become local), leaving the stacks the
  // example fleet's plan already plans (terraform/example-fleet.test.ts).
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
