/**
 * task_memory_mib is validated, as help/modules.md says: the variable accepts only Fargate memory
 * sizes, and the task definition's precondition only a size that fits task_cpu. Both conditions
 * are evaluated by Terraform itself (`terraform console`), as synthesized.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { loadFleet } from "../../config/load";
import { synthesizeFleet } from "../../verify";
import { EXAMPLE_FLEET } from "../support/synth";
import { TERRAFORM, terraformEnv } from "../support/terraform";

const stack = synthesizeFleet(loadFleet(EXAMPLE_FLEET))["afterpay-staging-ingress"] as any; // eslint-disable-line @typescript-eslint/no-explicit-any
const precondition: string = (Object.values(stack.resource.aws_ecs_task_definition)[0] as any).lifecycle.precondition[0].condition; // eslint-disable-line @typescript-eslint/no-explicit-any
const validation: string = stack.variable.task_memory_mib.validation[0].condition;

function evaluate(condition: string, cpu: number, memory: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), "farcar-tfc-"));
  writeFileSync(path.join(dir, "main.tf"), `variable "task_cpu" { default = ${cpu} }\nvariable "task_memory_mib" { default = ${memory} }\n`);
  const expr = condition.replace(/^\$\{/, "").replace(/\}$/, "");
  return execFileSync(TERRAFORM, ["console"], { cwd: dir, input: expr, encoding: "utf8", env: terraformEnv() }).trim();
}

describe("task_memory_mib", () => {
  test.each([
    [512, 1024, "true"],
    [1024, 8192, "true"],
    [256, 512, "true"],
    [512, 512, "false"], // a Fargate size, but not for 512 CPU units
    [4096, 4096, "false"],
    [1024, 2500, "false"],
  ])("task definition precondition: cpu %i with %i MiB → %s", (cpu, memory, expected) => {
    expect(evaluate(precondition, cpu, memory)).toBe(expected);
  });

  test.each([
    [1024, "true"],
    [512, "true"],
    [1536, "false"],
    [40960, "false"],
  ])("variable validation: %i MiB → %s", (memory, expected) => {
    expect(evaluate(validation, 512, memory)).toBe(expected);
  });
});
