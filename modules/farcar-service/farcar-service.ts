/**
 * One Farcar in its slot on a shared NLB (help/scaling.md): a listener on the slot's port of the
 * SharedNlb → its own IP target group → a Fargate service running the identity sidecar and Envoy.
 * The NLB, its security groups and its VPC link belong to SharedNlb.
 *
 * Network paths, closed by default:
 *   - NLB: traffic arrives only through the VPC link (SharedNlb); it may send only to the members
 *     group of its own Farcars, on the container traffic and health ports.
 *   - Tasks: carry the members group of their NLB (admits that NLB only) and their own group (no
 *     inbound rules); send only to the VPC endpoints (443), S3 (image layers) and the upstreams on
 *     the targets' ports.
 */
import { Fn } from "cdktf";
import { Construct } from "constructs";
import type { ApiGatewayVpcLink } from "@cdktf/provider-aws/lib/api-gateway-vpc-link";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { HEALTH_CHECK_PATH } from "../../envoy/bootstrap";
import type { EnvoyContainerLaunch } from "../../envoy/render";
import { IDENTITY_DIR } from "../../envoy/identity-files";
import { SIDECAR_CONTAINER_NAME, sidecarHealthCheck, type SidecarContainerEnvironment } from "../../envoy/sidecar/container";
import { renderPolicy, type PolicyDocument } from "../iam/policy-document";
import { fargateMemoryChoices } from "../../config/checks";
import { limitedName } from "../../config/names";
import { numberArg } from "../terraform-values";
import type { SharedNlb } from "./shared-nlb";
import { ecsTasksTrustPolicy, farcarExecutionPolicy } from "./policies";

export const ENVOY_CONTAINER_NAME = "envoy";
const IDENTITY_VOLUME = "identity";

export interface FarcarNetwork {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  /** Security group of the VPC interface endpoints the task calls on 443. */
  readonly endpointSecurityGroupId: string;
  /** Prefix list of the S3 gateway endpoint (ECR image layers). */
  readonly s3PrefixListId: string;
  /** Where upstreams live, with their ports: the task may connect only there. */
  readonly upstreams: ReadonlyArray<{ readonly cidr: string; readonly port: number }>;
}

export interface FarcarServiceProps {
  /** Readable name of the Farcar, e.g. `farcar-afterpay-staging-in-checkout` (roles, family, logs). */
  readonly name: string;
  /** Target group name (≤ 32 characters, from config/names.ts). */
  readonly targetGroupName: string;
  /** The shared NLB this Farcar listens on (its slot in the lock file). */
  readonly nlb: SharedNlb;
  /** The Farcar's listener port on `nlb` (its slot in the lock file, from 10000). */
  readonly listenerPort: number;
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly clusterArn: string;
  readonly network: FarcarNetwork;
  /** How the Envoy container runs: bootstrap, command, ports (envoyContainerLaunch / egressContainerLaunch). */
  readonly envoy: EnvoyContainerLaunch;
  readonly envoyImage: string;
  /**
   * The identity sidecar's environment and injected secrets.
   * @default - no sidecar (an egress Farcar that signs with its task role needs none)
   */
  readonly sidecar?: SidecarContainerEnvironment;
  readonly identityImage: string;
  /**
   * Permissions of the task role (issue from its own CA, read its own secrets, assume a role).
   * @default - none: the task role has no policy
   */
  readonly taskPolicy?: PolicyDocument;
  /** Extra environment for the Envoy container (e.g. the credentials endpoint of an egress Farcar). */
  readonly envoyEnvironment?: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  /** ECR repositories the images come from (execution role may pull only these). */
  readonly repositoryArns: readonly string[];
  readonly cpu: number;
  readonly memoryMiB: number;
  /**
   * Fargate CPU architecture (runtimePlatform.cpuArchitecture): X86_64 or ARM64. ARM64 needs
   * images with a linux/arm64 variant.
   * @default "X86_64"
   */
  readonly cpuArchitecture?: string;
  readonly desiredCount: number;
  readonly logRetentionDays: number;
}

export class FarcarService extends Construct {
  public readonly nlb: Lb;
  public readonly nlbSecurityGroup: SecurityGroup;
  public readonly targetGroup: LbTargetGroup;
  public readonly listener: LbListener;
  public readonly vpcLink: ApiGatewayVpcLink;
  public readonly taskSecurityGroup: SecurityGroup;
  public readonly logGroup: CloudwatchLogGroup;
  public readonly executionRole: IamRole;
  public readonly taskRole: IamRole;
  public readonly taskDefinition: EcsTaskDefinition;
  public readonly service: EcsService;
  /** `http://{nlb-dns}:{port}`: the base URL API Gateway integrations use. */
  public readonly backendBaseUrl: string;

