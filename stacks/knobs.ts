/**
 * Deploy-time knobs: Terraform variables every proxy stack declares, with the fleet file's values
 * as defaults. `cdktf deploy` uses the defaults; an HCP Terraform workspace or a module consumer
 * can override them without re-synthesizing. Names are part of the public contract: keep them.
 */
import { TerraformVariable, Token } from "cdktf";
import { Construct } from "constructs";
import type { FarcarSettings } from "../config/fleet";
import { fargateMemoryChoices } from "../config/checks";
import { CPU_ARCHITECTURES, FARGATE_CPU_UNITS, LOG_RETENTION_DAYS, listOr } from "../config/schema";


export interface FarcarKnobValues {
  /** Envoy image override; "" = the stack's own ECR repository. */
  readonly image: string;
  readonly identityImage: string;
  readonly cpu: number;
  readonly memoryMiB: number;
  /** X86_64 or ARM64. */
  readonly cpuArchitecture: string;
  readonly desiredCount: number;
  readonly logRetentionDays: number;
  readonly extraTags: Record<string, string>;
}

export class FarcarKnobs extends Construct {
  public readonly values: FarcarKnobValues;

  constructor(scope: Construct, id: string, settings: FarcarSettings) {
    super(scope, id);
    const variable = (name: string, config: ConstructorParameters<typeof TerraformVariable>[2]) => {
      const v = new TerraformVariable(this, name, config);
      v.overrideLogicalId(name);
      return v;
    };
    const image = variable("farcar_image", {
      type: "string",
      default: settings.image ?? "",
      description: "Envoy Farcar container image; empty = farcar/envoy in this account's ECR at the Farcar release tag",
    });
    const identityImage = variable("identity_image", {
      type: "string",
      default: settings.identityImage ?? "",
      description: "Identity sidecar container image; empty = farcar/identity in this account's ECR at the Farcar release tag",
    });
    const cpu = variable("task_cpu", {
      type: "number",
      default: settings.cpu,
      description: `Fargate CPU units per Farcar task (${listOr(FARGATE_CPU_UNITS)})`,
      validation: [{ condition: `\${contains(${JSON.stringify(FARGATE_CPU_UNITS)}, var.task_cpu)}`, errorMessage: `task_cpu must be ${listOr(FARGATE_CPU_UNITS)}.` }],
    });
    const memory = variable("task_memory_mib", {
      type: "number",
      default: settings.memoryMiB,
      description: "Memory (MiB) per Farcar task; must be a Fargate size for task_cpu",
      // A variable's validation may only refer to itself before Terraform 1.9 (modules declare
      // >= 1.5), so it checks the sizes Fargate has at all; the pairing with task_cpu is the task
      // definition's precondition (modules/farcar-service).
      validation: [
        {
          condition: `\${contains(${JSON.stringify([...new Set(Object.values(fargateMemoryChoices()).flat())].sort((a, b) => a - b))}, var.task_memory_mib)}`,
          errorMessage: "task_memory_mib must be a Fargate memory size: 512, or 1024 to 30720 in steps of 1024, matching task_cpu.",
        },
      ],
    });
    const architecture = variable("cpu_architecture", {
      type: "string",
      default: settings.cpuArchitecture,
      description: `CPU architecture of the Farcar tasks (${listOr(CPU_ARCHITECTURES)}); ARM64 needs multi-arch images (linux/amd64 and linux/arm64)`,
      validation: [
        { condition: `\${contains(${JSON.stringify(CPU_ARCHITECTURES)}, var.cpu_architecture)}`, errorMessage: `cpu_architecture must be ${listOr(CPU_ARCHITECTURES)}.` },
      ],
    });
    const count = variable("desired_count", {
      type: "number",
      default: settings.desiredCount,
      description: "Farcar tasks per service, spread over the availability zones (at least 2)",
      validation: [{ condition: "${var.desired_count >= 2}", errorMessage: "desired_count must be at least 2 so a Farcar survives the loss of one AZ." }],
    });
    const retention = variable("log_retention_days", {
      type: "number",
      default: settings.logRetentionDays,
      description: "CloudWatch Logs retention (days) for Farcar and API access logs",
      validation: [
        { condition: `\${contains(${JSON.stringify(LOG_RETENTION_DAYS)}, var.log_retention_days)}`, errorMessage: "log_retention_days must be a CloudWatch Logs retention value." },
      ],
    });
    const tags = variable("extra_tags", {
      type: "map(string)",
      default: {},
      description: "Tags added to every resource (fleet and farcar:* tags take precedence)",
    });
    this.values = {
      image: image.stringValue,
      identityImage: identityImage.stringValue,
      cpu: cpu.numberValue,
      memoryMiB: memory.numberValue,
      cpuArchitecture: architecture.stringValue,
      desiredCount: count.numberValue,
      logRetentionDays: retention.numberValue,
      extraTags: Token.asStringMap(tags.value),
    };
  }
}
