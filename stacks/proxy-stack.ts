/**
 * Base of the stacks that run in a proxy account (`*-ingress`, `*-egress`): backend, and an AWS
 * provider that assumes the access role in the proxy account with the fleet's default tags plus
 * `farcar:acquisition` / `farcar:environment`.
 */
import { Fn, TerraformOutput, TerraformStack, Token } from "cdktf";
import type { Construct } from "constructs";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SynthError } from "../config/errors";
import type { Fleet, FleetEnvironment } from "../config/fleet";
import { accessRoleArn, farcarName, limitedName, nlbName, partitionOf, resourcePrefix, stackName, targetGroupName, type StackKind } from "../config/names";
import { FarcarImages } from "../modules/farcar-service/images";
import { FarcarService, type FarcarServiceProps } from "../modules/farcar-service/farcar-service";
import { renderPolicy } from "../modules/iam/policy-document";
import { AcquisitionEndpoint } from "../modules/network/acquisition-endpoint";
import { ProxyVpc } from "../modules/network/proxy-vpc";
import { ApiGatewayLogging } from "../modules/private-api/account-logging";
import { PrivateRestApi, type ApiRoute } from "../modules/private-api/private-rest-api";
import {
  callerIdentityPolicy,
  measureResourcePolicy,
  privateApiResourcePolicy,
  type ApiService,
} from "../modules/private-api/resource-policy";
import { configureBackend } from "./backend";
import { FarcarKnobs } from "./knobs";
import type { OrgStack } from "./org-stack";
import { directionQuotaInput, measureQuotas, quotaError, type QuotaFigure } from "./quotas";

export interface ProxyStackProps {
  readonly fleet: Fleet;
  readonly environment: FleetEnvironment;
  /**
   * The org stack, which creates the proxy accounts that have no `id` in the fleet file; their ID
   * is then read from its state (a cross-stack reference resolved at plan time).
   */
  readonly org: OrgStack;
}

/** The network of one direction: where Farcars run and where callers reach the API. */
export interface ProxyNetworkLayout {
  readonly availabilityZones: readonly string[];
  readonly proxyVpcCidr: string;
  readonly callerVpcCidr: string;
  readonly callerCidrs: readonly string[];
  /** Where upstreams are routed (mesh or acquisition); Farcars may connect only there. */
  readonly routing?: { readonly transitGatewayId: string; readonly cidrs: readonly string[] };
}

/** Per-Farcar settings that differ between directions; the rest comes from the stack. */
export type FarcarSpec = Pick<FarcarServiceProps, "envoy" | "sidecar" | "taskPolicy"> & {
  /** Ports the Farcar's upstreams listen on (reached in `routing.cidrs`). */
  readonly upstreamPorts: readonly number[];
  /** @default the desired_count knob */
  readonly desiredCount?: number;
};

export abstract class ProxyStack extends TerraformStack {
  public readonly provider: AwsProvider;
  public readonly accountId: string;
  public readonly partition: string;
  public readonly region: string;
  public readonly fleet: Fleet;
  public readonly env: FleetEnvironment;
  /** Deploy-time knobs (Terraform variables defaulting to the fleet's values). */
  public readonly knobs: FarcarKnobs;
  public readonly kind: StackKind;
  /** Name prefix of this stack's resources. */
  public readonly prefix: string;
  public readonly stage: string;
  public readonly images: FarcarImages;
  public readonly proxyVpc: ProxyVpc;
  /** The execute-api endpoint callers must come through, in its own VPC. */
  public readonly callerEndpoint: AcquisitionEndpoint;
  public readonly cluster: EcsCluster;
  public api?: PrivateRestApi;
  /** Every AWS quota this direction runs into, with the measured figure (stacks/quotas.ts). */
  public quotas: QuotaFigure[] = [];
  private readonly layout: ProxyNetworkLayout;

  /**
   * @param callerNetworkId construct ID of the caller endpoint VPC (part of Terraform addresses:
   *   keep it stable per direction)
   */
  constructor(scope: Construct, kind: StackKind, props: ProxyStackProps, layout: ProxyNetworkLayout, callerNetworkId: string) {
    const name = stackName(props.environment.acquisition, props.environment.environment, kind);
    super(scope, name);
    this.kind = kind;
    this.layout = layout;
    this.prefix = resourcePrefix(kind, props.environment.acquisition, props.environment.environment);
    this.stage = props.environment.environment;
    this.fleet = props.fleet;
    this.env = props.environment;
    // Ingress: the parent-org proxy account (adopted by id, or created by the org stack).
    // Egress: the proxy account in the acquisition's organization (always adopted by id).
    const egress = props.environment.egress;
    if (kind === "egress" && !egress) throw new Error(`${name}: the environment has no egress side`);
    this.accountId =
      kind === "egress" ? egress!.accountId : (props.environment.proxyAccount.id ?? props.org.accountIdFor(this, props.environment));
    const accessRole = kind === "egress" ? egress!.accessRoleName : props.fleet.organization.accountAccessRoleName;
    this.region = props.environment.region;
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

    // --- what every proxy account runs, whatever the direction ---------------------------------
    const knobs = this.knobs.values;
    this.images = new FarcarImages(this, "images", { envoyImage: knobs.image, identityImage: knobs.identityImage });
    this.proxyVpc = new ProxyVpc(this, "proxy-network", {
      namePrefix: this.prefix,
      region: this.region,
      cidr: layout.proxyVpcCidr,
      availabilityZones: layout.availabilityZones,
      meshRouting: layout.routing,
      accountId: this.accountId,
    });
    this.callerEndpoint = new AcquisitionEndpoint(this, callerNetworkId, {
      namePrefix: this.prefix,
      region: this.region,
      cidr: layout.callerVpcCidr,
      availabilityZones: layout.availabilityZones,
      callerCidrs: layout.callerCidrs,
      vpcName: kind === "ingress" ? "acquisition" : "callers",
    });
    this.cluster = new EcsCluster(this, "cluster", { name: this.prefix, setting: [{ name: "containerInsights", value: "enhanced" }] });
    new ApiGatewayLogging(this, "api-logging", {
      partition: this.partition,
      accountId: this.accountId,
      roleName: limitedName([this.prefix, "apigw-logs"], 64),
    });
  }

