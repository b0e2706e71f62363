/**
 * `<acquisition>-<environment>-ingress`: acquisition services calling into the parent mesh.
 *
 * acquisition role X ─SigV4─► execute-api endpoint (acquisition VPC) ─► private REST API /X/Z/…
 *   ─► X's VPC link ─► X's NLB ─► Farcar X (Envoy on Fargate) ─mTLS as X─► mesh service Z
 */
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import type { InboundService } from "../config/fleet";
import { nlbName, resourcePrefix, targetGroupName, limitedName } from "../config/names";
import { FarcarImages } from "../modules/farcar-service/images";
import { FarcarService } from "../modules/farcar-service/farcar-service";
import { renderPolicy } from "../modules/iam/policy-document";
import { AcquisitionCa } from "../modules/identity/certificate-authorities";
import { ServiceIdentity, TrustBundleSecret } from "../modules/identity/service-identity";
import { AcquisitionEndpoint } from "../modules/network/acquisition-endpoint";
import { ProxyVpc } from "../modules/network/proxy-vpc";
import { ApiGatewayLogging } from "../modules/private-api/account-logging";
import { PrivateRestApi } from "../modules/private-api/private-rest-api";
import { callerIdentityPolicy, measureResourcePolicy, privateApiResourcePolicy } from "../modules/private-api/resource-policy";
import { SynthError } from "../config/errors";
import { envoyContainerLaunch } from "../envoy/render";
import { sidecarContainerEnvironment } from "../envoy/sidecar/container";
import { ProxyStack, type ProxyStackProps } from "./proxy-stack";

/** An inbound service's Farcar and identity. */
export interface IngressFarcar {
  readonly service: InboundService;
  readonly identity: ServiceIdentity;
  readonly farcar: FarcarService;
}

export class IngressStack extends ProxyStack {
  public readonly proxyVpc: ProxyVpc;
  public readonly acquisitionEndpoint: AcquisitionEndpoint;
  public readonly cluster: EcsCluster;
  public readonly images: FarcarImages;
  public readonly acquisitionCa?: AcquisitionCa;
  public readonly farcars: Record<string, IngressFarcar> = {};
  public readonly api: PrivateRestApi;

