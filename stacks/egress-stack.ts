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
import type { OutboundService } from "../config/fleet";
import { egressContainerLaunch, egressUpstreamPort } from "../envoy/egress";
import { egressSidecarContainerEnvironment } from "../envoy/sidecar/container";
import type { FarcarService } from "../modules/farcar-service/farcar-service";
import { EgressIdentity } from "../modules/identity/egress-identity";
import { ProxyStack, type ProxyStackProps } from "./proxy-stack";

/** An outbound service's Farcar and native identity. */
export interface EgressFarcar {
  readonly service: OutboundService;
  readonly identity: EgressIdentity;
  readonly farcar: FarcarService;
}

export class EgressStack extends ProxyStack {
  public readonly farcars: Record<string, EgressFarcar> = {};

  constructor(scope: Construct, props: ProxyStackProps) {
    const egress = props.environment.egress;
    if (!egress) throw new Error(`${props.environment.key}: no outbound services, no egress stack`);
    super(
      scope,
      "egress",
      props,
      {
        availabilityZones: egress.network.availabilityZones,
        proxyVpcCidr: egress.network.proxyVpcCidr,
        callerVpcCidr: egress.network.callerVpcCidr,
        callerCidrs: egress.network.callerCidrs,
        callerRouting: egress.network.callerRouting,
        routing: egress.network.upstreamRouting,
        dns: egress.network.upstreamDns,
        upstreamHosts: props.environment.outbound.map((s) => new URL(s.upstream.url).hostname.replace(/^\[|\]$/g, "")),
        fields: {
          callerCidrs: "egressNetwork.callerCidrs",
          callerRouting: "egressNetwork.callerRouting",
          routing: "egressNetwork.upstreamRouting",
          dns: "egressNetwork.upstreamDns",
        },
      },
      "caller-network",
    );
    const { env } = this;
    const services = env.outbound.map((s) => ({ name: s.name, roleArns: s.callerRoleArns, methods: s.methods }));

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
      const farcar = this.farcarService(service.name, {
        envoy: egressContainerLaunch({
          acquisition: env.acquisition,
          environment: env.environment,
          service: service.name,
          upstream: { url: service.upstream.url, auth },
          upstreamCa: identity.upstreamCa,
        }),
        sidecar: identity.sidecar && egressSidecarContainerEnvironment(identity.sidecar),
        taskPolicy: identity.taskPolicy,
        upstreamPorts: [egressUpstreamPort(service.upstream.url)],
      });
      identity.restrictSecretsTo(farcar.taskRole.arn);
      this.farcars[service.name] = { service, identity, farcar };
    }

    this.privateApis(
      (service) => `Farcar egress for ${env.acquisition}/${env.environment}: parent services into the acquisition's ${service}`,
      services,
      env.outbound.map((s) => ({
        service: s.name,
        vpcLinkId: this.farcars[s.name].farcar.vpcLink.id,
        backendBaseUrl: this.farcars[s.name].farcar.backendBaseUrl,
      })),
      "parent callers",
    );

    // --- outputs for the acquisition ---------------------------------------------------------------
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
  }
}
