/**
 * Where each stack keeps its state: an HCP Terraform workspace per stack when the fleet file
 * names an organization, an S3 backend when it names a bucket, local state otherwise.
 */
import { CloudBackend, LocalBackend, NamedCloudWorkspace, S3Backend, type TerraformBackend, type TerraformStack } from "cdktf";
import type { Fleet } from "../config/fleet";

/** HCP Terraform workspace name of a stack. */
export function workspaceName(fleet: Fleet, stackName: string): string | undefined {
  return fleet.terraformCloud ? `${fleet.terraformCloud.workspacePrefix}${stackName}` : undefined;
}

/**
 * Local state lives in the project root, as cdktf's default does, but by a relative path (from the
 * stack's directory `cdktf.out/stacks/<stack>`), so synthesized output holds no machine paths.
 */
export function localStatePath(stackName: string): string {
  return `../../../terraform.${stackName}.tfstate`;
}

export function configureBackend(stack: TerraformStack, fleet: Fleet, stackName: string): TerraformBackend {
  if (fleet.terraformCloud) {
    const tfc = fleet.terraformCloud;
    return new CloudBackend(stack, {
      hostname: tfc.hostname,
      organization: tfc.organization,
      workspaces: new NamedCloudWorkspace(workspaceName(fleet, stackName)!, tfc.project),
    });
  } else if (fleet.s3Backend) {
    const s3 = fleet.s3Backend;
    return new S3Backend(stack, {
      bucket: s3.bucket,
      key: `${s3.keyPrefix}${stackName}.tfstate`,
      region: s3.region,
      encrypt: true,
      ...(s3.dynamodbTable ? { dynamodbTable: s3.dynamodbTable } : {}),
    });
  } else {
    return new LocalBackend(stack, { path: localStatePath(stackName) });
  }
}
