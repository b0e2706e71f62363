/**
 * `<acquisition>-<environment>-ingress`: acquisition services calling into the parent mesh.
 *
 * acquisition role X ─SigV4─► execute-api endpoint (acquisition VPC) ─► private REST API /X/Z/…
 *   ─► X's VPC link ─► X's NLB ─► Farcar X (Envoy on Fargate) ─mTLS as X─► mesh service Z
 */
import { dependable, TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import type { InboundService } from "../config/fleet";
import { envoyContainerLaunch } from "../envoy/render";
import { sidecarContainerEnvironment } from "../envoy/sidecar/container";
import type { FarcarService } from "../modules/farcar-service/farcar-service";
import { AcquisitionCa, API_PASSTHROUGH_TEMPLATE, templateArn } from "../modules/identity/certificate-authorities";
import { SvidIssuer } from "../modules/identity/issuer";
import { SvidSecretKey } from "../modules/identity/svid-key";
import { farcarSpiffeId } from "../config/names";
import { ServiceIdentity, TrustBundleSecret } from "../modules/identity/service-identity";
import type { AcquisitionEndpoint } from "../modules/network/acquisition-endpoint";
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
  /** The environment's SVID issuer (privateCa). */
  public readonly issuer?: SvidIssuer;
  public readonly farcars: Record<string, IngressFarcar> = {};

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
        callerRouting: env.network.callerRouting,
        routing: fleet.mesh.routing,
        dns: fleet.mesh.dns,
        upstreamHosts: env.inbound.flatMap((s) => s.targets.map((t) => t.host)),
        fields: {
          callerCidrs: "network.acquisitionCallerCidrs",
          callerRouting: "network.callerRouting",
          routing: "mesh.routing",
          dns: "mesh.dns",
        },
      },
      "acquisition-network",
    );
    this.acquisitionEndpoint = this.callerEndpoint;
    const services = env.inbound.map((s) => ({ name: s.name, roleArns: s.roleArns, methods: s.methods }));

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
      this.issuer = new SvidIssuer(this, "svid-issuer", {
        acquisition: env.acquisition,
        environment: env.environment,
        partition: this.partition,
        region: this.region,
        accountId: this.accountId,
        caArn: this.acquisitionCa.caArn,
        templateArn: templateArn(this.partition, API_PASSTHROUGH_TEMPLATE),
        spiffeIdTemplate: farcarSpiffeId(fleet.mesh.spiffeIdTemplate, {
          trustDomain: fleet.mesh.trustDomain,
          acquisition: env.acquisition,
          environment: env.environment,
          service: "{service}",
        }),
        services: env.inbound.map((s) => s.name),
        maxTtlHours: env.identity.certificateTtlHours,
        logRetentionDays: this.knobs.values.logRetentionDays,
        // Issue 11 item 7: nothing issues before the CA certificate is installed.
        dependsOn: this.acquisitionCa.installed ? [this.acquisitionCa.installed] : undefined,
      });
    }

    const writerArn = env.identity.source === "secretsManager" ? env.identity.svidWriterArn : undefined;
    const svidKey = writerArn ? new SvidSecretKey(this, "svid-key", { acquisition: env.acquisition, environment: env.environment }) : undefined;

    for (const service of env.inbound) {
      const identity = new ServiceIdentity(this, `identity-${service.name}`, {
        source: env.identity.source,
        acquisition: env.acquisition,
        environment: env.environment,
        service: service.name,
        spiffeId: service.spiffeId,
        region: this.region,
        certificateTtlHours: env.identity.certificateTtlHours,
        trustBundleSecretArn: trustBundle.secret.arn,
        issuer: this.issuer,
        caActive: this.acquisitionCa?.active,
        writer: svidKey && writerArn ? { kmsKeyArn: svidKey.key.arn, writerArn } : undefined,
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
      // Issue 11 item 7: the service's sidecars ask for SVIDs at start, so the service waits for
      // the installed CA certificate and the issuer alias it invokes.
      if (this.issuer) {
        farcar.service.dependsOn = [
          ...(farcar.service.dependsOn ?? []),
          ...(this.acquisitionCa?.installed ? [dependable(this.acquisitionCa.installed)] : []),
          dependable(this.issuer.aliases[service.name]),
        ];
      }
      this.farcars[service.name] = { service, identity, farcar };
    }

    svidKey?.grant({
      partition: this.partition,
      region: this.region,
      accountId: this.accountId,
      writerArn: writerArn!,
      readers: Object.values(this.farcars).map((f) => ({ taskRoleArn: f.farcar.taskRole.arn, secretArn: f.identity.secret!.arn })),
    });

    this.privateApis(
      (service) => `Farcar ingress for ${env.acquisition}/${env.environment}: acquisition service ${service} into the mesh`,
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
