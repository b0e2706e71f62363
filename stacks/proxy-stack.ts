/**
 * Base of the stacks that run in a proxy account (`*-ingress`, `*-egress`): backend, and an AWS
 * provider that assumes the access role in the proxy account with the fleet's default tags plus
 * `farcar:acquisition` / `farcar:environment`.
 */
import { Fn, TerraformStack, Token } from "cdktf";
import type { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { Fleet, FleetEnvironment } from "../config/fleet";
import { accessRoleArn, partitionOf, stackName, type StackKind } from "../config/names";
import { configureBackend } from "./backend";
import { FarcarKnobs } from "./knobs";
import type { OrgStack } from "./org-stack";

export interface ProxyStackProps {
  readonly fleet: Fleet;
  readonly environment: FleetEnvironment;
  /**
   * The org stack, which creates the proxy accounts that have no `id` in the fleet file; their ID
   * is then read from its state (a cross-stack reference resolved at plan time).
   */
  readonly org: OrgStack;
}

export abstract class ProxyStack extends TerraformStack {
  public readonly provider: AwsProvider;
  public readonly accountId: string;
  public readonly partition: string;
  public readonly region: string;
  public readonly fleet: Fleet;
  public readonly env: FleetEnvironment;
  /** Deploy-time knobs (Terraform variables defaulting to the fleet's values). */
  public readonly knobs: FarcarKnobs;

  constructor(scope: Construct, kind: StackKind, props: ProxyStackProps) {
    const name = stackName(props.environment.acquisition, props.environment.environment, kind);
    super(scope, name);
    this.fleet = props.fleet;
    this.env = props.environment;
    // Ingress: the parent-org proxy account (adopted by id, or created by the org stack).
    // Egress: the proxy account in the acquisition's organization (always adopted by id).
    const egress = props.environment.egress;
    if (kind === "egress" && !egress) throw new Error(`${name}: the environment has no egress side`);
    this.accountId =
      kind === "egress" ? egress!.accountId : (props.environment.proxyAccount.id ?? props.org.accountIdFor(this, props.environment));
    const accessRole = kind === "egress" ? egress!.accessRoleName : props.fleet.organization.accountAccessRoleName;
    this.region = props.fleet.region;
    this.partition = partitionOf(this.region);
    configureBackend(this, props.fleet, name);
    this.knobs = new FarcarKnobs(this, "knobs", props.environment.farcar);
    const farcarTags = {
      "farcar:acquisition": props.environment.acquisition,
      "farcar:environment": props.environment.environment,
      "farcar:stack": name,
    };
    this.provider = new AwsProvider(this, "aws", {
      region: this.region,
      assumeRole: [
        {
          roleArn: accessRoleArn(this.partition, this.accountId, accessRole),
          sessionName: `farcar-${kind}`,
        },
      ],
      // extra_tags < fleet tags < farcar:* tags
      defaultTags: [{ tags: Token.asStringMap(Fn.merge([this.knobs.values.extraTags, { ...props.fleet.tags }, farcarTags])) }],
    });
  }
}