  constructor(scope: Construct, id: string, props: FarcarServiceProps) {
    super(scope, id);
    const envoy = props.envoy;
    const port = (name: string) => {
      const mapping = envoy.portMappings.find((p) => p.name === name);
      if (!mapping) throw new Error(`${props.name}: the Envoy launch has no "${name}" port`);
      return mapping.containerPort;
    };
    const trafficPort = port("traffic");
    const healthPort = port("health");
    const { network } = props;

    // --- security groups -------------------------------------------------------------------
    // The task's own group has no inbound rules: the members group of its NLB admits that NLB only
    // (SharedNlb), on the traffic and health ports admitted here.
    const shared = props.nlb;
    shared.admit(trafficPort);
    shared.admit(healthPort);
    this.nlbSecurityGroup = shared.securityGroup;
    this.taskSecurityGroup = new SecurityGroup(this, "task-sg", {
      name: `${props.name}-task`,
      description: `Tasks of ${props.name}: inbound only through the members group of its NLB; outbound to endpoints and upstreams`,
      vpcId: network.vpcId,
      tags: { Name: `${props.name}-task` },
    });
    new VpcSecurityGroupEgressRule(this, "task-to-endpoints", {
      securityGroupId: this.taskSecurityGroup.id,
      description: "HTTPS to the VPC interface endpoints (ECR, logs, STS, identity)",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      referencedSecurityGroupId: network.endpointSecurityGroupId,
    });
    new VpcSecurityGroupEgressRule(this, "task-to-s3", {
      securityGroupId: this.taskSecurityGroup.id,
      description: "HTTPS to S3 through the gateway endpoint (image layers)",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      prefixListId: network.s3PrefixListId,
    });
    const seen = new Set<string>();
    for (const up of network.upstreams) {
      const key = `${up.cidr}:${up.port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      new VpcSecurityGroupEgressRule(this, `task-to-upstream-${up.cidr.replace(/[./]/g, "-")}-${up.port}`, {
        securityGroupId: this.taskSecurityGroup.id,
        description: `Upstream ${up.cidr} port ${up.port}`,
        ipProtocol: "tcp",
        fromPort: up.port,
        toPort: up.port,
        cidrIpv4: up.cidr,
      });
    }

    // --- target group and listener on the shared NLB ----------------------------------------
    this.nlb = shared.nlb;
    this.vpcLink = shared.vpcLink;
    this.targetGroup = new LbTargetGroup(this, "targets", {
      name: props.targetGroupName,
      targetType: "ip",
      protocol: "TCP",
      port: trafficPort,
      vpcId: network.vpcId,
      // Long enough for Envoy to close every connection it had when deregistration began
      // (max_connection_duration + route timeout; FarcarDrainTiming, checked in resolveFarcarDrain):
      // ECS sends SIGTERM only after this, and the NLB resets what is still open at its end.
      deregistrationDelay: String(envoy.deregistrationDelaySec),
      connectionTermination: true,
      healthCheck: {
        enabled: true,
        protocol: "HTTP",
        port: String(healthPort),
        path: HEALTH_CHECK_PATH,
        matcher: "200",
        interval: 10,
        timeout: 5,
        healthyThreshold: 2,
        unhealthyThreshold: 2,
      },
    });
    // The listener's port is the service's slot on the shared NLB (config/lock.ts); it forwards to
    // this service's target group only, whose targets are the tasks on the container port.
    this.listener = new LbListener(this, "listener", {
      loadBalancerArn: this.nlb.arn,
      port: props.listenerPort,
      protocol: "TCP",
      defaultAction: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
    });
    this.backendBaseUrl = `http://${this.nlb.dnsName}:${props.listenerPort}`;

    // --- logs and roles -------------------------------------------------------------------------
    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/farcar/${props.name}`,
      retentionInDays: props.logRetentionDays,
    });
    const trust = renderPolicy(ecsTasksTrustPolicy(props.partition, props.region, props.accountId));
    this.executionRole = new IamRole(this, "execution-role", {
      name: limitedName([props.name, "exec"], 64),
      description: `ECS agent for ${props.name}: pull images, write logs, inject the trust bundle`,
      assumeRolePolicy: trust,
    });
    new IamRolePolicy(this, "execution-policy", {
      role: this.executionRole.name,
      name: "farcar-execution",
      policy: renderPolicy(
        farcarExecutionPolicy({
          repositoryArns: props.repositoryArns,
          logGroupArn: this.logGroup.arn,
          secretArns: (props.sidecar?.secrets ?? []).map((s) => s.valueFrom),
        }),
      ),
    });
    this.taskRole = new IamRole(this, "task-role", {
      name: limitedName([props.name, "task"], 64),
      description: `Identity of the ${props.name} task: obtain its own SVID only`,
      assumeRolePolicy: trust,
    });
    if (props.taskPolicy) {
      new IamRolePolicy(this, "task-policy", {
        role: this.taskRole.name,
        name: "farcar-identity",
        policy: renderPolicy(props.taskPolicy),
      });
    }

    // --- task definition and service -----------------------------------------------------------
    const logConfiguration = (prefix: string) => ({
      logDriver: "awslogs",
      options: { "awslogs-group": this.logGroup.name, "awslogs-region": props.region, "awslogs-stream-prefix": prefix },
    });
    const sidecar = props.sidecar && {
      name: SIDECAR_CONTAINER_NAME,
      image: props.identityImage,
      essential: true,
      user: envoy.user,
      readonlyRootFilesystem: true,
      environment: props.sidecar.environment,
      secrets: props.sidecar.secrets,
      healthCheck: sidecarHealthCheck(),
      mountPoints: [{ sourceVolume: IDENTITY_VOLUME, containerPath: IDENTITY_DIR, readOnly: false }],
      logConfiguration: logConfiguration("identity"),
    };
    const envoyContainer = {
      name: ENVOY_CONTAINER_NAME,
      image: props.envoyImage,
      essential: true,
      user: envoy.user,
      readonlyRootFilesystem: true,
      command: [...envoy.command],
      environment: [...envoy.environment, ...(props.envoyEnvironment ?? [])],
      portMappings: envoy.portMappings.map((p) => ({ containerPort: p.containerPort, protocol: p.protocol, name: p.name })),
      stopTimeout: envoy.stopTimeoutSec,
      ...(sidecar
        ? {
            dependsOn: [{ containerName: SIDECAR_CONTAINER_NAME, condition: "HEALTHY" }],
            mountPoints: [{ sourceVolume: IDENTITY_VOLUME, containerPath: IDENTITY_DIR, readOnly: true }],
          }
        : {}),
      ulimits: [{ name: "nofile", softLimit: 65536, hardLimit: 65536 }],
      logConfiguration: logConfiguration("envoy"),
    };
    const containers = sidecar ? [sidecar, envoyContainer] : [envoyContainer];
    this.taskDefinition = new EcsTaskDefinition(this, "task", {
      family: props.name,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: numberArg(props.cpu),
      memory: numberArg(props.memoryMiB),
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: props.cpuArchitecture ?? "X86_64" },
      executionRoleArn: this.executionRole.arn,
      taskRoleArn: this.taskRole.arn,
      volume: sidecar ? [{ name: IDENTITY_VOLUME }] : undefined,
      containerDefinitions: JSON.stringify(containers),
      // cpu and memory must be a Fargate task size together (task_cpu / task_memory_mib can be set
      // at deploy time): https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
      lifecycle: {
        precondition: [
          {
            condition: Fn.contains(Fn.lookup(fargateMemoryChoices(), Fn.tostring(props.cpu), []), props.memoryMiB),
            errorMessage: "task_memory_mib is not a Fargate memory size for task_cpu (256: 512-2048; 512: 1024-4096; 1024: 2048-8192; 2048: 4096-16384; 4096: 8192-30720 MiB).",
          },
        ],
      },
    });
    this.service = new EcsService(this, "service", {
      name: props.name,
      cluster: props.clusterArn,
      taskDefinition: this.taskDefinition.arn,
      launchType: "FARGATE",
      platformVersion: "LATEST",
      desiredCount: props.desiredCount,
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      availabilityZoneRebalancing: "ENABLED",
      healthCheckGracePeriodSeconds: 60,
      propagateTags: "SERVICE",
      enableEcsManagedTags: true,
      enableExecuteCommand: false,
      networkConfiguration: {
        subnets: [...network.subnetIds],
        securityGroups: [this.taskSecurityGroup.id, shared.membersSecurityGroup.id],
        assignPublicIp: false,
      },
      loadBalancer: [{ targetGroupArn: this.targetGroup.arn, containerName: ENVOY_CONTAINER_NAME, containerPort: trafficPort }],
      dependsOn: [this.listener],
    });
  }
}
