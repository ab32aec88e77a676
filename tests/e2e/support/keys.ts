import "reflect-metadata"; // @peculiar/x509 resolves its services through tsyringe, which needs it
import { X509CertificateGenerator } from "@peculiar/x509";
import { exportJWK, generateKeyPair, type JWK } from "jose";

/**
 * Every key and certificate the end-to-end suite uses is made when it runs: nothing secret is
 * committed. Pure JavaScript (WebCrypto and @peculiar/x509), so no openssl is needed.
 */
export type SigningCredential = { privateKeyPem: string; certificatePem: string; certificateBase64: string };

const RSA: RsaHashedKeyGenParams = { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" };

/** An RSA key and a self-signed certificate for it, as a SAML IdP or SP publishes in its metadata. */
export async function selfSignedCredential(commonName: string): Promise<SigningCredential> {
  const keys = (await crypto.subtle.generateKey(RSA, true, ["sign", "verify"])) as CryptoKeyPair;
  const now = Date.now();
  const certificate = await X509CertificateGenerator.createSelfSigned({
    serialNumber: crypto.randomUUID().replace(/-/g, "").slice(0, 16),
    name: `CN=${commonName}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 24 * 3600_000),
    signingAlgorithm: RSA,
    keys,
  });
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  const certificatePem = certificate.toString("pem");
  return { privateKeyPem: pem("PRIVATE KEY", pkcs8), certificatePem, certificateBase64: certificate.toString("base64") };
}

/** An RS256 signing key as a JWK pair with its kid, for an OpenID provider or a client. */
export async function signingJwk(kid: string): Promise<{ privateJwk: JWK; publicJwk: JWK; privateKey: CryptoKey }> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  return { privateJwk, publicJwk, privateKey: privateKey as CryptoKey };
}

function pem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString("base64");
  return `-----BEGIN ${label}-----\n${base64.match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
}
