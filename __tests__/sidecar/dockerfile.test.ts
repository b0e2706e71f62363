/** The image and the task-definition helpers must agree (no Docker here: the Dockerfile is read as text). */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { build, stop as stopEsbuild } from "esbuild";
import { IDENTITY_DIR } from "../../envoy/identity-files";
import { ENVOY_CONTAINER_USER } from "../../envoy/render";
import { SIDECAR_ENTRYPOINT, SIDECAR_USER } from "../../envoy/sidecar/container";

// esbuild keeps a service child process per Jest worker until stopped: stop it so the worker exits cleanly.
afterAll(() => stopEsbuild());

const dockerfile = readFileSync(path.join(__dirname, "../../envoy/sidecar/Dockerfile"), "utf8");
const dockerignore = readFileSync(path.join(__dirname, "../../envoy/sidecar/Dockerfile.dockerignore"), "utf8");
const packageJson = JSON.parse(readFileSync(path.join(__dirname, "../../package.json"), "utf8")) as { scripts: Record<string, string> };

describe("envoy/sidecar/Dockerfile", () => {
  it("pins a Node 22 slim base image by exact version (AWS SDK v3 needs Node >= 22 from January 2027)", () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22\.\d+\.\d+-bookworm-slim$/m);
  });

  it("runs the bundle at SIDECAR_ENTRYPOINT as a non-root user equal to Envoy's", () => {
    expect(dockerfile).toContain(`ENTRYPOINT ["node", "${SIDECAR_ENTRYPOINT}"]`);
    expect(dockerfile).toContain(`--chmod=0444 /out/sidecar.js ${SIDECAR_ENTRYPOINT}`);
    const [uid, gid] = SIDECAR_USER.split(":");
    expect(dockerfile).toMatch(new RegExp(`^ARG FARCAR_UID=${uid}$`, "m"));
    expect(dockerfile).toMatch(new RegExp(`^ARG FARCAR_GID=${gid}$`, "m"));
    expect(dockerfile).toMatch(/^USER \$\{FARCAR_UID\}:\$\{FARCAR_GID\}$/m);
    expect(SIDECAR_USER).toBe(ENVOY_CONTAINER_USER);
  });

  it("pre-creates IDENTITY_DIR owned by that user and declares it a VOLUME", () => {
    expect(dockerfile).toContain(`-o "\${FARCAR_UID}" -g "\${FARCAR_GID}" ${IDENTITY_DIR}`);
    expect(dockerfile).toContain(`VOLUME ["${IDENTITY_DIR}"]`);
  });

  it("builds with the build:sidecar script", () => {
    expect(dockerfile).toContain("npm run --silent build:sidecar");
    expect(packageJson.scripts["build:sidecar"]).toMatch(/^esbuild envoy\/sidecar\/main\.ts --bundle --platform=node --target=node22 .*--outfile=dist\/sidecar\/sidecar\.js$/);
  });

  it("copies every repository file the bundle is built from (and the build context admits them)", async () => {
    const root = path.join(__dirname, "../..");
    const result = await build({
      entryPoints: [path.join(root, "envoy/sidecar/main.ts")],
      bundle: true,
      platform: "node",
      target: "node22",
      write: false,
      metafile: true,
      logLevel: "silent",
      absWorkingDir: root,
    });
    const sources = Object.keys(result.metafile.inputs).filter((f) => !f.includes("node_modules"));
    const outside = sources.filter((f) => !f.startsWith("envoy/sidecar/"));
    expect(outside.length).toBeGreaterThan(0);
    const copied = /^COPY (envoy\/[^\n]*?) \.\/envoy\/$/m.exec(dockerfile)?.[1].split(" ") ?? [];
    expect(copied.sort()).toStrictEqual(outside.sort());
    const admitted = dockerignore.split("\n").filter((l) => l.startsWith("!")).map((l) => l.slice(1));
    for (const file of outside) expect(admitted).toContain(file);
    expect(admitted).toContain("envoy/sidecar/*.ts");
    expect(dockerfile).toContain("COPY envoy/sidecar/ ./envoy/sidecar/");
  });
});
