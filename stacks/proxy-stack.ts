/**
 * Base of the stacks that run in a proxy account (`*-ingress`, `*-egress`): backend, and an AWS
 * provider that assumes the access role in the proxy account with the fleet's default tags plus
 * `farcar:acquisition` / `farcar:environment`.
 */
import { isIP } from "node:net";
import { Annotations, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SynthError } from "../config/errors";
import type { CallerRouting, DnsAssociations, Fleet, FleetEnvironment, UpstreamRouting } from "../config/fleet";
import { directionSlots, lockDrift, lockFileFor, readLock, type DirectionLock } from "../config/lock";
import { dnsSuffixOf, farcarName, limitedName, resourcePrefix, sharedNlbName, stackName, targetGroupName, type StackKind } from "../config/names";
import { FarcarImages } from "../modules/farcar-service/images";
import { FarcarService, type FarcarServiceProps } from "../modules/farcar-service/farcar-service";
import { SharedNlb } from "../modules/farcar-service/shared-nlb";
import { renderPolicy } from "../modules/iam/policy-document";
import { AcquisitionEndpoint } from "../modules/network/acquisition-endpoint";
import { ProxyVpc } from "../modules/network/proxy-vpc";
import { ApiGatewayLogging } from "../modules/private-api/account-logging";
import { PrivateRestApi, type ApiRoute } from "../modules/private-api/private-rest-api";
import {
  callerIdentityPolicy,
  privateApiResourcePolicy,
  type ApiService,
} from "../modules/private-api/resource-policy";
import { configureBackend } from "./backend";
import { FarcarKnobs } from "./knobs";
import { proxyAccount, proxyAccountProvider, type ProxyAccountProps } from "./proxy-account";
import { directionQuotaInput, measureQuotas, quotaError, type QuotaFigure } from "./quotas";

export type ProxyStackProps = ProxyAccountProps;

/** The network of one direction: where Farcars run and where callers reach the API. */
export interface ProxyNetworkLayout {
  readonly availabilityZones: readonly string[];
  readonly proxyVpcCidr: string;
  readonly callerVpcCidr: string;
  readonly callerCidrs: readonly string[];
  /** Where upstreams are (mesh or acquisition), and the route there; Farcars may connect only there. */
  readonly routing?: UpstreamRouting;
  /** Route from the caller endpoint VPC to the callers. */
  readonly callerRouting?: CallerRouting;
  /** Private DNS associated with the proxy VPC (upstream names). */
  readonly dns?: DnsAssociations;
  /** Upstream hosts the Farcars resolve (for the missing-DNS warning). */
  readonly upstreamHosts: readonly string[];
  /** The fleet fields this direction's settings live in, for messages. */
  readonly fields: { readonly callerCidrs: string; readonly callerRouting: string; readonly routing: string; readonly dns: string };
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
  /** One private REST API per service (construct ID `api-<service>`). */
  public readonly apis: Record<string, PrivateRestApi> = {};
  /** The shared NLBs, by their index in the lock file (construct ID `nlb-<index>`). */
  public readonly sharedNlbs = new Map<number, SharedNlb>();
  /** Which NLB and listener port each service of this direction holds (config/lock.ts). */
  public readonly slots: DirectionLock;
  /** API Gateway's CloudWatch role setting for this account (stages wait for it). */
  public readonly apiLogging: ApiGatewayLogging;
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
    try {
      this.slots = directionSlots(props.fleet, props.environment.key, kind);
    } catch (err) {
      throw new SynthError((err as Error).message);
    }
    const account = proxyAccount(this, kind, props);
    this.accountId = account.accountId;
    this.region = account.region;
    this.partition = account.partition;
    // Before anything is built: a direction AWS cannot hold fails at once, with every quota it passes.
    this.assertWithinQuotas();
    configureBackend(this, props.fleet, name);
    this.knobs = new FarcarKnobs(this, "knobs", props.environment.farcar);
    this.provider = proxyAccountProvider(this, { ...props, kind, account, stackName: name, extraTags: this.knobs.values.extraTags });

