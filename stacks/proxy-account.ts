/**
 * The proxy account a stack deploys into, and the AWS provider that acts there: shared by the
 * proxy stacks (`*-ingress`, `*-egress`) and their images stacks (`*-images`), so both always
 * target the same account, region and role.
 */
import { Fn, Token, type TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { Fleet, FleetEnvironment } from "../config/fleet";
import { accessRoleArn, partitionOf, type StackKind } from "../config/names";
import type { OrgStack } from "./org-stack";

export interface ProxyAccountProps {
  readonly fleet: Fleet;
  readonly environment: FleetEnvironment;
  /**
   * The org stack, which creates the proxy accounts that have no `id` in the fleet file; their ID
   * is then read from its state (a cross-stack reference resolved at plan time).
   */
  readonly org: OrgStack;
}

export interface ProxyAccount {
  /** 12 digits, or a token read from the org stack's state. */
  readonly accountId: string;
  /** Role the stack's provider assumes in the account. */
  readonly accessRoleName: string;
  readonly region: string;
  readonly partition: string;
}

/**
 * Ingress: the parent-org proxy account (adopted by id, or created by the org stack, whose state
 * `consumer` then reads). Egress: the proxy account in the acquisition's organization (always
 * adopted by id).
 */
export function proxyAccount(consumer: TerraformStack, kind: StackKind, props: ProxyAccountProps): ProxyAccount {
  const { fleet, environment: env } = props;
  const egress = env.egress;
  if (kind === "egress" && !egress) throw new Error(`${env.key}: the environment has no egress side`);
  // An environment may live in its own region (environments.<env>.region, default the fleet's).
  const region = env.region;
  return {
    accountId: kind === "egress" ? egress!.accountId : (env.proxyAccount.id ?? props.org.accountIdFor(consumer, env)),
    accessRoleName: kind === "egress" ? egress!.accessRoleName : fleet.organization.accountAccessRoleName,
    region,
    partition: partitionOf(region),
  };
}

export interface ProxyAccountProviderProps extends ProxyAccountProps {
  readonly kind: StackKind;
  readonly account: ProxyAccount;
  /** Name of the stack (the `farcar:stack` tag). */
  readonly stackName: string;
  /**
   * Tags below the fleet's (the `extra_tags` knob).
   * @default - none
   */
  readonly extraTags?: Record<string, string>;
}

/**
 * The AWS provider of a proxy-account stack: assumes the access role in the account, and tags
 * every resource extra_tags < fleet tags < `farcar:acquisition` / `farcar:environment` / `farcar:stack`.
 */
export function proxyAccountProvider(stack: TerraformStack, props: ProxyAccountProviderProps): AwsProvider {
  const { account, environment: env } = props;
  const farcarTags = {
    "farcar:acquisition": env.acquisition,
    "farcar:environment": env.environment,
    "farcar:stack": props.stackName,
  };
  const tags = props.extraTags
    ? Token.asStringMap(Fn.merge([props.extraTags, { ...props.fleet.tags }, farcarTags]))
    : { ...props.fleet.tags, ...farcarTags };
  return new AwsProvider(stack, "aws", {
    region: account.region,
    assumeRole: [{ roleArn: accessRoleArn(account.partition, account.accountId, account.accessRoleName), sessionName: `farcar-${props.kind}` }],
    defaultTags: [{ tags }],
  });
}
