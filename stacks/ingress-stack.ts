/**
 * `<acquisition>-<environment>-ingress`: acquisition services calling into the parent mesh.
 *
 * acquisition role X ─SigV4─► execute-api endpoint (acquisition VPC) ─► private REST API /X/Z/…
 *   ─► X's VPC link ─► X's NLB ─► Farcar X (Envoy on Fargate) ─mTLS as X─► mesh service Z
 */
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import type { InboundService } from "../config/fleet";
import { envoyContainerLaunch } from "../envoy/render";
import { sidecarContainerEnvironment } from "../envoy/sidecar/container";
import type { FarcarService } from "../modules/farcar-service/farcar-service";
import { AcquisitionCa } from "../modules/identity/certificate-authorities";
import { ServiceIdentity, TrustBundleSecret } from "../modules/identity/service-identity";
import type { AcquisitionEndpoint } from "../modules/network/acquisition-endpoint";
import type { PrivateRestApi } from "../modules/private-api/private-rest-api";
import { ProxyStack, type ProxyStackProps } from "./proxy-stack";

/** An inbound service's Farcar and identity. */
export interface IngressFarcar {
  readonly service: InboundService;
  readonly identity: ServiceIdentity;
  readonly farcar: FarcarService;
}

export class IngressStack extends ProxyStack {
  /** The acquisition VPC's execute-api endpoint (the caller endpoint of this direction). */
  public readonly acquisitionEndpoint: AcquisitionEndpoint;
  public readonly acquisitionCa?: AcquisitionCa;
  public readonly farcars: Record<string, IngressFarcar> = {};
  public readonly api: PrivateRestApi;

  constructor(scope: Construct, props: ProxyStackProps) {
    const { environment: env, fleet } = props;
    super(
      scope,
      "ingress",
      props,
      {
        availabilityZones: env.network.availabilityZones,
        proxyVpcCidr: env.network.proxyVpcCidr,
        callerVpcCidr: env.network.acquisitionVpcCidr,
        callerCidrs: env.network.acquisitionCallerCidrs,
        routing: fleet.mesh.routing,
      },
      "acquisition-network",
    );
    this.acquisitionEndpoint = this.callerEndpoint;
    const services = env.inbound.map((s) => ({ name: s.name, roleArns: s.roleArns, methods: s.methods }));
    this.assertPolicyFits(
      services,
      "move some inbound services of this environment to a new environment (its own proxy account and API), or list fewer role ARNs per service.",
    );

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
      const farcar = this.farcarService(service.name, {
        envoy: envoyContainerLaunch({
          acquisition: env.acquisition,
          environment: env.environment,
          service: service.name,
          spiffeId: service.spiffeId,
          targets: service.targets.map((t) => ({ name: t.name, spiffeId: t.spiffeId, address: t.address })),
        }),
        sidecar: sidecarContainerEnvironment(identity.sidecar),
        taskPolicy: identity.taskPolicy,
        upstreamPorts: service.targets.map((t) => t.port),
        // No tasks until they can obtain an SVID (the acquisition CA's signing ceremony).
        desiredCount: identity.ready ? undefined : 0,
      });
      identity.restrictSecretTo(farcar.taskRole.arn);
      this.farcars[service.name] = { service, identity, farcar };
    }

    this.api = this.privateApi(
      `Farcar ingress for ${env.acquisition}/${env.environment}: acquisition services into the mesh`,
      services,
      env.inbound.map((s) => ({
        service: s.name,
        targets: s.targets.map((t) => t.name),
        vpcLinkId: this.farcars[s.name].farcar.vpcLink.id,
        backendBaseUrl: this.farcars[s.name].farcar.backendBaseUrl,
      })),
      "acquisition services",
      "<target>/<path>",
    );
    new TerraformOutput(this, "farcar_spiffe_ids", {
      description: "SPIFFE ID each inbound service's Farcar presents in the mesh",
      value: Object.fromEntries(env.inbound.map((s) => [s.name, s.spiffeId])),
    });
  }
}
