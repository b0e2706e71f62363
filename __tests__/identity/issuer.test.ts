/**
 * The SVID issuer (issuer/handler.ts) against a real local CA: whatever a caller asks, it gets the
 * SPIFFE ID of the alias it invoked, or nothing.
 */
import { webcrypto } from "node:crypto";
import { ACMPCAClient, GetCertificateCommand, IssueCertificateCommand, type IssueCertificateCommandInput } from "@aws-sdk/client-acm-pca";
import * as x509 from "@peculiar/x509";
import { mockClient } from "aws-sdk-client-mock";
import { generateKeyAndCsr } from "../../envoy/sidecar/private-ca";
import { issue, parseIssuerEnv, type IssuerConfig } from "../../issuer/handler";
import { identityOfCaller, issuerAliasName, ISSUER_ENV } from "../../issuer/identity";
import { LocalCa } from "../sidecar/support/local-ca";

const pca = mockClient(ACMPCAClient);
const FN = "farcar-afterpay-staging-issuer";
const ARN = `arn:aws:lambda:us-east-1:222222222222:function:${FN}`;
const CA = "arn:aws:acm-pca:us-east-1:222222222222:certificate-authority/11111111-2222-3333-4444-555555555555";
const TEMPLATE = "spiffe://block.example/acquisition/afterpay/staging/{service}";
const ID = (s: string) => `spiffe://block.example/acquisition/afterpay/staging/${s}`;
const CONFIG: IssuerConfig = {
  caArn: CA,
  templateArn: "arn:aws:acm-pca:::template/EndEntityCertificate_APIPassthrough/V1",
  signingAlgorithm: "SHA256WITHECDSA",
  spiffeIdTemplate: TEMPLATE,
  maxTtlHours: 24,
};
const NOW = new Date("2030-01-01T00:00:00Z");

let ca: LocalCa;
let requests: IssueCertificateCommandInput[];

beforeAll(async () => {
  ca = await LocalCa.create("Environment");
});

beforeEach(() => {
  pca.reset();
  requests = [];
  // Private CA with the APIPassthrough template: the SANs come from ApiPassthrough only.
  pca.on(IssueCertificateCommand).callsFake(async (input: IssueCertificateCommandInput) => {
    requests.push(input);
    const pem = await ca.issueFromCsr(new TextDecoder().decode(input.Csr), {
      uris: input.ApiPassthrough!.Extensions!.SubjectAlternativeNames!.map((s) => s.UniformResourceIdentifier!),
      notBefore: new Date(NOW.getTime() - 3600_000),
      notAfter: new Date(Number(input.Validity!.Value) * 1000),
    });
    return { CertificateArn: `${CA}/certificate/${requests.length}`, pem };
  });
  pca.on(GetCertificateCommand).callsFake(async (input: { CertificateArn: string }) => {
    const n = Number(input.CertificateArn.split("/").pop());
    const issued = pca.commandCalls(IssueCertificateCommand)[n - 1];
    const pem = await (issued.returnValue as unknown as Promise<{ pem: string }>).then((r) => r.pem);
    return { Certificate: pem, CertificateChain: ca.chainPem };
  });
});

function call(invokedArn: string, request: { csrPem: unknown; ttlHours?: number }) {
  return issue(
    { config: CONFIG, client: new ACMPCAClient({ region: "us-east-1" }), functionName: FN, clock: () => NOW, sleep: async () => undefined },
    invokedArn,
    request as { csrPem: string; ttlHours?: number },
    "7d6c5b4a-0000-1111-2222-333344445555",
  );
}

function uriSansOf(pem: string): string[] {
  const cert = new x509.X509Certificate(pem);
  return new x509.SubjectAlternativeNameExtension(cert.getExtension("2.5.29.17")!.rawData).names.toJSON().filter((n) => n.type === "url").map((n) => n.value);
}

async function csrWith(names: Array<{ type: "url" | "dns"; value: string }>, subject = ""): Promise<string> {
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
  const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subject || undefined,
    keys,
    signingAlgorithm: alg,
    extensions: names.length ? [new x509.SubjectAlternativeNameExtension(names, true)] : [],
  });
  return csr.toString("pem");
}

