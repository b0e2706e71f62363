/**
 * `<acquisition>-<environment>-egress`: parent services calling into the acquisition — the
 * ingress path mirrored, in a proxy account of the acquisition's organization.
 *
 * parent role P ─SigV4─► execute-api endpoint (caller VPC) ─► private REST API /S/…
 *   ─► S's VPC link ─► S's NLB ─► egress Farcar S (Envoy) ─acquisition-native identity─► upstream
 *
 * Built from the same constructs as the ingress stack: ProxyVpc, the execute-api endpoint VPC,
 * PrivateRestApi with the same resource-policy function, FarcarService.
 */
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { SynthError } from "../config/errors";
import type { OutboundService } from "../config/fleet";
import { limitedName, nlbName, resourcePrefix, targetGroupName } from "../config/names";
import { egressContainerLaunch } from "../envoy/egress";
import { egressSidecarContainerEnvironment } from "../envoy/sidecar/container";
import { FarcarImages } from "../modules/farcar-service/images";
import { FarcarService } from "../modules/farcar-service/farcar-service";
import { renderPolicy } from "../modules/iam/policy-document";
import { EgressIdentity } from "../modules/identity/egress-identity";
import { AcquisitionEndpoint } from "../modules/network/acquisition-endpoint";
import { ProxyVpc } from "../modules/network/proxy-vpc";
import { ApiGatewayLogging } from "../modules/private-api/account-logging";
import { PrivateRestApi } from "../modules/private-api/private-rest-api";
import { callerIdentityPolicy, measureResourcePolicy, privateApiResourcePolicy } from "../modules/private-api/resource-policy";
import { ProxyStack, type ProxyStackProps } from "./proxy-stack";

/** An outbound service's Farcar and native identity. */
export interface EgressFarcar {
  readonly service: OutboundService;
  readonly identity: EgressIdentity;
  readonly farcar: FarcarService;
}

/** host and port of an upstream URL (default ports by scheme). */
export function upstreamPort(url: string): number {
  const u = new URL(url);
  return u.port ? Number(u.port) : u.protocol === "https:" ? 443 : 80;
}

export class EgressStack extends ProxyStack {
  public readonly proxyVpc: ProxyVpc;
  public readonly callerEndpoint: AcquisitionEndpoint;
  public readonly cluster: EcsCluster;
  public readonly images: FarcarImages;
  public readonly farcars: Record<string, EgressFarcar> = {};
  public readonly api: PrivateRestApi;

