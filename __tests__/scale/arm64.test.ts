/**
 * Fargate on ARM64 (Graviton) as a knob: default X86_64; ARM64 needs multi-arch images, which the
 * Dockerfiles allow (no constant platform, a platform-neutral build stage).
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { costReport } from "../../scripts/cost";
import { BASE_FLEET } from "../config/fleet-fixture";
import { ARM_FLEET } from "../config/fleet-variants";
import { fleetFromYaml, fleetProblems, synthFleet } from "../support/synth";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const ROOT = path.resolve(__dirname, "../..");

const taskDefinitions = (tf: Json): Json[] => Object.values<Json>(tf.resource.aws_ecs_task_definition);

describe("farcar.cpuArchitecture", () => {
  test("defaults to X86_64 through the cpu_architecture variable", () => {
    const tf = synthFleet(fleetFromYaml(BASE_FLEET)).json("afterpay-staging-ingress");
    expect(tf.variable.cpu_architecture.default).toBe("X86_64");
    for (const td of taskDefinitions(tf)) {
      expect(td.runtime_platform).toEqual({ operating_system_family: "LINUX", cpu_architecture: "${var.cpu_architecture}" });
    }
  });

  test("ARM64 in the environment becomes the variable's default", () => {
    const fleet = fleetFromYaml(ARM_FLEET);
    expect(fleet.environments[0].farcar.cpuArchitecture).toBe("ARM64");
    expect(synthFleet(fleet).json("afterpay-staging-ingress").variable.cpu_architecture.default).toBe("ARM64");
  });

  test("a wrong value is a located error listing the allowed ones, and the only one", () => {
    expect(fleetProblems(ARM_FLEET.replace("ARM64", "arm64"))).toEqual([
      expect.stringMatching(/^inline\.yaml:\d+:\d+: acquisitions\.afterpay\.environments\.staging\.farcar\.cpuArchitecture: cpuArchitecture must be X86_64 or ARM64 \(uppercase\) \(got "arm64"\)$/),
    ]);
  });

  test("npm run cost prices ARM64 tasks at the Graviton rate (cheaper)", () => {
    const x86 = costReport(fleetFromYaml(BASE_FLEET)).stacks[0];
    const arm = costReport(fleetFromYaml(ARM_FLEET)).stacks[0];
    expect(arm.architecture).toBe("ARM64");
    expect(arm.farcar.tasks).toBeLessThan(x86.farcar.tasks * 0.85);
  });

  // Planned for real (ARM64 task definitions, the variable refusing "arm64"): terraform/variants.test.ts.
});

describe("images build for both architectures", () => {
  const dockerfiles = { envoy: "envoy/Dockerfile", sidecar: "envoy/sidecar/Dockerfile" };
  test.each(Object.entries(dockerfiles))("%s: no FROM pins a constant platform, no step names an architecture", (_name, file) => {
    const text = readFileSync(path.join(ROOT, file), "utf8");
    const code = text.split("\n").filter((l) => !l.trimStart().startsWith("#"));
    for (const line of code.filter((l) => /^FROM\s/i.test(l))) {
      const platform = /--platform=(\S+)/.exec(line)?.[1];
      if (platform) expect(platform).toBe("${BUILDPLATFORM}");
    }
    expect(code.join("\n")).not.toMatch(/amd64|x86_64|aarch64|arm64/i);
  });

  test("the sidecar's build stage (plain JavaScript) runs on the builder's platform; the runtime stage is per target", () => {
    const text = readFileSync(path.join(ROOT, dockerfiles.sidecar), "utf8");
    expect(text).toMatch(/^FROM --platform=\$\{BUILDPLATFORM\} \$\{NODE_IMAGE\} AS build$/m);
    expect(text).toMatch(/^FROM \$\{NODE_IMAGE\}$/m);
  });
});
