/**
 * `farcar doctor` against mocked AWS responses (aws-sdk-client-mock): what it looks for comes from
 * the synthesized stacks; each broken state gives a failing finding with its fix.
 */
import { ACMPCAClient, DescribeCertificateAuthorityCommand, ListCertificateAuthoritiesCommand, ListTagsCommand } from "@aws-sdk/client-acm-pca";
import { APIGatewayClient, GetRestApisCommand } from "@aws-sdk/client-api-gateway";
import { DescribeVpcEndpointsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { DescribeImagesCommand, ECRClient, ImageNotFoundException } from "@aws-sdk/client-ecr";
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient, ListTasksCommand } from "@aws-sdk/client-ecs";
import { DescribeTargetGroupsCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { ListPoliciesForTargetCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { mockClient } from "aws-sdk-client-mock";
import { loadFleet } from "../../config/load";
import { doctorPlan, formatFindings, parseEcrImage, runDoctor, type DoctorClients, type DoctorPlan } from "../../cli/doctor";
import { synthesizeFleet } from "../../verify";
import { EXAMPLE_FLEET } from "../support/synth";
import { farcar } from "./support";

const fleet = loadFleet(EXAMPLE_FLEET);
const env = fleet.environments.find((e) => e.key === "afterpay-staging")!;
let plan: DoctorPlan;
beforeAll(() => {
  plan = doctorPlan(fleet, env, synthesizeFleet(fleet));
});

const NOW = new Date("2026-11-29T12:00:00Z");
const STACK = "afterpay-staging-ingress";
const CA = "arn:aws:acm-pca:us-east-1:222222222222:certificate-authority/ca-1";
const IMAGE = "222222222222.dkr.ecr.us-east-1.amazonaws.com/farcar/envoy:1.39.0";
const EP = "vpce-0123456789abcdef0";

/**
 * The clients resolve different @smithy/types minors (client-ecs and client-ecr lag the others on
 * the registry), which aws-sdk-client-mock's generics reject at compile time; the mocks behave the same.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const mock = (client: unknown): any => mockClient(client as any);

function healthyAccount() {
  const pca = mock(ACMPCAClient);
  pca.on(ListCertificateAuthoritiesCommand).resolves({ CertificateAuthorities: [{ Arn: CA, Status: "ACTIVE", NotAfter: new Date("2027-11-29T00:00:00Z") }] });
  pca.on(ListTagsCommand).resolves({ Tags: [{ Key: "farcar:stack", Value: STACK }] });
  const ecs = mock(ECSClient);
  ecs.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => ({
    services: input.services.map((n) => ({ serviceName: n, status: "ACTIVE", runningCount: 2, desiredCount: 2, taskDefinition: `td-${n}` })),
  }));
  ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { containerDefinitions: [{ name: "envoy", image: IMAGE }, { name: "identity", image: "public.ecr.aws/x/y:1" }] } });
  ecs.on(ListTasksCommand).resolves({ taskArns: ["t1", "t2"] });
  ecs.on(DescribeTasksCommand).resolves({ tasks: [{ healthStatus: "HEALTHY" }, { healthStatus: "HEALTHY" }] });
  const ecr = mock(ECRClient);
  ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageTags: ["1.39.0"] }] });
  const elbv2 = mock(ElasticLoadBalancingV2Client);
  elbv2.on(DescribeTargetGroupsCommand).callsFake((input: { Names: string[] }) => ({ TargetGroups: input.Names.map((n) => ({ TargetGroupName: n, TargetGroupArn: `arn:${n}` })) }));
  elbv2.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [{ TargetHealth: { State: "healthy" } }] });
  const ec2 = mock(EC2Client);
  ec2.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: [{ VpcEndpointId: EP, State: "available", PrivateDnsEnabled: true, DnsEntries: [{ DnsName: "x" }] }] });
  const apigw = mock(APIGatewayClient);
  // One API per service.
  apigw.on(GetRestApisCommand).resolves({
    items: ["checkout", "disputes"].map((s, i) => ({ id: `abc12${i}`, name: `farcar-${STACK}-${s}`, endpointConfiguration: { vpcEndpointIds: [EP] } })),
  });
  const org = mock(OrganizationsClient);
  org.on(ListPoliciesForTargetCommand).resolves({ Policies: [{ Name: "farcar-proxy-guardrails" }] });
  const clients: DoctorClients = {
    pca: new ACMPCAClient({ region: "us-east-1" }),
    ecr: new ECRClient({ region: "us-east-1" }),
    ecs: new ECSClient({ region: "us-east-1" }),
    elbv2: new ElasticLoadBalancingV2Client({ region: "us-east-1" }),
    ec2: new EC2Client({ region: "us-east-1" }),
    apigw: new APIGatewayClient({ region: "us-east-1" }),
    org: new OrganizationsClient({ region: "us-east-1" }),
  };
  return { pca, ecs, ecr, elbv2, ec2, apigw, org, clients };
}

afterEach(() => jest.restoreAllMocks());

describe("doctorPlan", () => {
  test("reads names from the synthesized stacks: cluster, services with their target groups, repositories, API, SCP", () => {
    const s = plan.stacks.find((x) => x.stack === STACK)!;
    expect(s.cluster).toBe("farcar-afterpay-staging-ingress");
    expect(s.services).toContainEqual({ name: "farcar-afterpay-staging-in-checkout", targetGroup: "fci-tg-afterpay-staging-checkout" });
    expect(s.repositories).toEqual(expect.arrayContaining(["farcar/envoy", "farcar/identity"]));
    expect(s.apiNames).toEqual(["farcar-afterpay-staging-ingress-checkout", "farcar-afterpay-staging-ingress-disputes"]);
    expect(s.createsCa).toBe(true);
    expect(plan.stacks.map((x) => x.stack)).toEqual([STACK, "afterpay-staging-egress"]);
    expect(plan.scp).toEqual({ name: "farcar-proxy-guardrails", targetId: "ou-ab12-proxies01" });
  });
});

describe("runDoctor", () => {
  test("a healthy environment: every check ok", async () => {
    const { clients, ecr, ec2 } = healthyAccount();
    const findings = await runDoctor({ ...plan, stacks: plan.stacks.slice(0, 1) }, clients, NOW);
    expect(findings.filter((f) => f.status !== "ok")).toEqual([]);
    expect(new Set(findings.map((f) => f.check))).toEqual(new Set(["ca", "tasks", "images", "targets", "endpoint", "scp"]));
    // only the stack's own ECR images are looked up; the endpoint is found by its farcar:stack tag
    expect(ecr.commandCalls(DescribeImagesCommand)[0].args[0].input).toEqual({ repositoryName: "farcar/envoy", imageIds: [{ imageTag: "1.39.0", imageDigest: undefined }] });
    expect(ecr.commandCalls(DescribeImagesCommand)).toHaveLength(1);
    expect(ec2.commandCalls(DescribeVpcEndpointsCommand)[0].args[0].input.Filters).toContainEqual({ Name: "tag:farcar:stack", Values: [STACK] });
  });

  test("a CA waiting for its certificate, and one about to expire", async () => {
    const { clients, pca } = healthyAccount();
    pca.on(ListCertificateAuthoritiesCommand).resolves({
      CertificateAuthorities: [
        { Arn: CA, Status: "PENDING_CERTIFICATE" },
        { Arn: `${CA}-2`, Status: "ACTIVE", NotAfter: new Date("2026-12-10T00:00:00Z") },
      ],
    });
    const f = (await runDoctor({ ...plan, stacks: plan.stacks.slice(0, 1) }, clients, NOW)).filter((x) => x.check === "ca");
    expect(f[0]).toMatchObject({ status: "fail", message: expect.stringContaining("PENDING_CERTIFICATE"), fix: expect.stringContaining("help/identity.md") });
    expect(f[1]).toMatchObject({ status: "warn", message: expect.stringContaining("expires in 10 days (2026-12-10)") });
  });

  test("a missing image, tasks not running, no healthy target, an API not associated with the endpoint, no SCP", async () => {
    const { clients, ecr, ecs, elbv2, apigw, org } = healthyAccount();
    ecr.on(DescribeImagesCommand).rejects(new ImageNotFoundException({ message: "not found", $metadata: {} }));
    ecs.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => ({
      services: input.services.map((n) => ({ serviceName: n, status: "ACTIVE", runningCount: 0, desiredCount: 2, taskDefinition: "td", events: [{ message: "unable to pull image" }] })),
    }));
    elbv2.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });
    apigw.on(GetRestApisCommand).resolves({
      items: [
        { id: "abc120", name: "farcar-afterpay-staging-ingress-checkout", endpointConfiguration: { vpcEndpointIds: [EP] } },
        { id: "abc121", name: "farcar-afterpay-staging-ingress-disputes", endpointConfiguration: { vpcEndpointIds: [] } },
      ],
    });
    org.on(ListPoliciesForTargetCommand).resolves({ Policies: [] });
    const findings = await runDoctor({ ...plan, stacks: plan.stacks.slice(0, 1) }, clients, NOW);
    const fail = (check: string) => findings.filter((f) => f.check === check && f.status === "fail");
    expect(fail("images")[0]).toMatchObject({ message: expect.stringContaining(`image ${IMAGE} is not in ECR`), fix: expect.stringContaining(`docker push ${IMAGE}`) });
    expect(fail("tasks")[0].message).toContain("runs 0 of 2 tasks; latest event: unable to pull image");
    expect(fail("targets")[0].message).toContain("no healthy target (no targets registered)");
    expect(fail("endpoint")[0].message).toContain(`is not associated with endpoint ${EP}`);
    expect(fail("scp")[0]).toMatchObject({ fix: "apply the org stack from the management account: npx cdktf deploy org" });
    expect(formatFindings(findings)).toMatch(/^FAIL \[images\] .*\n {7}fix: build and push it/m);
  });

  test("an undeployed stack says to deploy it; access denied says which access is missing", async () => {
    const { clients, ecs, pca } = healthyAccount();
    ecs.on(DescribeServicesCommand).rejects(Object.assign(new Error("Cluster not found."), { name: "ClusterNotFoundException" }));
    pca.on(ListCertificateAuthoritiesCommand).rejects(Object.assign(new Error("not authorized to perform acm-pca:ListCertificateAuthorities"), { name: "AccessDeniedException" }));
    const findings = await runDoctor({ ...plan, stacks: plan.stacks.slice(0, 1), scp: undefined }, clients, NOW);
    expect(findings.find((f) => f.check === "tasks")).toMatchObject({ status: "fail", fix: `deploy the stack: npx cdktf deploy ${STACK}` });
    expect(findings.find((f) => f.check === "ca")).toMatchObject({ status: "warn", fix: expect.stringContaining("read access to the proxy account") });
  });

  test("an adopted CA is checked by its ARN", async () => {
    const prod = fleet.environments.find((e) => e.key === "afterpay-production")!;
    const p = doctorPlan(fleet, prod, synthesizeFleet(fleet));
    const { clients, pca } = healthyAccount();
    pca.on(DescribeCertificateAuthorityCommand).resolves({ CertificateAuthority: { Arn: prod.identity.acquisitionCaArn, Status: "EXPIRED" } });
    const f = await runDoctor({ ...p, stacks: p.stacks.slice(0, 1), scp: undefined }, clients, NOW);
    expect(pca.commandCalls(DescribeCertificateAuthorityCommand)[0].args[0].input).toEqual({ CertificateAuthorityArn: prod.identity.acquisitionCaArn });
    expect(f.find((x) => x.check === "ca" && x.message.includes(prod.identity.acquisitionCaArn!))).toMatchObject({ status: "fail" });
  });
});

test("parseEcrImage: tag, digest, default tag, not ECR", () => {
  expect(parseEcrImage(IMAGE)).toEqual({ repositoryName: "farcar/envoy", imageTag: "1.39.0", imageDigest: undefined });
  expect(parseEcrImage(`222222222222.dkr.ecr.us-east-1.amazonaws.com/farcar/envoy@sha256:${"a".repeat(64)}`)).toEqual({ repositoryName: "farcar/envoy", imageTag: undefined, imageDigest: `sha256:${"a".repeat(64)}` });
  expect(parseEcrImage("222222222222.dkr.ecr.us-east-1.amazonaws.com/farcar/envoy")?.imageTag).toBe("latest");
  expect(parseEcrImage("envoyproxy/envoy:v1.39.0")).toBeUndefined();
});

describe("farcar doctor", () => {
  test("an environment the fleet does not have, or none, is a usage error before any AWS call", async () => {
    const r = await farcar(["doctor", EXAMPLE_FLEET, "--env", "afterpay-qa"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("no environment afterpay-qa; the fleet has afterpay-staging, afterpay-production, tidal-production");
    const none = await farcar(["doctor", EXAMPLE_FLEET]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain("required option '-e, --env <acquisition-environment>' not specified");
  });
});