  constructor(scope: Construct, props: ProxyStackProps) {
    super(scope, "egress", props);
    const { env } = this;
    const egress = env.egress!;
    const prefix = resourcePrefix("egress", env.acquisition, env.environment);
    const stage = env.environment;
    const knobs = this.knobs.values;
    const services = env.outbound.map((s) => ({ name: s.name, roleArns: s.callerRoleArns }));

    const size = measureResourcePolicy({ partition: this.partition, region: this.region, stage, services });
    if (!size.fits) {
      throw new SynthError(
        `${env.acquisition}/${env.environment} egress: the API resource policy would be ${size.chars} characters, over API Gateway's ${size.limit}. ` +
          `Fix: list fewer caller roles per outbound service, or move outbound services to another environment.`,
      );
    }

    this.images = new FarcarImages(this, "images", { envoyImage: knobs.image, identityImage: knobs.identityImage });
    this.proxyVpc = new ProxyVpc(this, "proxy-network", {
      namePrefix: prefix,
      region: this.region,
      cidr: egress.network.proxyVpcCidr,
      availabilityZones: egress.network.availabilityZones,
      meshRouting: egress.network.upstreamRouting,
    });
    this.callerEndpoint = new AcquisitionEndpoint(this, "caller-network", {
      namePrefix: prefix,
      region: this.region,
      cidr: egress.network.callerVpcCidr,
      availabilityZones: egress.network.availabilityZones,
      callerCidrs: egress.network.callerCidrs,
    });
    this.cluster = new EcsCluster(this, "cluster", { name: prefix, setting: [{ name: "containerInsights", value: "enhanced" }] });
    new ApiGatewayLogging(this, "api-logging", {
      partition: this.partition,
      accountId: this.accountId,
      roleName: limitedName([prefix, "apigw-logs"], 64),
    });

    const upstreamCidrs = egress.network.upstreamRouting?.cidrs ?? ["0.0.0.0/0"];
    for (const service of env.outbound) {
      const auth = service.upstream.auth;
      const identity = new EgressIdentity(this, `identity-${service.name}`, {
        acquisition: env.acquisition,
        environment: env.environment,
        service: service.name,
        region: this.region,
        auth,
        upstreamCaPem: auth.caBundlePem,
      });
      const launch = egressContainerLaunch({
        acquisition: env.acquisition,
        environment: env.environment,
        service: service.name,
        upstream: { url: service.upstream.url, auth },
        upstreamCa: identity.upstreamCa,
      });
      const farcar = new FarcarService(this, `farcar-${service.name}`, {
        name: limitedName(["farcar", env.acquisition, env.environment, "out", service.name], 48),
        nlbName: nlbName("egress", env.acquisition, env.environment, service.name),
        targetGroupName: targetGroupName("egress", env.acquisition, env.environment, service.name),
        partition: this.partition,
        region: this.region,
        accountId: this.accountId,
        clusterArn: this.cluster.arn,
        network: {
          vpcId: this.proxyVpc.vpc.id,
          subnetIds: this.proxyVpc.subnets.map((s) => s.id),
          endpointSecurityGroupId: this.proxyVpc.endpointSecurityGroup.id,
          s3PrefixListId: this.proxyVpc.s3Endpoint.prefixListId,
          upstreams: upstreamCidrs.map((cidr) => ({ cidr, port: upstreamPort(service.upstream.url) })),
        },
        envoy: launch,
        envoyImage: this.images.envoyImage,
        sidecar: identity.sidecar && egressSidecarContainerEnvironment(identity.sidecar),
        identityImage: this.images.identityImage,
        taskPolicy: identity.taskPolicy,
        repositoryArns: this.images.repositoryArns,
        cpu: knobs.cpu,
        memoryMiB: knobs.memoryMiB,
        desiredCount: knobs.desiredCount,
        logRetentionDays: knobs.logRetentionDays,
      });
      identity.restrictSecretsTo(farcar.taskRole.arn);
      this.farcars[service.name] = { service, identity, farcar };
    }

    const vpcEndpointId = this.callerEndpoint.endpoint.id;
    this.api = new PrivateRestApi(this, "api", {
      name: prefix,
      description: `Farcar egress for ${env.acquisition}/${env.environment}: parent services into the acquisition`,
      stageName: stage,
      vpcEndpointId,
      logRetentionDays: knobs.logRetentionDays,
      routes: env.outbound.map((s) => ({
        service: s.name,
        vpcLinkId: this.farcars[s.name].farcar.vpcLink.id,
        backendBaseUrl: this.farcars[s.name].farcar.backendBaseUrl,
      })),
      policy: (executionArn) => privateApiResourcePolicy({ executionArn, stage, proxyAccountId: this.accountId, vpcEndpointId, services }),
    });
    this.callerEndpoint.restrictTo(this.api.restApi.executionArn);

    // --- outputs for the parent side and for the acquisition -------------------------------------
    const invokeBase = `https://${this.api.restApi.id}-${vpcEndpointId}.execute-api.${this.region}.amazonaws.com/${stage}`;
    new TerraformOutput(this, "invoke_urls", {
      description: "Invoke base URL per outbound service: append the path and sign with SigV4 (service execute-api)",
      value: Object.fromEntries(env.outbound.map((s) => [s.name, `${invokeBase}/${s.name}/`])),
    });
    new TerraformOutput(this, "caller_identity_policies", {
      description: "Identity policy (JSON) each parent caller role needs in its own account to invoke the API",
      value: Object.fromEntries(env.outbound.map((s) => [s.name, renderPolicy(callerIdentityPolicy(this.api.restApi.executionArn, stage, s.name))])),
    });
    new TerraformOutput(this, "upstream_signing_roles", {
      description: "Role whose credentials sign requests to each sigv4 upstream (the acquisition's API must allow it)",
      value: Object.fromEntries(
        env.outbound
          .filter((s) => s.upstream.auth.kind === "sigv4")
          .map((s) => [s.name, this.farcars[s.name].identity.assumeRoleArn ?? this.farcars[s.name].farcar.taskRole.arn]),
      ),
    });
    new TerraformOutput(this, "credential_secrets", {
      description: "Secrets the acquisition fills for mtls (client certificate) and header (credential) upstreams",
      value: Object.fromEntries(
        env.outbound.flatMap((s) => {
          const id = this.farcars[s.name].identity;
          const secret = id.clientCertificateSecret ?? id.headerSecret;
          return secret ? [[s.name, secret.name]] : [];
        }),
      ),
    });
    new TerraformOutput(this, "execute_api_endpoint_id", { description: "The execute-api VPC endpoint parent callers must use", value: vpcEndpointId });
    new TerraformOutput(this, "rest_api_id", { description: "ID of the private REST API", value: this.api.restApi.id });
    new TerraformOutput(this, "stage_name", { description: "Stage of the private REST API", value: stage });
  }
}
