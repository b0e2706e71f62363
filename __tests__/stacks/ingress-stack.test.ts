/**
 * The inbound path of one environment: private API → VPC link → NLB → Fargate Farcar.
 */
import { AnnotationMetadataEntryType, Testing } from "cdktf";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { DEFAULT_DRAIN_TIMING, targetPathPrefix } from "../../envoy/bootstrap";
import { sharedNlbName, targetGroupName } from "../../config/names";
import { HTTP_METHODS } from "../../modules/private-api/resource-policy";
import { BASE_FLEET, fleetWith } from "../config/fleet-fixture";
import { fleetFromYaml, synthFleet, synthFleetFile } from "../support/synth";
import "../support/cdktf-matchers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const example = synthFleetFile();
const STACK = "afterpay-production-ingress";
const tf = example.json(STACK);
const synthText = Testing.synth(example.stacks.ingress.find((s) => s.node.id === STACK)!);
const resources = (type: string): Record<string, Json> => tf.resource[type] ?? {};
const env = example.fleet.environments.find((e) => e.key === "afterpay-production")!;
/** Terraform reference to the one resource of `type` whose construct path contains `part`. */
const ref = (type: string, part: string, attr: string): string => {
  const ids = Object.keys(resources(type)).filter((id) => id.includes(part));
  expect(ids).toHaveLength(1);
  return `\${${type}.${ids[0]}.${attr}}`;
};
const ENDPOINT_ID = () => ref("aws_vpc_endpoint", "execute-api-endpoint", "id");
/** The API of `service` (one per service, construct ID `api-<service>`). */
const API = (attr: string, service = "checkout") => ref("aws_api_gateway_rest_api", `api-${service}_`, attr);
const ingressStack = example.stacks.ingress.find((s) => s.node.id === STACK)!;
/** The resource policy document of `service`'s API. */
const policyOf = (json: Json, service: string): Json => {
  const ids = Object.keys(json.resource.aws_api_gateway_rest_api_policy).filter((id) => id.startsWith(`api-${service}_policy_`));
  expect(ids).toHaveLength(1);
  return JSON.parse(json.resource.aws_api_gateway_rest_api_policy[ids[0]].policy);
};

