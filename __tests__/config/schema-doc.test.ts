/**
 * The published contract stays in step with the code: help/fleet.schema.json is what
 * config/schema.ts generates, the example fleet satisfies it, the defaults it advertises are the
 * ones the loader applies, and help/fleet-file.md documents every field it contains.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { parse } from "yaml";
import type { Fleet } from "../../config/fleet";
import { parseFleet } from "../../config/load";
import { FLEET_SCHEMA_FILE, fleetJsonSchema } from "../../scripts/fleet-schema";

const ROOT = path.resolve(__dirname, "../..");
const EXAMPLE_FLEET = path.join(ROOT, "examples/fleet.yaml");
const FLEET_DOC = path.join(ROOT, "help/fleet-file.md");

type Schema = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Every field path of a JSON Schema; `*` stands for a name chosen by the user (a map key). */
function fieldPaths(schema: Schema, prefix: string[] = []): string[] {
  const out: string[] = [];
  for (const [key, sub] of Object.entries<Schema>(schema.properties ?? {})) {
    out.push([...prefix, key].join("."), ...fieldPaths(sub, [...prefix, key]));
  }
  if (typeof schema.additionalProperties === "object") {
    out.push([...prefix, "*"].join("."), ...fieldPaths(schema.additionalProperties, [...prefix, "*"]));
  }
  if (typeof schema.items === "object") out.push(...fieldPaths(schema.items, prefix));
  for (const branch of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) out.push(...fieldPaths(branch, prefix));
  return [...new Set(out)];
}

/** The sub-schema at a field path. */
function schemaAt(schema: Schema, fieldPath: string): Schema {
  return fieldPath.split(".").reduce((s, seg) => (seg === "*" ? s.additionalProperties : s.properties[seg]), schema);
}

/** Inline code spans of a Markdown text (fenced blocks left out), `<name>` placeholders as `*`. */
function codeSpans(markdown: string): string[] {
  const prose = markdown.replace(/^[ \t]*```[\s\S]*?^[ \t]*```/gm, "");
  return [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1].replace(/<[A-Za-z-]+>/g, "*"));
}

function validator(): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats(ajv);
  return ajv.compile(fleetJsonSchema());
}

function exampleFleet(): Schema {
  return parse(readFileSync(EXAMPLE_FLEET, "utf8"));
}

