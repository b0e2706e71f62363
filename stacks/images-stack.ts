/**
 * `<acquisition>-<environment>-<ingress|egress>-images`: the ECR repositories of one proxy
 * account, applied before its proxy stack so the Farcar images can be pushed before any ECS
 * service tries to run them (help/first-deployment.md).
 *
 * It depends on nothing but the org stack's state (for the ID of an account the org stack creates),
 * and nothing of the proxy stack: the proxy stack derives the repository URLs itself
 * (farcarImageRepository), so either stack plans without the other's state.
 */
import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { FARCAR_IMAGE_TAG, type FleetEnvironment } from "../config/fleet";
import { imagesStackName, stackName, type StackKind } from "../config/names";
import { DOCKER_PLATFORMS, FarcarImageRepositories, imagePushCommands, type CpuArchitecture } from "../modules/farcar-service/images";
import { configureBackend } from "./backend";
import { proxyAccount, proxyAccountProvider, type ProxyAccount, type ProxyAccountProps } from "./proxy-account";

export interface ImagesStackProps extends ProxyAccountProps {
  /** The proxy stack whose account the repositories are in. */
  readonly kind: StackKind;
}

export class ImagesStack extends TerraformStack {
  public readonly kind: StackKind;
  public readonly env: FleetEnvironment;
  public readonly account: ProxyAccount;
  public readonly provider: AwsProvider;
  public readonly repositories: FarcarImageRepositories;
  /** The proxy stack that runs these images (applied after this one). */
  public readonly proxyStackName: string;

  constructor(scope: Construct, props: ImagesStackProps) {
    const { acquisition, environment } = props.environment;
    const name = imagesStackName(acquisition, environment, props.kind);
    super(scope, name);
    this.kind = props.kind;
    this.env = props.environment;
    this.proxyStackName = stackName(acquisition, environment, props.kind);
    this.account = proxyAccount(this, props.kind, props);
    configureBackend(this, props.fleet, name);
    this.provider = proxyAccountProvider(this, { ...props, account: this.account, stackName: name });
    this.repositories = new FarcarImageRepositories(this, "images");

    const urls = this.repositories.urls;
    // The images must match the tasks' CPU architecture: the environment's farcar.cpuArchitecture,
    // which is the default of the proxy stack's cpu_architecture variable (stacks/knobs.ts). Whoever
    // overrides that variable at deploy time builds for that platform (or both: help/fleet-file.md).
    const architecture: CpuArchitecture = props.environment.farcar.cpuArchitecture;
    new TerraformOutput(this, "repository_urls", {
      description: `ECR repository URL per Farcar image (envoy, identity); push both at tag ${FARCAR_IMAGE_TAG} before applying ${this.proxyStackName}`,
      value: urls,
    });
    new TerraformOutput(this, "image_tag", {
      description: "Tag the Farcar tasks run (FARCAR_IMAGE_TAG); the repositories' tags are immutable",
      value: FARCAR_IMAGE_TAG,
    });
    // One string, one command a line: `terraform output -raw push_commands` is a script to review and run.
    new TerraformOutput(this, "push_commands", {
      description: `Shell script (one command a line), run from the Farcar repository root with Docker Buildx and credentials in this account, that builds and pushes both images; then apply ${this.proxyStackName}`,
      value: `${imagePushCommands(this.account.region, urls, DOCKER_PLATFORMS[architecture]).join("\n")}\n`,
    });
  }
}