  /** Fail synth, with the fix, when the API's resource policy would exceed API Gateway's quota. */
  protected assertPolicyFits(services: readonly ApiService[], fix: string): void {
    const size = measureResourcePolicy({ partition: this.partition, region: this.region, stage: this.stage, services });
    if (!size.fits) {
      throw new SynthError(
        `${this.env.acquisition}/${this.env.environment} ${this.kind}: the API resource policy would be ${size.chars} characters, ` +
          `over API Gateway's ${size.limit}. Fix: ${fix}`,
      );
    }
  }

  /**
   * Fail synth when this direction would exceed any AWS quota, listing each one over its limit
   * with the measured figure and the fix (the figures: `this.quotas`, `npm run cost`).
   */
  private assertWithinQuotas(): void {
    this.quotas = measureQuotas(directionQuotaInput(this.env, this.kind));
    const error = quotaError(`${this.env.acquisition}/${this.env.environment} ${this.kind} (${this.region})`, this.quotas);
    if (error) throw new SynthError(error);
  }

  /** One Farcar (NLB, VPC link, Fargate service) for `service`, with this stack's network and knobs. */
  protected farcarService(service: string, spec: FarcarSpec): FarcarService {
    const { acquisition, environment } = this.env;
    const knobs = this.knobs.values;
    const cidrs = this.layout.routing?.cidrs ?? ["0.0.0.0/0"];
    return new FarcarService(this, `farcar-${service}`, {
      name: farcarName(this.kind, acquisition, environment, service),
      nlbName: nlbName(this.kind, acquisition, environment, service),
      targetGroupName: targetGroupName(this.kind, acquisition, environment, service),
      partition: this.partition,
      region: this.region,
      accountId: this.accountId,
      clusterArn: this.cluster.arn,
      network: {
        vpcId: this.proxyVpc.vpc.id,
        subnetIds: this.proxyVpc.subnets.map((s) => s.id),
        endpointSecurityGroupId: this.proxyVpc.endpointSecurityGroup.id,
        s3PrefixListId: this.proxyVpc.s3Endpoint.prefixListId,
        upstreams: spec.upstreamPorts.flatMap((port) => cidrs.map((cidr) => ({ cidr, port }))),
      },
      envoy: spec.envoy,
      envoyImage: this.images.envoyImage,
      sidecar: spec.sidecar,
      identityImage: this.images.identityImage,
      taskPolicy: spec.taskPolicy,
      repositoryArns: this.images.repositoryArns,
      cpu: knobs.cpu,
      memoryMiB: knobs.memoryMiB,
      cpuArchitecture: knobs.cpuArchitecture,
      desiredCount: spec.desiredCount ?? knobs.desiredCount,
      logRetentionDays: knobs.logRetentionDays,
    });
  }

  /**
   * The private REST API (resource policy from privateApiResourcePolicy), the caller endpoint
   * limited to it, and the outputs callers need: invoke URL and identity policy per service.
   */
  protected privateApi(description: string, services: readonly ApiService[], routes: readonly ApiRoute[], callers: string): PrivateRestApi {
    const stage = this.stage;
    this.assertWithinQuotas();
    const vpcEndpointId = this.callerEndpoint.endpoint.id;
    const api = new PrivateRestApi(this, "api", {
      name: this.prefix,
      description,
      stageName: stage,
      vpcEndpointId,
      logRetentionDays: this.knobs.values.logRetentionDays,
      routes,
      policy: (executionArn) => privateApiResourcePolicy({ executionArn, stage, proxyAccountId: this.accountId, vpcEndpointId, services }),
    });
    this.callerEndpoint.restrictTo(api.restApi.executionArn);
    this.api = api;

    const dnsSuffix = this.partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
    const invokeBase = `https://${api.restApi.id}-${vpcEndpointId}.execute-api.${this.region}.${dnsSuffix}/${stage}`;
    new TerraformOutput(this, "invoke_urls", {
      description: `Invoke base URL per service for ${callers}: append the path and sign with SigV4 (service execute-api)`,
      value: Object.fromEntries(services.map((s) => [s.name, `${invokeBase}/${s.name}/`])),
    });
    new TerraformOutput(this, "caller_identity_policies", {
      description: `Identity policy (JSON) each role of ${callers} needs in its own account to invoke the API`,
      value: Object.fromEntries(services.map((s) => [s.name, renderPolicy(callerIdentityPolicy(api.restApi.executionArn, stage, s.name, s.methods))])),
    });
    new TerraformOutput(this, "execute_api_endpoint_id", { description: `The execute-api VPC endpoint ${callers} must use`, value: vpcEndpointId });
    new TerraformOutput(this, "rest_api_id", { description: "ID of the private REST API", value: api.restApi.id });
    new TerraformOutput(this, "stage_name", { description: "Stage of the private REST API", value: stage });
    return api;
  }
}
