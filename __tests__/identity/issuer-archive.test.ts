/**
 * The issuer's code is zipped once (modules/identity/issuer.ts issuerArchive; reused by later
 * processes while the bundle is unchanged) and copied into each environment's stack — the same asset an ARCHIVE TerraformAsset of the bundle
 * directory would be (same path and hash in the stack), without zipping it again per environment.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { AssetType, TerraformAsset, TerraformStack, Testing } from "cdktf";
import * as cdktfFs from "cdktf/lib/private/fs";
import { generateFleetYaml } from "../../bench/fleet";
import { issuerBundleDir } from "../../issuer/bundle";
import { issuerArchive } from "../../modules/identity/issuer";
import { fleetFromYaml, synthFleet } from "../support/synth";

describe("issuer code asset", () => {
  it("is zipped once for every environment, and each stack gets that zip at the path and hash of an ARCHIVE asset of the bundle", () => {
    const zips = jest.spyOn(cdktfFs, "archiveSync");
    const synth = synthFleet(fleetFromYaml(generateFleetYaml({ inbound: 2, outbound: 0, environments: 3 })));
    // Once, or not at all when an earlier process (another test file) zipped this bundle already.
    expect(zips.mock.calls.length).toBeLessThanOrEqual(1);
    zips.mockRestore();

    // What TerraformAsset's ARCHIVE type would write in the stack for the bundle directory.
    const reference = new TerraformAsset(new TerraformStack(Testing.app(), "ref"), "code", { path: issuerBundleDir(), type: AssetType.ARCHIVE });
    const zip = readFileSync(issuerArchive().file);
    const ingress = synth.stackNames.filter((s) => s.endsWith("-ingress"));
    expect(ingress).toHaveLength(3);
    for (const stack of ingress) {
      const [fn] = Object.values(synth.json(stack).resource.aws_lambda_function) as Array<{ filename: string; source_code_hash: string }>;
      expect(fn.source_code_hash).toBe(reference.assetHash);
      expect(fn.filename).toMatch(new RegExp(`/${reference.assetHash}/archive\\.zip$`));
      expect(readFileSync(path.join(synth.dir(stack), fn.filename)).equals(zip)).toBe(true);
    }
  });
});
