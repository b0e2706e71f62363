/**
 * help/first-deployment.md matches the code: every command in it is one that exists — npm scripts,
 * cdktf subcommands, flags and stack names, terraform subcommands, flags, stack directories,
 * outputs and resource addresses, the AWS CLI and Docker commands and the names they act on —
 * and every file, fleet field, output and section it names exists.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { FARCAR_IMAGE_TAG } from "../../config/fleet";
import { DOCKER_PLATFORMS, IMAGE_BUILDS, IMAGE_REPOSITORIES } from "../../modules/farcar-service/images";
import { terraformEnv, TERRAFORM } from "../support/terraform";
import { synthFleetFile } from "../support/synth";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = path.resolve(__dirname, "../..");
const DOC = path.join(ROOT, "help/first-deployment.md");
const text = readFileSync(DOC, "utf8");
const example = synthFleetFile();
const scripts: Record<string, string> = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts;

/** Every line of every ```sh block, comments removed, continuation lines joined. */
const commandLines: string[] = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
  m[1]
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .map((l) => l.replace(/(^|\s)#.*$/, "").trim())
    .filter(Boolean),
);

/** A command line as simple commands (split at |, >, &&), each as words (quotes removed). */
function simpleCommands(line: string): string[][] {
  const words: string[] = [];
  const commands: string[][] = [];
  let current = "";
  let quote: string | undefined;
  let redirect = false;
  const flush = () => {
    if (current && !redirect) words.push(current);
    if (current) redirect = false;
    current = "";
  };
  for (const c of line) {
    if (quote) {
      if (c === quote) quote = undefined;
      else current += c;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === " ") flush();
    else if (c === "|" || c === "&") {
      flush();
      if (words.length) commands.push(words.splice(0));
    } else if (c === ">") {
      flush();
      redirect = true;
    } else current += c;
  }
  flush();
  if (words.length) commands.push(words);
  return commands.map(dropEnv);
}
/** Words without leading environment assignments (`AWS_PROFILE=x sh …`). */
function dropEnv(words: string[]): string[] {
  let i = 0;
  while (i < words.length && /^[A-Z_]+=/.test(words[i])) i++;
  return words.slice(i);
}

const commands = commandLines.flatMap(simpleCommands);
const byProgram = (program: string) => commands.filter((c) => c[0] === program);

const stackJson = (stack: string): Json => {
  expect(example.stackNames).toContain(stack);
  return example.json(stack);
};
const globMatches = (pattern: string) => {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
  return example.stackNames.filter((s) => re.test(s));
};

/** `--help` of the installed cdktf CLI, per subcommand (cached). */
const cdktfHelp = new Map<string, string>();
function cdktf(...args: string[]): string {
  const key = args.join(" ");
  if (!cdktfHelp.has(key)) {
    cdktfHelp.set(key, execFileSync(path.join(ROOT, "node_modules/.bin/cdktf"), [...args, "--help"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
  }
  return cdktfHelp.get(key)!;
}
function terraformHelp(...args: string[]): string {
  try {
    return execFileSync(TERRAFORM, [...args, "-help"], { encoding: "utf8", env: terraformEnv(), stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { stdout?: string };
    return e.stdout ?? "";
  }
}

/** Flags of `words` (`--x`, `--x=v` → `--x`; `-f`). */
const flags = (words: string[]) => words.filter((w) => w.startsWith("-")).map((w) => w.replace(/=.*$/, ""));
/** Value of `--flag v` in `words`. */
const valuesOf = (words: string[], flag: string): string[] => {
  const i = words.indexOf(flag);
  if (i < 0) return [];
  const out: string[] = [];
  for (let j = i + 1; j < words.length && !words[j].startsWith("-"); j++) out.push(words[j]);
  return out;
};

/**
 * The AWS CLI commands the runbook may use, with their reference pages and the options used.
 * A new command must be added here, after checking the page.
 */
const AWS_COMMANDS: Record<string, { readonly reference: string; readonly options: readonly string[] }> = {
  "configure set": { reference: "https://docs.aws.amazon.com/cli/latest/reference/configure/set.html", options: ["--profile"] },
  "ecr get-login-password": { reference: "https://docs.aws.amazon.com/cli/latest/reference/ecr/get-login-password.html", options: ["--region"] },
  "ecr describe-images": { reference: "https://docs.aws.amazon.com/cli/latest/reference/ecr/describe-images.html", options: ["--repository-name", "--image-ids", "--region", "--profile"] },
  "ecs describe-services": { reference: "https://docs.aws.amazon.com/cli/latest/reference/ecs/describe-services.html", options: ["--cluster", "--services", "--region", "--profile"] },
  "ecs update-service": { reference: "https://docs.aws.amazon.com/cli/latest/reference/ecs/update-service.html", options: ["--cluster", "--service", "--force-new-deployment", "--region", "--profile"] },
  "iam put-role-policy": { reference: "https://docs.aws.amazon.com/cli/latest/reference/iam/put-role-policy.html", options: ["--role-name", "--policy-name", "--policy-document"] },
};
/** Options of `docker buildx build` used (https://docs.docker.com/reference/cli/docker/buildx/build/). */
const BUILDX_OPTIONS = ["--platform", "-f", "-t", "--push"];

const namesOf = (type: string) => example.stackNames.flatMap((s) => Object.values<Json>(example.json(s).resource?.[type] ?? {}).map((r) => r.name));

describe("help/first-deployment.md", () => {
  test("has commands to check, and only programs this test knows", () => {
    expect(commands.length).toBeGreaterThan(20);
    for (const c of commands) expect(["npm", "npx", "terraform", "aws", "docker", "sh", "openssl", "jq"]).toContain(c[0]);
  });

  test("every npm command is a script of package.json (or npm ci)", () => {
    const npm = byProgram("npm");
    expect(npm.length).toBeGreaterThan(0);
    for (const c of npm) {
      if (c[1] === "ci") continue;
      expect(c[1]).toBe("run");
      expect(Object.keys(scripts)).toContain(c[2]);
    }
  });

  test("every npx cdktf command: a cdktf subcommand, its flags, and stacks the example fleet synthesizes", () => {
    const npx = byProgram("npx");
    expect(npx.length).toBeGreaterThan(5);
    const subcommands = [...cdktf().matchAll(/^\s+cdktf ([a-z]+)/gm)].map((m) => m[1]);
    expect(subcommands).toEqual(expect.arrayContaining(["deploy", "synth", "output"]));
    for (const c of npx) {
      expect(c[1]).toBe("cdktf");
      expect(subcommands).toContain(c[2]);
      const help = cdktf(c[2]);
      for (const f of flags(c.slice(3))) expect({ command: c.join(" "), flag: f, known: help.includes(`${f} `) }).toMatchObject({ known: true });
      for (const stack of c.slice(3).filter((w) => !w.startsWith("-"))) expect({ stack, matches: globMatches(stack).length > 0 }).toEqual({ stack, matches: true });
    }
  });

  test("every terraform command: a subcommand and flags Terraform has, a synthesized stack directory, its outputs and resource addresses", () => {
    const tf = byProgram("terraform");
    expect(tf.length).toBeGreaterThan(5);
    const help = terraformHelp();
    for (const c of tf) {
      const chdir = /^-chdir=cdktf\.out\/stacks\/([a-z0-9-]+)$/.exec(c[1]);
      expect({ command: c.join(" "), chdir: Boolean(chdir) }).toEqual({ command: c.join(" "), chdir: true });
      const json = stackJson(chdir![1]);
      const [sub, ...rest] = c.slice(2);
      expect(help).toMatch(new RegExp(`^\\s+${sub}\\s`, "m"));
      const args = rest.filter((w) => !w.startsWith("-"));
      if (sub === "state") {
        expect(args[0]).toBe("rm");
        expect(terraformHelp("state", "rm")).toMatch(/terraform \[global options\] state rm/);
      } else {
        const subHelp = terraformHelp(sub);
        for (const f of flags(rest)) expect({ command: c.join(" "), flag: f, known: subHelp.includes(`${f}`) }).toMatchObject({ known: true });
      }
      const exists = (address: string) => {
        const [type, id] = address.split(".");
        return Boolean(json.resource?.[type]?.[id]);
      };
      if (sub === "import") expect({ address: args[0], exists: exists(args[0]) }).toEqual({ address: args[0], exists: true });
      if (sub === "state") {
        // A state rm moves a resource out of this stack: it must be gone from the stack (or the next
        // apply re-creates it) and imported into another one by the runbook.
        for (const address of args.slice(1)) {
          expect({ address, inStack: exists(address) }).toEqual({ address, inStack: false });
          expect(tf.some((i) => i[2] === "import" && i[3] === address && i[1] !== c[1])).toBe(true);
        }
      }
      if (sub === "import") {
        const [type, id] = args[0].split(".");
        expect(json.resource[type][id].name).toBe(args[1]); // aws_ecr_repository imports by name
      }
      if (sub === "output") {
        expect(args).toHaveLength(1);
        expect(Object.keys(json.output ?? {})).toContain(args[0]);
      }
    }
  });

  test("every aws command is a documented AWS CLI command with the options used, acting on names the stacks create", () => {
    const aws = byProgram("aws");
    expect(aws.length).toBeGreaterThan(3);
    const clusters = namesOf("aws_ecs_cluster");
    const services = namesOf("aws_ecs_service");
    const roleNames = example.fleet.environments.flatMap((e) => e.inbound.flatMap((s) => s.roleArns.map((a) => a.split("/").pop()!)));
    for (const c of aws) {
      const command = `${c[1]} ${c[2]}`;
      expect(Object.keys(AWS_COMMANDS)).toContain(command);
      for (const f of flags(c.slice(3))) expect({ command, option: f, documented: AWS_COMMANDS[command].options.includes(f) }).toMatchObject({ documented: true });
      for (const cluster of valuesOf(c, "--cluster")) expect(clusters).toContain(cluster);
      for (const service of [...valuesOf(c, "--service"), ...valuesOf(c, "--services")]) expect(services).toContain(service);
      for (const repository of valuesOf(c, "--repository-name")) expect(Object.values(IMAGE_REPOSITORIES)).toContain(repository);
      for (const tag of valuesOf(c, "--image-ids")) expect(tag).toBe(`imageTag=${FARCAR_IMAGE_TAG}`);
      for (const region of valuesOf(c, "--region")) expect(region).toBe(example.fleet.region);
      for (const role of valuesOf(c, "--role-name")) expect(roleNames).toContain(role);
      if (command === "configure set" && c[3] === "role_arn") {
        // the access role of an egress proxy account of the fleet, or of a proxy account the org stack creates
        const [, account, role] = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(c[4])!;
        const egress = example.fleet.environments.flatMap((e) => (e.egress ? [`${e.egress.accountId}/${e.egress.accessRoleName}`] : []));
        expect(egress.includes(`${account}/${role}`) || role === example.fleet.organization.accountAccessRoleName).toBe(true);
      }
    }
  });

  test("every docker build uses an existing Dockerfile and context, the tasks' platform, and a Farcar repository at the release tag", () => {
    const builds = byProgram("docker").filter((c) => c[1] === "buildx");
    expect(builds.length).toBe(Object.keys(IMAGE_BUILDS).length);
    const images = Object.values(IMAGE_REPOSITORIES);
    for (const c of builds) {
      expect(c[2]).toBe("build");
      for (const f of flags(c.slice(3))) expect(BUILDX_OPTIONS).toContain(f);
      const dockerfile = valuesOf(c, "-f")[0];
      const context = c[c.length - 1];
      expect(Object.values(IMAGE_BUILDS)).toContainEqual({ dockerfile, context });
      expect(existsSync(path.join(ROOT, dockerfile)) && existsSync(path.join(ROOT, context))).toBe(true);
      expect(Object.values(DOCKER_PLATFORMS)).toContain(valuesOf(c, "--platform")[0]);
      const [, repository, tag] = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/(.+):(.+)$/.exec(valuesOf(c, "-t")[0])!;
      expect(images).toContain(repository);
      expect(tag).toBe(FARCAR_IMAGE_TAG);
    }
    for (const c of byProgram("sh")) {
      const script = c[c.length - 1];
      expect(text).toContain(`> ${script}`); // a script the runbook wrote just before
    }
  });

  test("the example push script is what the images stack's push_commands output produces", () => {
    const stack = example.json("afterpay-staging-ingress-images");
    const lines = commandLines.filter((l) => l.startsWith("aws ecr get-login-password") || l.startsWith("docker buildx"));
    const host = /--password-stdin (\S+)/.exec(lines[0])![1];
    const urlOf: Record<string, string> = Object.fromEntries(Object.entries<Json>(stack.resource.aws_ecr_repository).map(([id, r]) => [id, `${host}/${r.name}`]));
    const resolved = stack.output.push_commands.value
      .replace(/\$\{element\(split\("\/", aws_ecr_repository\.[A-Za-z0-9_]+\.repository_url\), 0\)\}/g, host)
      .replace(/\$\{aws_ecr_repository\.([A-Za-z0-9_]+)\.repository_url\}/g, (_: string, id: string) => urlOf[id]);
    expect(lines).toEqual(resolved.trimEnd().split("\n"));
  });

  test("every file it links or names exists", () => {
    const links = [...text.matchAll(/\]\(([^)#]+)(?:#[^)]*)?\)/g)].map((m) => m[1]).filter((l) => !/^https?:/.test(l));
    expect(links.length).toBeGreaterThan(3);
    for (const l of links) expect({ link: l, exists: existsSync(path.resolve(path.dirname(DOC), l)) }).toEqual({ link: l, exists: true });
    const named = [...text.matchAll(/`([A-Za-z0-9_./-]+\/[A-Za-z0-9_.-]+)`/g)]
      .map((m) => m[1])
      .filter((p) => !p.startsWith("cdktf.out/") && !p.startsWith("farcar/") && /\.(ts|md|yaml|json)$|Dockerfile$/.test(p));
    expect(named.length).toBeGreaterThan(3);
    for (const p of named) expect({ path: p, exists: existsSync(path.join(ROOT, p)) }).toEqual({ path: p, exists: true });
  });

  test("every section it points to exists", () => {
    const sections = [...text.matchAll(/\[[^\]]+\]\(([^)]+\.md)\), section \*([^*]+)\*/g)];
    expect(sections.length).toBeGreaterThan(0);
    for (const [, file, heading] of sections) {
      const headings = readFileSync(path.resolve(path.dirname(DOC), file), "utf8").split("\n").filter((l) => l.startsWith("#")).map((l) => l.replace(/^#+\s*/, ""));
      expect(headings.some((h) => h.startsWith(heading))).toBe(true);
    }
  });

  test("every stack, output and variable it names exists; every fleet field it names is in the fleet schema", () => {
    const tokens = [...text.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]);
    const stackTokens = tokens.filter((t) => /^(org|afterpay-[a-z-]+|tidal-[a-z-]+)$/.test(t));
    expect(stackTokens.length).toBeGreaterThan(3);
    for (const s of stackTokens) expect(example.stackNames).toContain(s);
    const known = new Set(example.stackNames.flatMap((s) => [...Object.keys(example.json(s).output ?? {}), ...Object.keys(example.json(s).variable ?? {})]));
    const snake = tokens.filter((t) => /^[a-z]+(_[a-z0-9]+)+$/.test(t));
    expect(snake.length).toBeGreaterThan(5);
    for (const t of snake) expect({ name: t, known: known.has(t) }).toEqual({ name: t, known: true });

    const schema: Json = JSON.parse(readFileSync(path.join(ROOT, "help/fleet.schema.json"), "utf8"));
    const resolves = (node: Json | undefined, parts: string[]): boolean => {
      if (!node || typeof node !== "object") return false;
      if (!parts.length) return true;
      const children: Json[] = [node.additionalProperties, node.items, ...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])].filter(Boolean);
      return (node.properties?.[parts[0]] && resolves(node.properties[parts[0]], parts.slice(1))) || children.some((c) => resolves(c, parts));
    };
    const anywhere = (node: Json, parts: string[]): boolean =>
      resolves(node, parts) || (node && typeof node === "object" && Object.values(node).some((v) => v && typeof v === "object" && anywhere(v, parts)));
    const fields = tokens.filter((t) => /^[a-z]+[A-Za-z]*(\.[a-z][A-Za-z]*)+$/.test(t) && !/\.(ts|md|yaml|json)$/.test(t));
    expect(fields).toEqual(expect.arrayContaining(["identity.acquisitionCaCertificate", "proxyAccount.email"]));
    for (const f of fields) expect({ field: f, inSchema: anywhere(schema, f.split(".")) }).toEqual({ field: f, inSchema: true });
  });
  test("the runbook names every output of the ingress and egress stacks a person acts on; the hand-off says what the network owners route", () => {
    // rest_api_ids and stage_name are read by tools (farcar doctor, the module's callers), not handed to anyone.
    const forTools = new Set(["rest_api_ids", "stage_name"]);
    const handOff = text.slice(text.indexOf("## 6. Hand the outputs"), text.indexOf("\n## ", text.indexOf("## 6. Hand the outputs") + 1));
    for (const stack of ["afterpay-staging-ingress", "afterpay-staging-egress"]) {
      const outputs = Object.keys(stackJson(stack).output ?? {}).filter((o) => !forTools.has(o));
      expect(outputs).toEqual(expect.arrayContaining(["caller_vpc_id", "caller_route_table_ids", "proxy_vpc_id", "proxy_route_table_ids"]));
      for (const o of outputs) expect({ stack, output: o, named: new RegExp(`\\b${o}\\b`).test(text) }).toEqual({ stack, output: o, named: true });
    }
    for (const o of ["caller_vpc_id", "caller_route_table_ids", "proxy_vpc_id", "proxy_route_table_ids"]) expect(handOff).toMatch(new RegExp(`^\\| \`${o}\` \\| [^|]+ \\| .*route`, "m"));
  });
});
