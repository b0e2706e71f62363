/**
 * The image entrypoint (the `farcar-envoy` script inside envoy/Dockerfile), run for real with bash
 * against a fake `envoy` that serves the admin API on loopback: it must pass the bootstrap and
 * flags through, and on SIGTERM fail the health check and drain before stopping Envoy.
 */
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { gzipSync } from "zlib";
import { AWS_CONTAINER_CREDENTIALS_FULL_URI_ENV, egressAwsCredentialsUri } from "../../envoy/egress";
import { COMPRESSED_CONFIG_PREFIX, ENVOY_ADMIN_PORT_ENV, ENVOY_CONFIG_ENV, ENVOY_DRAIN_TIME_ENV } from "../../envoy/render";

/** The script, cut out of the Dockerfile's `COPY <<'EOF' /usr/local/bin/farcar-envoy` heredoc. */
function entrypointScript(): string {
  const dockerfile = fs.readFileSync(path.join(__dirname, "../../envoy/Dockerfile"), "utf8");
  const match = /^COPY --chmod=0555 <<'EOF' \/usr\/local\/bin\/farcar-envoy\n([\s\S]*?)\nEOF$/m.exec(dockerfile);
  if (!match) throw new Error("farcar-envoy heredoc not found in envoy/Dockerfile");
  return `${match[1]}\n`;
}

/** A stand-in for envoy: records its argv and admin requests, serves admin, exits on SIGTERM. */
const FAKE_ENVOY = `#!/usr/bin/env node
const fs = require("fs");
const http = require("http");
const record = (line) => fs.appendFileSync(process.env.FAKE_ENVOY_LOG, line + "\\n");
record("argv " + JSON.stringify(process.argv.slice(2)));
if (process.env.FAKE_ENVOY_RECORD_CREDENTIALS_ENV) {
  const pick = (name) => (name in process.env ? process.env[name] : null);
  record("env " + JSON.stringify({ relative: pick("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"), full: pick("AWS_CONTAINER_CREDENTIALS_FULL_URI") }));
}
if (process.env.FAKE_ENVOY_EXIT) process.exit(Number(process.env.FAKE_ENVOY_EXIT));
http
  .createServer((req, res) => { record(req.method + " " + req.url); res.end("OK\\n"); })
  .listen(Number(process.env.${ENVOY_ADMIN_PORT_ENV}), "127.0.0.1", () => record("listening"));
process.on("SIGTERM", () => { record("SIGTERM"); process.exit(0); });
`;

let dir: string;
let script: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "farcar-entrypoint-"));
  script = path.join(dir, "farcar-envoy");
  fs.writeFileSync(script, entrypointScript(), { mode: 0o755 });
  fs.mkdirSync(path.join(dir, "bin"));
  fs.writeFileSync(path.join(dir, "bin", "envoy"), FAKE_ENVOY, { mode: 0o755 });
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Run {
  readonly child: ChildProcess;
  readonly log: string;
  readonly exited: Promise<{ code: number | null; stderr: string; at: number }>;
}

function run(env: Record<string, string>, args: string[]): Run {
  const log = path.join(dir, `log-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(log, "");
  const child = spawn("bash", [script, ...args], {
    env: { PATH: `${path.join(dir, "bin")}:${path.dirname(process.execPath)}:/usr/bin:/bin`, FAKE_ENVOY_LOG: log, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; stderr: string; at: number }>((resolve) =>
    child.on("exit", (code) => resolve({ code, stderr, at: Date.now() })),
  );
  return { child, log, exited };
}

const lines = (log: string): string[] => fs.readFileSync(log, "utf8").split("\n").filter(Boolean);

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the fake envoy");
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("farcar-envoy entrypoint", () => {
  it("starts envoy with the bootstrap from the environment and the given flags", async () => {
    const { log, exited } = run({ [ENVOY_CONFIG_ENV]: '{"node":{"id":"x"}}', FAKE_ENVOY_EXIT: "0" }, ["--log-level", "info"]);
    expect((await exited).code).toBe(0);
    expect(lines(log)[0]).toBe(`argv ${JSON.stringify(["--config-yaml", '{"node":{"id":"x"}}', "--log-level", "info"])}`);
  });

  it("decodes a gzipped bootstrap before handing it to envoy", async () => {
    const json = '{"node":{"id":"gzipped"}}';
    const value = COMPRESSED_CONFIG_PREFIX + gzipSync(json).toString("base64");
    const { log, exited } = run({ [ENVOY_CONFIG_ENV]: value, FAKE_ENVOY_EXIT: "0" }, []);
    expect((await exited).code).toBe(0);
    expect(lines(log)[0]).toBe(`argv ${JSON.stringify(["--config-yaml", json])}`);
  });

  it("refuses a compressed bootstrap that does not decode", async () => {
    const { log, exited } = run({ [ENVOY_CONFIG_ENV]: `${COMPRESSED_CONFIG_PREFIX}bm90IGd6aXA=`, FAKE_ENVOY_EXIT: "0" }, []);
    const { code, stderr } = await exited;
    expect(code).toBe(65);
    expect(stderr).toContain("not valid gzip+base64");
    expect(lines(log)).toEqual([]);
  });

  it("on SIGTERM fails the health check, drains, then stops envoy", async () => {
    const port = await freePort();
    const env = { [ENVOY_CONFIG_ENV]: "{}", [ENVOY_ADMIN_PORT_ENV]: String(port), [ENVOY_DRAIN_TIME_ENV]: "1" };
    const { child, log, exited } = run(env, []);
    await until(() => lines(log).includes("listening"));
    const signalledAt = Date.now();
    child.kill("SIGTERM");
    const { code, at } = await exited;
    expect(code).toBe(0);
    expect(lines(log).slice(1)).toEqual(["listening", "POST /healthcheck/fail", "POST /drain_listeners?graceful", "SIGTERM"]);
    expect(at - signalledAt).toBeGreaterThanOrEqual(900); // the 1 s drain was honoured
  }, 20_000);

  it("passes envoy's own exit status through", async () => {
    const { exited } = run({ [ENVOY_CONFIG_ENV]: "{}", FAKE_ENVOY_EXIT: "3" }, []);
    expect((await exited).code).toBe(3);
  });

  it.each([
    { name: "with a full credentials URI, drops ECS's relative one so Envoy uses the sidecar's endpoint", full: egressAwsCredentialsUri(), relative: null },
    { name: "without a full credentials URI, keeps ECS's relative one (Envoy signs as the task role)", full: undefined, relative: "/v2/credentials/task" },
    { name: "with an empty full credentials URI, keeps ECS's relative one", full: "", relative: "/v2/credentials/task" },
  ])("$name", async ({ full, relative }) => {
    const env: Record<string, string> = {
      [ENVOY_CONFIG_ENV]: "{}",
      FAKE_ENVOY_EXIT: "0",
      FAKE_ENVOY_RECORD_CREDENTIALS_ENV: "1",
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "/v2/credentials/task",
      ...(full !== undefined && { [AWS_CONTAINER_CREDENTIALS_FULL_URI_ENV]: full }),
    };
    const { log, exited } = run(env, []);
    expect((await exited).code).toBe(0);
    expect(lines(log)[1]).toBe(`env ${JSON.stringify({ relative, full: full ?? null })}`);
  });

  it("refuses to start without a bootstrap", async () => {
    const { log, exited } = run({}, []);
    const { code, stderr } = await exited;
    expect(code).toBe(64);
    expect(stderr).toContain(`${ENVOY_CONFIG_ENV} is empty`);
    expect(lines(log)).toEqual([]); // envoy never started
  });
});