describe("fleet JSON Schema (help/fleet.schema.json)", () => {
  test("is what config/schema.ts generates", () => {
    const onDisk = JSON.parse(readFileSync(FLEET_SCHEMA_FILE, "utf8"));
    try {
      expect(onDisk).toEqual(fleetJsonSchema());
    } catch (err) {
      throw new Error(
        `help/fleet.schema.json is stale: config/schema.ts changed. Run \`npm run schema\` and commit the result.\n\n${(err as Error).message}`,
      );
    }
  });

  test("is a valid draft-07 schema that keeps unknown fields and bad names out", () => {
    const schema = fleetJsonSchema();
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(schema).toMatchObject({ $id: expect.any(String), title: expect.any(String), additionalProperties: false });
    const env = schemaAt(schema, "acquisitions.*.environments.*");
    expect(env.additionalProperties).toBe(false);
    expect(schemaAt(schema, "acquisitions.*.environments.*.inbound").propertyNames).toEqual({
      type: "string",
      pattern: "^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$",
    });
    expect(() => validator()).not.toThrow();
  });

  test("accepts examples/fleet.yaml", () => {
    const validate = validator();
    const valid = validate(exampleFleet());
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  test.each<[string, (fleet: Schema) => void, string]>([
    ["an unknown field", (f) => (f.organization.accountAccessRole = "x"), "/organization"],
    ["an upper-case service name", (f) => (f.mesh.services.Payments = f.mesh.services.payments), "/mesh/services"],
    ["an unquoted account ID", (f) => (f.organization.managementAccountId = 111111111111), "/organization/managementAccountId"],
    ["a Fargate CPU size that does not exist", (f) => (f.farcar.cpu = 300), "/farcar/cpu"],
    ["a non-http upstream URL", (f) => (f.acquisitions.tidal.environments.production.outbound.catalog.upstream.url = "ftp://catalog.tidal.internal"), "/acquisitions/tidal/environments/production/outbound/catalog/upstream/url"],
  ])("rejects %s, like the loader", (_, edit, instancePath) => {
    const fleet = exampleFleet();
    edit(fleet);
    const validate = validator();
    expect(validate(fleet)).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toContain(instancePath);
  });

  test("advertises the defaults the loader applies", () => {
    const minimal = `version: 1
region: us-east-1
organization: { managementAccountId: "111111111111", proxyOrganizationalUnitId: ou-ab12-proxies01 }
mesh:
  trustDomain: block.example
  trustBundle: mesh/ca-bundle.pem
  services: { payments: { spiffeId: spiffe://block.example/payments, address: payments.mesh.internal:8443 } }
acquisitions:
  afterpay:
    environments:
      staging:
        proxyAccount: { email: aws+afterpay-staging@block.example }
        network: { availabilityZones: [us-east-1a, us-east-1b], proxyVpcCidr: 10.64.0.0/20, acquisitionVpcCidr: 10.65.0.0/22 }
`;
    const load = (extra: string): Fleet => parseFleet(minimal + extra, EXAMPLE_FLEET);
    const cloud = load("terraformCloud: { organization: acme }\n");
    const s3 = load("s3Backend: { bucket: acme-terraform-state }\n");
    const env = cloud.environments[0];
    const withEgress = load(
      '        egressProxyAccount: { id: "444444444444" }\n' +
        "        egressNetwork: { callerCidrs: [10.10.0.0/16], upstreamRouting: { cidrs: [10.96.0.0/16] } }\n" +
        "        outbound:\n          risk: { callerRoleArns: [arn:aws:iam::111111111111:role/fraud], upstream: { url: https://risk.example, auth: { header: { name: x-api-key } } } }\n",
    ).environments[0];
    const ENV = "acquisitions.*.environments.*";
    const applied: Record<string, unknown> = {
      "organization.accountAccessRoleName": cloud.organization.accountAccessRoleName,
      "mesh.spiffeIdTemplate": cloud.mesh.spiffeIdTemplate,
      "terraformCloud.workspacePrefix": cloud.terraformCloud?.workspacePrefix,
      "terraformCloud.hostname": cloud.terraformCloud?.hostname,
      "s3Backend.keyPrefix": s3.s3Backend?.keyPrefix,
      [`${ENV}.identity.source`]: env.identity.source,
      [`${ENV}.identity.certificateTtlHours`]: env.identity.certificateTtlHours,
      [`${ENV}.egressProxyAccount.accessRoleName`]: withEgress.egress?.accessRoleName,
    };
    for (const level of ["farcar", `${ENV}.farcar`]) {
      for (const knob of ["cpu", "memoryMiB", "cpuArchitecture", "desiredCount", "logRetentionDays"] as const) applied[`${level}.${knob}`] = env.farcar[knob];
    }

    const schema = fleetJsonSchema();
    const advertised = Object.fromEntries(
      fieldPaths(schema)
        .filter((p) => "default" in schemaAt(schema, p))
        .map((p) => [p, schemaAt(schema, p).default]),
    );
    expect(advertised).toEqual(applied);
  });
});

describe("help/fleet-file.md", () => {
  const doc = readFileSync(FLEET_DOC, "utf8");
  const spans = new Set(codeSpans(doc));
  const paths = fieldPaths(fleetJsonSchema());

  test("mentions every field path of the JSON Schema", () => {
    const missing = paths.filter((p) => !spans.has(p));
    if (missing.length) {
      throw new Error(
        `help/fleet-file.md does not document ${missing.length} field(s); mention each as an inline code path ` +
          `(names written as <acquisition>, <environment>, <service>, …):\n  ${missing.join("\n  ")}`,
      );
    }
  });

  test("names no field that does not exist", () => {
    const topLevel = new Set(paths.filter((p) => !p.includes(".")));
    const known = paths.map((p) => p.split("."));
    const matches = (span: string[]) =>
      known.some((p) => p.length === span.length && p.every((seg, i) => seg === span[i] || (seg === "*" && /^[\w*-]+$/.test(span[i]))));
    const unknown = [...spans]
      .filter((s) => /^[\w*.[\]-]+$/.test(s) && topLevel.has(s.split(".")[0]))
      .map((s) => s.replace(/\[\d+\]/g, ""))
      .filter((s) => !matches(s.split(".")));
    expect(unknown).toEqual([]);
  });
});