    // --- what every proxy account runs, whatever the direction ---------------------------------
    const knobs = this.knobs.values;
    // The repositories are the images stack's (stacks/images-stack.ts), applied and pushed first.
    this.images = new FarcarImages(this, "images", { ...account, envoyImage: knobs.image, identityImage: knobs.identityImage });
    this.proxyVpc = new ProxyVpc(this, "proxy-network", {
      namePrefix: this.prefix,
      region: this.region,
      cidr: layout.proxyVpcCidr,
      availabilityZones: layout.availabilityZones,
      meshRouting: layout.routing,
      dns: layout.dns,
      accountId: this.accountId,
      partition: this.partition,
    });
    this.callerEndpoint = new AcquisitionEndpoint(this, callerNetworkId, {
      namePrefix: this.prefix,
      region: this.region,
      cidr: layout.callerVpcCidr,
      availabilityZones: layout.availabilityZones,
      callerCidrs: layout.callerCidrs,
      callerRouting: layout.callerRouting,
      vpcName: kind === "ingress" ? "acquisition" : "callers",
    });
    this.networkOutputs();
    this.warnOnMissingConnectivity(name);
    this.warnOnStaleLock(name);
    this.cluster = new EcsCluster(this, "cluster", { name: this.prefix, setting: [{ name: "containerInsights", value: "enhanced" }] });
    this.apiLogging = new ApiGatewayLogging(this, "api-logging", {
      partition: this.partition,
      accountId: this.accountId,
      roleName: limitedName([this.prefix, "apigw-logs"], 64),
    });
  }

  /**
   * What the network owners on both sides need to connect these VPCs (peering or transit gateway
   * routes, Route 53 zone authorizations): the VPC and route table IDs.
   */
  private networkOutputs(): void {
    const callers = this.kind === "ingress" ? "acquisition services" : "parent callers";
    new TerraformOutput(this, "caller_vpc_id", {
      description: `VPC of the execute-api endpoint ${callers} use: connect it to their network (transit gateway or peering)`,
      value: this.callerEndpoint.vpc.id,
    });
    new TerraformOutput(this, "caller_route_table_ids", {
      description: `Route tables of the execute-api endpoint subnets: routes back to the ${callers} go here`,
      value: [this.callerEndpoint.routeTable.id],
    });
    new TerraformOutput(this, "proxy_vpc_id", {
      description: "VPC of the Farcars: the VPC to authorize for cross-account private hosted zones, and to route to the upstreams",
      value: this.proxyVpc.vpc.id,
    });
    new TerraformOutput(this, "proxy_route_table_ids", {
      description: "Route tables of the Farcar subnets: routes to the upstream CIDRs go here when no transit gateway is configured",
      value: [this.proxyVpc.routeTable.id],
    });
  }

  /**
   * A one-line warning when the lock next to the fleet file exists but does not list this
   * direction's services as the fleet file does: their slots are assigned at synth (as `npm run
   * lock` would) but not yet recorded, so `npm run lock -- --check` fails CI until they are.
   */
  private warnOnStaleLock(stack: string): void {
    const lock = readLock(this.fleet.file);
    if (!lock) return;
    const drift = lockDrift(lock, this.fleet).filter((line) => line.startsWith(`${this.env.key} ${this.kind}: `));
    if (drift.length) {
      Annotations.of(this).addWarning(
        `${stack}: ${lockFileFor(this.fleet.file)} is out of date (${drift.map((d) => d.slice(`${this.env.key} ${this.kind}: `.length)).join("; ")}): run npm run lock and commit it`,
      );
    }
  }

  /**
   * One-line synth warnings (not failures) for what Farcar cannot check but a working deployment
   * needs: a way from the callers to the endpoint VPC, and DNS for upstream names.
   */
  private warnOnMissingConnectivity(stack: string): void {
    const layout = this.layout;
    const hasServices = (this.kind === "ingress" ? this.env.inbound : this.env.outbound).length > 0;
    if (!hasServices) return;
    const warn = (message: string) => Annotations.of(this).addWarning(`${stack}: ${message}`);
    if (!layout.callerRouting) {
      warn(
        `the execute-api endpoint VPC (${layout.callerVpcCidr}) has no route to ${layout.fields.callerCidrs} (${layout.callerCidrs.join(", ")}): ` +
          `set ${layout.fields.callerRouting}.transitGatewayId, or connect it yourself (outputs caller_vpc_id, caller_route_table_ids)`,
      );
    }
    const names = [...new Set(layout.upstreamHosts.filter((h) => isIP(h) === 0))].sort();
    const dns = layout.dns;
    if (names.length && !(dns && (dns.resolverRuleIds.length || dns.hostedZoneIds.length))) {
      warn(
        `${names.join(", ")} ${names.length > 1 ? "are DNS names" : "is a DNS name"} and ${layout.fields.dns} is not set: ` +
          `the proxy VPC resolves only public names (and zones associated outside Farcar); set ${layout.fields.dns}.resolverRuleIds or .hostedZoneIds (help/fleet-file.md)`,
      );
    }
  }

  /**
   * Fail synth when this direction would exceed any AWS quota, listing each one over its limit
   * with the measured figure and the fix (the figures: `this.quotas`, `npm run cost`).
   */
  private assertWithinQuotas(): void {
    this.quotas = measureQuotas(directionQuotaInput(this.env, this.kind, this.slots));
    const error = quotaError(`${this.env.acquisition}/${this.env.environment} ${this.kind} (${this.region})`, this.quotas);
    if (error) throw new SynthError(error);
  }

  /** Shared NLB number `index` (created with its first member; construct ID `nlb-<index>`). */
  private sharedNlb(index: number): SharedNlb {
    let nlb = this.sharedNlbs.get(index);
    if (!nlb) {
      const { acquisition, environment } = this.env;
      nlb = new SharedNlb(this, `nlb-${index}`, {
        name: `${this.prefix}-nlb${index}`,
        nlbName: sharedNlbName(this.kind, acquisition, environment, index),
        vpcId: this.proxyVpc.vpc.id,
        subnetIds: this.proxyVpc.subnets.map((s) => s.id),
      });
      this.sharedNlbs.set(index, nlb);
    }
    return nlb;
  }

  /** One Farcar (listener + target group in its slot on a shared NLB, Fargate service) for `service`, with this stack's network and knobs. */
  protected farcarService(service: string, spec: FarcarSpec): FarcarService {
    const { acquisition, environment } = this.env;
    const knobs = this.knobs.values;
    // Farcars may connect only to the upstream CIDRs, never anywhere: the fleet file must say where
    // the upstreams are (config/checks.ts requires it; FC-SG-OPEN-EGRESS guards the result).
    const cidrs = this.layout.routing?.cidrs;
    if (!cidrs?.length) {
      throw new SynthError(
        `${this.env.acquisition}/${this.env.environment} ${this.kind}: ${this.layout.fields.routing} is not set, so Farcars would have no upstream to connect to. ` +
          `Fix: add ${this.layout.fields.routing}: { transitGatewayId: tgw-…, cidrs: [<upstream CIDRs>] }`,
      );
    }
    const slot = this.slots.services[service];
    if (!slot) throw new Error(`${this.env.key} ${this.kind}: no slot for ${service} (directionSlots assigns every service one)`);
    return new FarcarService(this, `farcar-${service}`, {
      name: farcarName(this.kind, acquisition, environment, service),
      nlb: this.sharedNlb(slot.nlb),
      listenerPort: slot.port,
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
   * One private REST API per service (construct ID `api-<service>`; help/scaling.md): X's API has
   * only X's routes, integrated with X's slot, and a resource policy naming only X's roles. The
   * caller endpoint is limited to this account's APIs, and the outputs callers need: invoke URL
   * and identity policy per service.
   */
  protected privateApis(
    /** The API's description, per service. */
    describe: (service: string) => string,
    services: readonly ApiService[],
    routes: readonly ApiRoute[],
    callers: string,
    /** What a caller appends to its invoke URL, for the output description. */
    pathHint = "the request path",
  ): Record<string, PrivateRestApi> {
    const stage = this.stage;
    const vpcEndpointId = this.callerEndpoint.endpoint.id;
    const routeOf = new Map(routes.map((r) => [r.service, r]));
    for (const service of services) {
      const route = routeOf.get(service.name);
      if (!route) throw new Error(`${this.env.key} ${this.kind}: no route for ${service.name}`);
      this.apis[service.name] = new PrivateRestApi(this, `api-${service.name}`, {
        name: limitedName([this.prefix, service.name], 1024),
        description: describe(service.name),
        stageName: stage,
        vpcEndpointId,
        logRetentionDays: this.knobs.values.logRetentionDays,
        accountLogging: this.apiLogging.account,
        routes: [route],
        policy: (executionArn) => privateApiResourcePolicy({ executionArn, stage, proxyAccountId: this.accountId, vpcEndpointId, services: [service] }),
      });
    }
    // The endpoint policy names the account's APIs, not each one: 500 execution ARNs would pass the
    // endpoint policy's 20,480 characters (not adjustable), and the account holds only this
    // direction's Farcar APIs (help/scaling.md), so the endpoint is still no door to other APIs.
    // It admits only the callers' accounts' credentials: it changes only when a service brings a
    // caller account no other service has.
    this.callerEndpoint.restrictTo(
      `arn:${this.partition}:execute-api:${this.region}:${this.accountId}:*`,
      services.flatMap((s) => s.roleArns.map((arn) => arn.split(":")[4])),
    );

    const apiOf = (name: string) => this.apis[name].restApi;
    const invokeBase = (name: string) =>
      `https://${apiOf(name).id}-${vpcEndpointId}.execute-api.${this.region}.${dnsSuffixOf(this.partition)}/${stage}`;
    new TerraformOutput(this, "invoke_urls", {
      description: `Invoke base URL per service for ${callers}: append ${pathHint} and sign the request with SigV4 (service execute-api)`,
      value: Object.fromEntries(services.map((s) => [s.name, `${invokeBase(s.name)}/${s.name}/`])),
    });
    new TerraformOutput(this, "caller_identity_policies", {
      description: `Identity policy (JSON) per service: attach it to each of the service's roles, in their own account, so they may invoke the API (${callers}; cross-account IAM auth needs an Allow on both sides)`,
      value: Object.fromEntries(services.map((s) => [s.name, renderPolicy(callerIdentityPolicy(apiOf(s.name).executionArn, stage, s.name, s.methods))])),
    });
    new TerraformOutput(this, "execute_api_endpoint_id", { description: `The execute-api VPC endpoint ${callers} must use`, value: vpcEndpointId });
    new TerraformOutput(this, "rest_api_ids", {
      description: "ID of the private REST API of each service",
      value: Object.fromEntries(services.map((s) => [s.name, apiOf(s.name).id])),
    });
    new TerraformOutput(this, "stage_name", { description: "Stage of every private REST API of this stack", value: stage });
    return this.apis;
  }
}