describe("private REST API", () => {
  test("is PRIVATE and bound to this environment's execute-api endpoint", () => {
    expect(synthText).toHaveResourceWithProperties(ApiGatewayRestApi, {
      endpoint_configuration: { types: ["PRIVATE"], vpc_endpoint_ids: [ENDPOINT_ID()] },
    });
  });

  test("has /X/Z and /X/Z/{proxy+} exactly for the targets X may call, and nothing else", () => {
    const paths = Object.values(resources("aws_api_gateway_resource")).map((r) => r.path_part);
    const expected = env.inbound.flatMap((s) => [s.name, ...s.targets.flatMap((t) => [t.name, "{proxy+}"])]);
    expect(paths.sort()).toEqual(expected.sort());
    // checkout may call payments and ledger, not identity or risk
    const ids = Object.keys(resources("aws_api_gateway_resource"));
    expect(ids.filter((id) => id.includes("r-checkout-")).sort()).toEqual(
      expect.arrayContaining([expect.stringContaining("r-checkout-payments"), expect.stringContaining("r-checkout-ledger")]),
    );
    expect(ids.some((id) => id.includes("r-checkout-identity") || id.includes("r-checkout-risk"))).toBe(false);
  });

  test("every method is ANY with AWS_IAM authorization", () => {
    const methods = Object.values(resources("aws_api_gateway_method"));
    expect(methods.length).toBe(env.inbound.reduce((n, s) => n + 2 * s.targets.length, 0));
    for (const m of methods) {
      expect(m.authorization).toBe("AWS_IAM");
      expect(m.http_method).toBe("ANY");
    }
  });

  test("every integration strips /X and carries the target in the path API Gateway writes, not in a header", () => {
    const integrations = Object.entries(resources("aws_api_gateway_integration"));
    expect(integrations.length).toBe(Object.keys(resources("aws_api_gateway_method")).length);
    for (const [id, integ] of integrations) {
      expect(integ.type).toBe("HTTP_PROXY");
      expect(integ.connection_type).toBe("VPC_LINK");
      const [, owner, service, target, proxy] = id.match(/^api-([a-z0-9-]+)_m-([a-z0-9-]+?)-(payments|ledger|identity|risk)(-proxy)?-integration/) ?? [];
      expect(service).toBeDefined();
      // Each API carries its own service's routes only.
      expect(owner).toBe(service);
      // The integration goes to the service's slot: its shared NLB and its listener port (the lock).
      const slot = ingressStack.slots.services[service];
      const nlb = String.raw`\$\{aws_lb\.nlb-${slot.nlb}_nlb_[A-F0-9]+\.dns_name\}:${slot.port}`;
      // No header carries the target: a caller could add a second value to it.
      expect(Object.keys(integ.request_parameters ?? {})).toEqual(proxy ? ["integration.request.path.proxy"] : []);
      if (proxy) {
        expect(integ.uri).toMatch(new RegExp(`^http://${nlb}${targetPathPrefix(target)}\\{proxy\\}$`));
        expect(integ.request_parameters["integration.request.path.proxy"]).toBe("method.request.path.proxy");
      } else {
        expect(integ.uri).toMatch(new RegExp(`^http://${nlb}${targetPathPrefix(target)}$`));
      }
      // The VPC link of the service's NLB.
      expect(integ.connection_id).toContain(`nlb-${slot.nlb}_vpc-link`);
    }
  });

  test("each service has its own API, whose resource policy has one Allow naming exactly its roles and paths", () => {
    expect(Object.keys(resources("aws_api_gateway_rest_api_policy"))).toHaveLength(env.inbound.length);
    for (const svc of env.inbound) {
      const allows = policyOf(tf, svc.name).Statement.filter((s: Json) => s.Effect === "Allow");
      expect(allows).toHaveLength(1);
      expect(allows[0].Principal.AWS).toEqual(svc.roleArns);
      expect(allows[0].Resource).toEqual(HTTP_METHODS.map((m) => `${API("execution_arn", svc.name)}/production/${m}/${svc.name}/*`));
    }
  });

  test("the resource policy denies other endpoints and the proxy account's own principals", () => {
    const policy = policyOf(tf, "checkout");
    const sid = (s: string) => policy.Statement.find((st: Json) => st.Sid === s);
    expect(sid("DenyOutsideEnvironmentEndpoint")).toMatchObject({
      Effect: "Deny",
      Principal: "*",
      Condition: { StringNotEquals: { "aws:SourceVpce": ENDPOINT_ID() } },
    });
    expect(sid("DenyProxyAccountPrincipals")).toMatchObject({
      Effect: "Deny",
      Condition: { StringEquals: { "aws:PrincipalAccount": "${data.terraform_remote_state.org-state.outputs.account_id_afterpay_production}" } },
    });
  });

  test("a deployment is re-triggered by a change of routes, integrations or policy", () => {
    const deployment = (yaml: string, service = "disputes") =>
      Object.entries<Json>(synthFleet(fleetFromYaml(yaml)).json("afterpay-staging-ingress").resource.aws_api_gateway_deployment).find(([id]) =>
        id.startsWith(`api-${service}_`),
      )![1];
    const a = deployment(BASE_FLEET);
    expect(a.triggers.policy).toMatch(/^\$\{sha1\(aws_api_gateway_rest_api_policy\.api-disputes_policy_[A-F0-9]+\.policy\)\}$/);
    expect(a.triggers.integrations).toMatch(/^\$\{sha1\(jsonencode\(\[\[aws_api_gateway_integration\./);
    expect(a.lifecycle.create_before_destroy).toBe(true);
    const b = deployment(fleetWith(["targets: [ledger]", "targets: [ledger, payments]"]));
    expect(b.triggers.routes).not.toEqual(a.triggers.routes);
    // Another service's routes changing leaves this API's deployment alone.
    expect(deployment(fleetWith(["targets: [ledger]", "targets: [ledger, payments]"]), "checkout")).toEqual(deployment(BASE_FLEET, "checkout"));
  });

  test("the stage writes JSON access logs, has metrics and throttling", () => {
    const stage = Object.values(resources("aws_api_gateway_stage"))[0];
    expect(stage.stage_name).toBe("production");
    expect(JSON.parse(stage.access_log_settings.format)).toMatchObject({ userArn: "$context.identity.userArn", vpceId: "$context.identity.vpceId" });
    const settings = Object.values(resources("aws_api_gateway_method_settings"))[0].settings;
    expect(settings).toMatchObject({ metrics_enabled: true, throttling_rate_limit: 500, throttling_burst_limit: 1000 });
    expect(resources("aws_api_gateway_account")).not.toEqual({});
  });

  test.each([STACK, "afterpay-production-egress"])(
    "%s: stage and method settings wait for the account's CloudWatch role and the pre-created execution log group",
    (stack) => {
      const json = example.json(stack);
      const of = (type: string): [string, Json][] => Object.entries(json.resource[type] ?? {});
      const [[accountId, account]] = of("aws_api_gateway_account");
      const [[attachmentId]] = of("aws_iam_role_policy_attachment").filter(([id]) => id.startsWith("api-logging"));
      // The account setting is made once its role may write logs (API Gateway checks the role).
      expect(account.depends_on).toEqual([`aws_iam_role_policy_attachment.${attachmentId}`]);
      const stageName = stack.split("-")[1];
      const apis = of("aws_api_gateway_rest_api");
      const groups = of("aws_cloudwatch_log_group").filter(([, g]) => String(g.name).startsWith("API-Gateway-Execution-Logs_"));
      expect(groups).toHaveLength(apis.length);
      for (const [apiId] of apis) {
        const service = apiId.replace(/_api_[A-F0-9]+$/, "");
        const [[groupId, group]] = groups.filter(([id]) => id.startsWith(`${service}_`));
        expect(group.name).toBe(`API-Gateway-Execution-Logs_\${aws_api_gateway_rest_api.${apiId}.id}/${stageName}`);
        expect(group.retention_in_days).toBe("${var.log_retention_days}");
        const [[, stage]] = of("aws_api_gateway_stage").filter(([id]) => id.startsWith(`${service}_`));
        const [[, settings]] = of("aws_api_gateway_method_settings").filter(([id]) => id.startsWith(`${service}_`));
        for (const r of [stage, settings]) {
          expect(r.depends_on).toEqual(
            expect.arrayContaining([`aws_api_gateway_account.${accountId}`, `aws_cloudwatch_log_group.${groupId}`]),
          );
        }
        // Logging is what needs the role: the method settings turn execution logs on.
        expect(settings.settings.logging_level).toBe("ERROR");
      }
    },
  );
});

describe("methods", () => {
  test("a service narrowed to some methods is allowed those methods only, on both sides", () => {
    const tidal = example.json("tidal-production-ingress");
    const royalties = policyOf(tidal, "royalties").Statement.find((s: Json) => s.Sid === "InvokeRoyalties");
    expect(royalties.Resource.map((r: string) => r.split("/").slice(-3, -2)[0])).toEqual(["GET", "POST"]);
    const payouts = policyOf(tidal, "payouts").Statement.find((s: Json) => s.Sid === "InvokePayouts");
    expect(payouts.Resource).toHaveLength(HTTP_METHODS.length);
    const caller = JSON.parse(tidal.output.caller_identity_policies.value.royalties);
    expect(caller.Statement[0].Resource).toEqual(royalties.Resource);
  });
});

describe("network", () => {
  test("the proxy VPC has private subnets only and no internet gateway or NAT", () => {
    expect(tf.resource.aws_internet_gateway).toBeUndefined();
    expect(tf.resource.aws_nat_gateway).toBeUndefined();
    expect(tf.resource.aws_eip).toBeUndefined();
    for (const subnet of Object.values(resources("aws_subnet"))) expect(subnet.map_public_ip_on_launch).toBe(false);
  });

  test("has the interface endpoints a Farcar needs, the S3 gateway endpoint and the route to the mesh", () => {
    const services = Object.values(resources("aws_vpc_endpoint")).map((e) => e.service_name.replace("com.amazonaws.us-east-1.", ""));
    expect(services.sort()).toEqual(["ecr.api", "ecr.dkr", "execute-api", "lambda", "logs", "s3", "secretsmanager", "sts"]);
    const routes = Object.entries(resources("aws_route")).map(([id, r]) => [id.split("_")[0], r.destination_cidr_block, r.transit_gateway_id]);
    expect(routes.sort()).toEqual([
      // back to the acquisition's callers, from the execute-api endpoint VPC
      ["acquisition-network", "10.201.0.0/16", "tgw-0f1e2d3c4b5a69788"],
      // to the mesh, from the proxy VPC
      ["proxy-network", "10.0.0.0/12", "tgw-0a1b2c3d4e5f60718"],
    ]);
  });

  test("the endpoint VPC is attached to the callers' transit gateway and routes their CIDRs there, from its own route table", () => {
    const attachments = Object.entries(resources("aws_ec2_transit_gateway_vpc_attachment"));
    const caller = attachments.filter(([id]) => id.startsWith("acquisition-network"));
    expect(caller).toHaveLength(1);
    expect(caller[0][1]).toMatchObject({ transit_gateway_id: "tgw-0f1e2d3c4b5a69788", vpc_id: ref("aws_vpc", "acquisition-network", "id") });
    const table = ref("aws_route_table", "acquisition-network", "id");
    const associations = Object.entries(resources("aws_route_table_association")).filter(([id]) => id.startsWith("acquisition-network"));
    expect(associations).toHaveLength(env.network.availabilityZones.length);
    for (const [, a] of associations) expect(a.route_table_id).toBe(table);
    const route = Object.entries(resources("aws_route")).find(([id]) => id.startsWith("acquisition-network"))![1];
    expect(route.route_table_id).toBe(table);
    expect(route.depends_on).toEqual([`aws_ec2_transit_gateway_vpc_attachment.${caller[0][0]}`]);
  });

  test("outputs the caller and proxy VPC and route table IDs (what the network owners connect)", () => {
    expect(tf.output.caller_vpc_id.value).toBe(ref("aws_vpc", "acquisition-network", "id"));
    expect(tf.output.caller_route_table_ids.value).toEqual([ref("aws_route_table", "acquisition-network", "id")]);
    expect(tf.output.proxy_vpc_id.value).toBe(ref("aws_vpc", "proxy-network", "id"));
    expect(tf.output.proxy_route_table_ids.value).toEqual([ref("aws_route_table", "proxy-network", "id")]);
    for (const name of ["caller_vpc_id", "caller_route_table_ids", "proxy_vpc_id", "proxy_route_table_ids"]) {
      expect(tf.output[name].description.length).toBeGreaterThan(20);
    }
  });

  test("associates the mesh's private DNS (mesh.dns) with the proxy VPC", () => {
    expect(Object.values(resources("aws_route53_resolver_rule_association"))).toEqual([
      expect.objectContaining({ resolver_rule_id: "rslvr-rr-0a1b2c3d4e5f60718", vpc_id: ref("aws_vpc", "proxy-network", "id") }),
    ]);
    expect(resources("aws_route53_zone_association")).toEqual({});
  });

  test("Farcars may connect only to the mesh CIDRs, on the target ports (never 0.0.0.0/0)", () => {
    const upstream = Object.values(resources("aws_vpc_security_group_egress_rule")).filter((r) => String(r.description).startsWith("Upstream"));
    expect(upstream.length).toBeGreaterThan(0);
    for (const r of upstream) expect([r.cidr_ipv4, r.from_port]).toEqual(["10.0.0.0/12", 8443]);
    for (const r of Object.values(resources("aws_vpc_security_group_egress_rule"))) expect(r.cidr_ipv4).not.toBe("0.0.0.0/0");
  });

  test("the proxy VPC's endpoints carry only this account's principals (no exfiltration with foreign credentials)", () => {
    const endpoints = Object.values(resources("aws_vpc_endpoint")).filter((e) => !e.service_name.endsWith("execute-api"));
    expect(endpoints).toHaveLength(7);
    const thisAccount = {
      Sid: "OnlyThisAccountsPrincipals",
      Effect: "Allow",
      Principal: "*",
      Action: "*",
      Resource: "*",
      Condition: { StringEquals: { "aws:PrincipalAccount": "${data.terraform_remote_state.org-state.outputs.account_id_afterpay_production}" } },
    };
    for (const e of endpoints.filter((e) => !e.service_name.endsWith(".s3"))) {
      expect(JSON.parse(e.policy).Statement).toEqual([thisAccount]);
    }
  });

  test("the S3 gateway endpoint also lets ECR image layers through: GetObject on the region's layer bucket, nothing more", () => {
    // ECR serves layers from an AWS-owned bucket with URLs presigned by an AWS account: without
    // this statement Fargate fails every pull with CannotPullContainerError.
    const s3 = Object.values(resources("aws_vpc_endpoint")).filter((e) => e.service_name === "com.amazonaws.us-east-1.s3");
    expect(s3).toHaveLength(1);
    const statements = JSON.parse(s3[0].policy).Statement;
    expect(statements).toHaveLength(2);
    expect(statements[0].Sid).toBe("OnlyThisAccountsPrincipals");
    expect(statements[1]).toEqual({
      Sid: "EcrImageLayers",
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*",
    });
  });

  test("the execute-api endpoint has private DNS and admits 443 only from the acquisition CIDRs", () => {
    expect(synthText).toHaveResourceWithProperties(VpcEndpoint, { service_name: "com.amazonaws.us-east-1.execute-api", private_dns_enabled: true });
    const rules = Object.values(resources("aws_vpc_security_group_ingress_rule")).filter((r) =>
      String(r.security_group_id).includes("acquisition-network"),
    );
    expect(rules.map((r) => [r.cidr_ipv4, r.from_port, r.to_port])).toEqual([["10.201.0.0/16", 443, 443]]);
  });

  test("the endpoint policy allows invoking this proxy account's APIs only, with the callers' accounts' credentials only", () => {
    const policy = JSON.parse(Object.values(resources("aws_vpc_endpoint_policy"))[0].policy);
    const callerAccounts = [...new Set(env.inbound.flatMap((s) => s.roleArns.map((a) => a.split(":")[4])))].sort();
    expect(callerAccounts.length).toBeGreaterThan(0);
    expect(policy.Statement).toEqual([
      {
        Sid: "InvokeThisEnvironmentsApiOnly",
        Effect: "Allow",
        Principal: "*",
        Action: "execute-api:Invoke",
        Resource: "arn:aws:execute-api:us-east-1:${data.terraform_remote_state.org-state.outputs.account_id_afterpay_production}:*/*",
        Condition: { StringEquals: { "aws:PrincipalAccount": callerAccounts } },
      },
    ]);
  });

  test("no security group rule admits 0.0.0.0/0 or ::/0", () => {
    for (const rule of Object.values(resources("aws_vpc_security_group_ingress_rule"))) {
      expect(rule.cidr_ipv4).not.toBe("0.0.0.0/0");
      expect(rule.cidr_ipv6).toBeUndefined();
    }
    expect(tf.resource.aws_security_group_rule).toBeUndefined();
    for (const sg of Object.values(resources("aws_security_group"))) expect(sg.ingress).toBeUndefined();
  });
});

describe("connectivity settings (mesh.routing, mesh.dns, network.callerRouting)", () => {
  const synthBase = (...edits: [string, string][]) => {
    const synth = synthFleet(fleetFromYaml(edits.length ? fleetWith(...edits) : BASE_FLEET));
    const stack = synth.stacks.ingress[0];
    return {
      json: synth.json("afterpay-staging-ingress"),
      warnings: stack.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => String(m.data)),
    };
  };
  const base = synthBase();

  test("warns, in one line each, when the endpoint VPC has no route to the callers and mesh names have no DNS", () => {
    expect(base.warnings).toEqual([
      "afterpay-staging-ingress: the execute-api endpoint VPC (10.65.0.0/22) has no route to network.acquisitionCallerCidrs (10.200.0.0/16): " +
        "set network.callerRouting.transitGatewayId, or connect it yourself (outputs caller_vpc_id, caller_route_table_ids)",
      "afterpay-staging-ingress: ledger.mesh.internal, payments.mesh.internal are DNS names and mesh.dns is not set: the proxy VPC resolves only " +
        "public names (and zones associated outside Farcar); set mesh.dns.resolverRuleIds or .hostedZoneIds (help/fleet-file.md)",
    ]);
    for (const w of base.warnings) expect(w).not.toContain("\n");
    // Without callerRouting there is no attachment or route in the endpoint VPC, but its route table is there (and output).
    expect(Object.keys(base.json.resource.aws_ec2_transit_gateway_vpc_attachment).every((id) => id.startsWith("proxy-network"))).toBe(true);
    expect(base.json.output.caller_route_table_ids.value).toHaveLength(1);
  });

  test("no warning when the callers are routed and the mesh names have DNS (or are IP addresses)", () => {
    const configured = synthBase(
      ["acquisitionCallerCidrs: [10.200.0.0/16]", "acquisitionCallerCidrs: [10.200.0.0/16]\n          callerRouting: { transitGatewayId: tgw-0f1e2d3c4b5a69788 }"],
      ["  services:", "  dns: { hostedZoneIds: [Z0123456789MESH] }\n  services:"],
    );
    expect(configured.warnings).toEqual([]);
    const ips = synthBase(
      ["acquisitionCallerCidrs: [10.200.0.0/16]", "acquisitionCallerCidrs: [10.200.0.0/16]\n          callerRouting: { transitGatewayId: tgw-0f1e2d3c4b5a69788 }"],
      ["payments.mesh.internal:8443", "10.1.2.3:8443"],
      ["ledger.mesh.internal:8443", "10.1.2.4:8443"],
    );
    expect(ips.warnings).toEqual([]);
  });

  test("a private hosted zone is associated with the proxy VPC in the fleet region", () => {
    const { json } = synthBase(["  services:", "  dns: { hostedZoneIds: [Z0123456789MESH, Z0123456789OTHER] }\n  services:"]);
    const zones = Object.values<Json>(json.resource.aws_route53_zone_association);
    expect(zones.map((z) => [z.zone_id, z.vpc_region])).toEqual([
      ["Z0123456789MESH", "us-east-1"],
      ["Z0123456789OTHER", "us-east-1"],
    ]);
    for (const z of zones) expect(z.vpc_id).toMatch(/^\$\{aws_vpc\.proxy-network_vpc_[A-F0-9]+\.id\}$/);
  });

  test("routing without a transit gateway: no attachment and no route, Farcars still limited to the mesh CIDRs", () => {
    const { json } = synthBase(["routing: { transitGatewayId: tgw-0a1b2c3d4e5f60718, cidrs: [10.0.0.0/12] }", "routing: { cidrs: [10.0.0.0/12] }"]);
    expect(json.resource.aws_ec2_transit_gateway_vpc_attachment).toBeUndefined();
    expect(json.resource.aws_route).toBeUndefined();
    const upstream = Object.values<Json>(json.resource.aws_vpc_security_group_egress_rule).filter((r) => String(r.description).startsWith("Upstream"));
    expect(upstream.map((r) => r.cidr_ipv4)).toEqual(expect.arrayContaining(["10.0.0.0/12"]));
    expect(upstream.every((r) => r.cidr_ipv4 === "10.0.0.0/12")).toBe(true);
  });
});

describe("Farcar per inbound service", () => {
  test("a slot on an internal cross-zone shared NLB with a security group that admits nothing", () => {
    expect(synthText).toHaveResourceWithProperties(Lb, {
      name: sharedNlbName("ingress", "afterpay", "production", 0),
      load_balancer_type: "network",
      internal: true,
      enable_cross_zone_load_balancing: true,
      enforce_security_group_inbound_rules_on_private_link_traffic: "off",
    });
    const nlbSgIngress = Object.values(resources("aws_vpc_security_group_ingress_rule")).filter((r) => String(r.security_group_id).includes("_nlb-sg_"));
    expect(nlbSgIngress).toEqual([]);
  });

  test("the tasks admit only their own NLB's security group (through its members group), on the traffic and health ports", () => {
    const ingress = Object.values(resources("aws_vpc_security_group_ingress_rule"));
    // The task's own group admits nothing; the members group of its NLB admits that NLB only.
    expect(ingress.filter((r) => String(r.security_group_id).includes("farcar-checkout_task-sg"))).toEqual([]);
    const slot = ingressStack.slots.services.checkout;
    const nlbSg = ref("aws_security_group", `nlb-${slot.nlb}_nlb-sg`, "id");
    const members = ref("aws_security_group", `nlb-${slot.nlb}_members-sg`, "id");
    const admitted = ingress.filter((r) => r.security_group_id === members);
    expect(admitted.map((r) => [r.from_port, r.to_port, r.referenced_security_group_id]).sort()).toEqual([
      [8080, 8080, nlbSg],
      [8081, 8081, nlbSg],
    ]);
    expect(admitted.every((r) => r.cidr_ipv4 === undefined)).toBe(true);
    // The NLB's group may send only to its members group, on the same ports.
    const egress = Object.values(resources("aws_vpc_security_group_egress_rule")).filter((r) => r.security_group_id === nlbSg);
    expect(egress.map((r) => [r.from_port, r.referenced_security_group_id]).sort()).toEqual([
      [8080, members],
      [8081, members],
    ]);
    const service = Object.values(resources("aws_ecs_service")).find((x) => x.name === "farcar-afterpay-production-in-checkout")!;
    expect(service.network_configuration.security_groups).toEqual([ref("aws_security_group", "farcar-checkout_task-sg", "id"), members]);
    // Its listener is on its slot's port of that NLB and forwards to its own target group only.
    const listener = Object.entries(resources("aws_lb_listener")).find(([id]) => id.startsWith("farcar-checkout_"))![1];
    expect(listener).toMatchObject({ port: slot.port, load_balancer_arn: ref("aws_lb", `nlb-${slot.nlb}_nlb`, "arn") });
    expect(listener.default_action).toEqual([{ type: "forward", target_group_arn: ref("aws_lb_target_group", "farcar-checkout_targets", "arn") }]);
  });

  test("the target group health-checks Envoy's health listener and waits for Envoy to close its connections", () => {
    const tg = Object.values(resources("aws_lb_target_group")).find((t) => t.name === targetGroupName("ingress", "afterpay", "production", "checkout"))!;
    expect(tg.name.length).toBeLessThanOrEqual(32);
    expect(tg).toMatchObject({ target_type: "ip", protocol: "TCP", port: 8080, deregistration_delay: String(DEFAULT_DRAIN_TIMING.deregistrationDelaySec) });
    expect(tg.connection_termination).toBe(true);
    // The Envoy container's stop timeout comes from the same drain plan (envoy/README.md, "Stopping").
    const task = Object.values(resources("aws_ecs_task_definition")).find((t) => t.family === "farcar-afterpay-production-in-checkout")!;
    const envoy = JSON.parse(task.container_definitions).find((c: Json) => c.name === "envoy");
    expect(envoy.stopTimeout).toBe(DEFAULT_DRAIN_TIMING.stopTimeoutSec);
    expect(envoy.command).toEqual(expect.arrayContaining(["--drain-time-s", String(DEFAULT_DRAIN_TIMING.drainTimeSec)]));
    expect(tg.health_check).toMatchObject({ protocol: "HTTP", port: "8081", path: "/healthz" });
  });

  test("a Fargate service with ≥ 2 tasks, circuit breaker with rollback, private subnets, no public IP", () => {
    expect(synthText).toHaveResourceWithProperties(EcsService, { name: "farcar-afterpay-production-in-checkout", desired_count: "${var.desired_count}" });
    expect(tf.variable.desired_count.default).toBe(3);
    const service = Object.values(resources("aws_ecs_service")).find((x) => x.name === "farcar-afterpay-production-in-checkout")!;
    expect(service).toMatchObject({
      launch_type: "FARGATE",
      deployment_circuit_breaker: { enable: true, rollback: true },
      network_configuration: { assign_public_ip: false },
    });
    expect(service.network_configuration.subnets).toHaveLength(3);
    expect(service.network_configuration.subnets.every((id: string) => id.includes("proxy-network_private-"))).toBe(true);
    expect(synthText).toHaveResourceWithProperties(EcsCluster, { setting: [{ name: "containerInsights", value: "enhanced" }] });
  });

  test("the task runs the identity sidecar first, then Envoy with the generated config", () => {
    const task = Object.values(resources("aws_ecs_task_definition")).find((t) => t.family === "farcar-afterpay-production-in-checkout")!;
    const containers = JSON.parse(task.container_definitions);
    expect(containers.map((c: Json) => c.name)).toEqual(["farcar-identity", "envoy"]);
    expect(containers[1].dependsOn).toEqual([{ containerName: "farcar-identity", condition: "HEALTHY" }]);
    expect(containers[1].portMappings.map((p: Json) => p.containerPort)).toEqual([8080, 8081]);
    expect(containers[0].environment).toEqual(
      expect.arrayContaining([{ name: "FARCAR_SPIFFE_ID", value: "spiffe://block.example/acquisition/afterpay/production/checkout" }]),
    );
    expect(task).toMatchObject({ cpu: "${var.task_cpu}", memory: "${var.task_memory_mib}", network_mode: "awsvpc", requires_compatibilities: ["FARGATE"] });
    expect([tf.variable.task_cpu.default, tf.variable.task_memory_mib.default]).toEqual([1024, 2048]);
    expect(containers[1].image).toMatch(/^\$\{local\.images_envoy_image_[A-F0-9]+\}$/);
  });

  test("log groups have the configured retention", () => {
    for (const lg of Object.values(resources("aws_cloudwatch_log_group"))) expect(lg.retention_in_days).toBe("${var.log_retention_days}");
    expect(tf.variable.log_retention_days.default).toBe(365);
  });
});

describe("outputs", () => {
  test("an invoke URL and a caller identity policy per inbound service", () => {
    for (const svc of env.inbound) {
      expect(tf.output.invoke_urls.value[svc.name]).toBe(
        `https://${API("id", svc.name)}-${ENDPOINT_ID()}.execute-api.us-east-1.amazonaws.com/production/${svc.name}/`,
      );
      expect(tf.output.rest_api_ids.value[svc.name]).toBe(API("id", svc.name));
    }
    const policy = JSON.parse(tf.output.caller_identity_policies.value.disputes);
    expect(policy.Statement[0]).toMatchObject({ Effect: "Allow", Action: "execute-api:Invoke" });
    expect(policy.Statement[0].Resource).toHaveLength(HTTP_METHODS.length);
    expect(policy.Statement[0].Resource.every((r: string) => r.endsWith("/production/" + r.split("/")[2] + "/disputes/*"))).toBe(true);
  });
});

describe("stability", () => {
  const base = synthFleet(fleetFromYaml(BASE_FLEET)).json("afterpay-staging-ingress");

  test("synthesizing the same fleet twice moves nothing", () => {
    expect(synthFleet(fleetFromYaml(BASE_FLEET)).json("afterpay-staging-ingress")).toEqual(base);
  });

  test("adding a service keeps every existing resource's address and configuration (only additions)", () => {
    const grown = synthFleet(
      fleetFromYaml(
        BASE_FLEET + "          refunds:\n            roleArns: [arn:aws:iam::333333333333:role/refunds-staging]\n            targets: [payments]\n",
      ),
    ).json("afterpay-staging-ingress");
    // With an API per service and NLBs shared by slot, nothing of another service changes; the
    // endpoint policy would change only for a caller account no service had (not the case here).
    const expectedChanges = new Set<string>();
    let added = 0;
    for (const [type, byId] of Object.entries<Record<string, Json>>(grown.resource)) {
      for (const [id, config] of Object.entries(byId)) {
        const before = base.resource[type]?.[id];
        if (!before) {
          added++;
          continue;
        }
        if (!expectedChanges.has(type)) expect({ [`${type}.${id}`]: config }).toEqual({ [`${type}.${id}`]: before });
      }
    }
    for (const [type, byId] of Object.entries<Record<string, Json>>(base.resource)) {
      for (const id of Object.keys(byId)) expect(grown.resource[type]?.[id]).toBeDefined();
    }
    expect(added).toBeGreaterThan(20);
    // The new service has its own API, policy and deployment.
    expect(Object.keys(grown.resource.aws_api_gateway_rest_api).filter((id) => !base.resource.aws_api_gateway_rest_api[id])).toEqual([
      expect.stringMatching(/^api-refunds_api_/),
    ]);
  });
});