describe("issuer", () => {
  it("gives the caller of alias farcar-X exactly X's SPIFFE ID, written by the issuer, via the APIPassthrough template", async () => {
    const { csrPem } = await generateKeyAndCsr(ID("checkout"));
    const out = await call(`${ARN}:${issuerAliasName("checkout")}`, { csrPem, ttlHours: 12 });
    expect(out.spiffeId).toBe(ID("checkout"));
    expect(uriSansOf(out.certificatePem)).toStrictEqual([ID("checkout")]);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      CertificateAuthorityArn: CA,
      TemplateArn: CONFIG.templateArn,
      ApiPassthrough: { Extensions: { SubjectAlternativeNames: [{ UniformResourceIdentifier: ID("checkout") }] } },
      Validity: { Type: "ABSOLUTE", Value: NOW.getTime() / 1000 + 12 * 3600 },
    });
  });

  it("issues X's ID for a CSR without SANs, and clamps the lifetime to the configured maximum", async () => {
    const out = await call(`${ARN}:farcar-checkout`, { csrPem: await csrWith([]), ttlHours: 500 });
    expect(uriSansOf(out.certificatePem)).toStrictEqual([ID("checkout")]);
    expect(requests[0].Validity).toStrictEqual({ Type: "ABSOLUTE", Value: NOW.getTime() / 1000 + 24 * 3600 });
  });

  it("refuses a caller of alias farcar-X asking for Y's ID, a second SAN, or a subject — and never calls Private CA", async () => {
    await expect(call(`${ARN}:farcar-checkout`, { csrPem: await csrWith([{ type: "url", value: ID("billing") }]) })).rejects.toThrow(/may only be .*checkout.*asks for url:.*billing/);
    await expect(call(`${ARN}:farcar-checkout`, { csrPem: await csrWith([{ type: "url", value: ID("checkout") }, { type: "dns", value: "payments.mesh.internal" }]) })).rejects.toThrow(/may only be/);
    await expect(call(`${ARN}:farcar-checkout`, { csrPem: await csrWith([], "CN=payments") })).rejects.toThrow(/subject must be empty/);
    await expect(call(`${ARN}:farcar-checkout`, { csrPem: "not a csr" })).rejects.toThrow(/PEM certificate request/);
    expect(requests).toHaveLength(0);
  });

  it("refuses invocations that name no Farcar alias: unqualified, $LATEST, a version, another alias, another function", async () => {
    const { csrPem } = await generateKeyAndCsr(ID("checkout"));
    for (const arn of [ARN, `${ARN}:$LATEST`, `${ARN}:7`, `${ARN}:live`, `arn:aws:lambda:us-east-1:222222222222:function:other:farcar-checkout`]) {
      await expect(call(arn, { csrPem })).rejects.toThrow(/^refused: /);
    }
    expect(requests).toHaveLength(0);
  });

  it("maps aliases one to one (the mapping verify/identity.ts evaluates)", () => {
    expect(identityOfCaller(`${ARN}:farcar-checkout`, { functionName: FN, spiffeIdTemplate: TEMPLATE })).toStrictEqual({ service: "checkout", spiffeId: ID("checkout") });
    expect(identityOfCaller(`${ARN}:farcar-Checkout`, { functionName: FN, spiffeIdTemplate: TEMPLATE })).toHaveProperty("refused");
    expect(identityOfCaller(`${ARN}:farcar-`, { functionName: FN, spiffeIdTemplate: TEMPLATE })).toHaveProperty("refused");
  });

  it("refuses to start with a template that would copy the caller's SANs (CSRPassthrough) or a template without {service}", () => {
    const env = {
      [ISSUER_ENV.caArn]: CA,
      [ISSUER_ENV.templateArn]: "arn:aws:acm-pca:::template/EndEntityCertificate_CSRPassthrough/V1",
      [ISSUER_ENV.spiffeIdTemplate]: "spiffe://block.example/acquisition/afterpay/staging/fixed",
    };
    expect(() => parseIssuerEnv(env)).toThrow(/APIPassthrough.*\{service\}/s);
    expect(parseIssuerEnv({ ...env, [ISSUER_ENV.templateArn]: CONFIG.templateArn, [ISSUER_ENV.spiffeIdTemplate]: TEMPLATE })).toMatchObject({ maxTtlHours: 24 });
  });
});
