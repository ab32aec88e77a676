import "reflect-metadata"; // @peculiar/x509 resolves its services through tsyringe, which needs it
import * as x509 from "@peculiar/x509";

/**
 * A throwaway certificate authority and server certificates, generated per test run (nothing
 * secret is committed). ECDSA P-256 through WebCrypto.
 */
x509.cryptoProvider.set(crypto);

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
export type Pem = { cert: string; key: string };

const pemKey = async (key: CryptoKey) => x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
const serial = () => Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("").replace(/^[89a-f]/, "1");
const validity = () => ({ notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 24 * 3600_000) });

export async function testCa(name = "ssomigrate test CA"): Promise<Pem & { issue(dnsName: string): Promise<Pem> }> {
  const keys = (await crypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    keys,
    signingAlgorithm: ALG,
    ...validity(),
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  return {
    cert: ca.toString("pem"),
    key: await pemKey(keys.privateKey),
    async issue(dnsName) {
      const leafKeys = (await crypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
      const leaf = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: `CN=${dnsName}`,
        issuer: ca.subject,
        publicKey: leafKeys.publicKey,
        signingKey: keys.privateKey,
        signingAlgorithm: ALG,
        ...validity(),
        extensions: [
          new x509.BasicConstraintsExtension(false),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension([{ type: "dns", value: dnsName }]),
        ],
      });
      return { cert: leaf.toString("pem"), key: await pemKey(leafKeys.privateKey) };
    },
  };
}

/**
 * An HTTPS upstream that serves `sni`'s certificate (signed by `ca`) only to clients that send
 * that server name; anyone else gets a certificate from the same CA for another name, which a
 * client checking the name it meant refuses. It echoes the request line and headers as JSON.
 */
export async function sniUpstream(sni: string): Promise<{ port: number; origin: string; ca: string; requests: Request[]; stop(): void }> {
  const ca = await testCa();
  const right = await ca.issue(sni);
  // Same CA, other name: a client that trusts the CA but checks no name (or another one) would accept it.
  const wrong = await ca.issue("wrong.example.test");
  const requests: Request[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    tls: [wrong, { serverName: sni, ...right }],
    fetch(request) {
      requests.push(request);
      const url = new URL(request.url);
      // Never answers (until the server stops): for timeouts.
      if (url.pathname === "/hang") return new Promise<Response>(() => {});
      return Response.json({ provider: "sni", path: url.pathname, headers: Object.fromEntries(request.headers) });
    },
  });
  return { port: server.port!, origin: `https://127.0.0.1:${server.port}`, ca: ca.cert, requests, stop: () => void server.stop(true) };
}