  constructor(scope: Construct, props: ProxyStackProps) {
    super(scope, "ingress", props);
    const { env, fleet } = this;
    const prefix = resourcePrefix("ingress", env.acquisition, env.environment);
    const stage = env.environment;

    // Fail synth, with the fix, before building anything AWS would reject.
    const size = measureResourcePolicy({
      partition: this.partition,
      region: this.region,
      stage,
      services: env.inbound.map((s) => ({ name: s.name, roleArns: s.roleArns })),
    });
    if (!size.fits) {
      throw new SynthError(
        `${env.acquisition}/${env.environment}: the API resource policy would be ${size.chars} characters, over API Gateway's ${size.limit}. ` +
          `Fix: move some inbound services of this environment to a new environment (its own proxy account and API), or list fewer role ARNs per service.`,
      );
    }

    const knobs = this.knobs.values;
    this.images = new FarcarImages(this, "images", { envoyImage: knobs.image, identityImage: knobs.identityImage });
    this.proxyVpc = new ProxyVpc(this, "proxy-network", {
      namePrefix: prefix,
      region: this.region,
      cidr: env.network.proxyVpcCidr,
      availabilityZones: env.network.availabilityZones,
      meshRouting: fleet.mesh.routing,
    });
    this.acquisitionEndpoint = new AcquisitionEndpoint(this, "acquisition-network", {
      namePrefix: prefix,
      region: this.region,
      cidr: env.network.acquisitionVpcCidr,
      availabilityZones: env.network.availabilityZones,
      callerCidrs: env.network.acquisitionCallerCidrs,
    });
    this.cluster = new EcsCluster(this, "cluster", {
      name: prefix,
      setting: [{ name: "containerInsights", value: "enhanced" }],
    });
    new ApiGatewayLogging(this, "api-logging", {
      partition: this.partition,
      accountId: this.accountId,
      roleName: limitedName([prefix, "apigw-logs"], 64),
    });
    const trustBundle = new TrustBundleSecret(this, "mesh-trust-bundle", {
      name: `farcar/${env.acquisition}/${env.environment}/ingress/mesh-trust-bundle`,
      pem: fleet.mesh.trustBundlePem,
    });
    if (env.identity.source === "privateCa") {
      this.acquisitionCa = new AcquisitionCa(this, "acquisition-ca", {
        acquisition: env.acquisition,
        environment: env.environment,
        organization: fleet.mesh.trustDomain,
        adoptedCaArn: env.identity.acquisitionCaArn,
        signedCertificatePem: env.identity.acquisitionCaCertificatePem,
      });
    }

    const upstreamCidrs = fleet.mesh.routing?.cidrs ?? ["0.0.0.0/0"];
    for (const service of env.inbound) {
      const identity = new ServiceIdentity(this, `identity-${service.name}`, {
        source: env.identity.source,
        acquisition: env.acquisition,
        environment: env.environment,
        service: service.name,
        spiffeId: service.spiffeId,
        partition: this.partition,
        region: this.region,
        organization: fleet.mesh.trustDomain,
        certificateTtlHours: env.identity.certificateTtlHours,
        trustBundleSecretArn: trustBundle.secret.arn,
        acquisitionCa: this.acquisitionCa,
      });
      const farcar = new FarcarService(this, `farcar-${service.name}`, {
        name: limitedName(["farcar", env.acquisition, env.environment, "in", service.name], 48),
        nlbName: nlbName("ingress", env.acquisition, env.environment, service.name),
        targetGroupName: targetGroupName("ingress", env.acquisition, env.environment, service.name),
        partition: this.partition,
        region: this.region,
        accountId: this.accountId,
        clusterArn: this.cluster.arn,
        network: {
          vpcId: this.proxyVpc.vpc.id,
          subnetIds: this.proxyVpc.subnets.map((s) => s.id),
          endpointSecurityGroupId: this.proxyVpc.endpointSecurityGroup.id,
          s3PrefixListId: this.proxyVpc.s3Endpoint.prefixListId,
          upstreams: service.targets.flatMap((t) => upstreamCidrs.map((cidr) => ({ cidr, port: t.port }))),
        },
        envoy: envoyContainerLaunch({
          acquisition: env.acquisition,
          environment: env.environment,
          service: service.name,
          spiffeId: service.spiffeId,
          targets: service.targets.map((t) => ({ name: t.name, spiffeId: t.spiffeId, address: t.address })),
        }),
        envoyImage: this.images.envoyImage,
        sidecar: sidecarContainerEnvironment(identity.sidecar),
        identityImage: this.images.identityImage,
        taskPolicy: identity.taskPolicy,
        repositoryArns: this.images.repositoryArns,
        cpu: knobs.cpu,
        memoryMiB: knobs.memoryMiB,
        // No tasks until they can obtain an SVID (the acquisition CA's signing ceremony).
        desiredCount: identity.ready ? knobs.desiredCount : 0,
        logRetentionDays: knobs.logRetentionDays,
      });
      identity.restrictSecretTo(farcar.taskRole.arn);
      this.farcars[service.name] = { service, identity, farcar };
    }

    const vpcEndpointId = this.acquisitionEndpoint.endpoint.id;
    this.api = new PrivateRestApi(this, "api", {
      name: prefix,
      description: `Farcar ingress for ${env.acquisition}/${env.environment}: acquisition services into the mesh`,
      stageName: stage,
      vpcEndpointId,
      logRetentionDays: knobs.logRetentionDays,
      routes: env.inbound.map((s) => ({
        service: s.name,
        targets: s.targets.map((t) => t.name),
        vpcLinkId: this.farcars[s.name].farcar.vpcLink.id,
        backendBaseUrl: this.farcars[s.name].farcar.backendBaseUrl,
      })),
      policy: (executionArn) =>
        privateApiResourcePolicy({
          executionArn,
          stage,
          proxyAccountId: this.accountId,
          vpcEndpointId,
          services: env.inbound.map((s) => ({ name: s.name, roleArns: s.roleArns })),
        }),
    });
    this.acquisitionEndpoint.restrictTo(this.api.restApi.executionArn);

    // --- outputs ----------------------------------------------------------------------------------
    const invokeBase = `https://${this.api.restApi.id}-${vpcEndpointId}.execute-api.${this.region}.${dnsSuffix(this.partition)}/${stage}`;
    new TerraformOutput(this, "invoke_urls", {
      description: "Invoke base URL per inbound service: append <target>/<path> and sign with SigV4 (service execute-api)",
      value: Object.fromEntries(env.inbound.map((s) => [s.name, `${invokeBase}/${s.name}/`])),
    });
    new TerraformOutput(this, "caller_identity_policies", {
      description: "Identity policy (JSON) each role of an inbound service needs in its own account to invoke the API",
      value: Object.fromEntries(
        env.inbound.map((s) => [s.name, renderPolicy(callerIdentityPolicy(this.api.restApi.executionArn, stage, s.name))]),
      ),
    });
    new TerraformOutput(this, "farcar_spiffe_ids", {
      description: "SPIFFE ID each inbound service's Farcar presents in the mesh",
      value: Object.fromEntries(env.inbound.map((s) => [s.name, s.spiffeId])),
    });
    new TerraformOutput(this, "execute_api_endpoint_id", { description: "The execute-api VPC endpoint callers must use", value: vpcEndpointId });
    new TerraformOutput(this, "rest_api_id", { description: "ID of the private REST API", value: this.api.restApi.id });
    new TerraformOutput(this, "stage_name", { description: "Stage of the private REST API", value: stage });
  }
}

function dnsSuffix(partition: string): string {
  return partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
}
