import { SignJWT } from "jose";

/** Mints an HS256 token from the development secret (embedded default, `ssomig token`). */
export async function mintToken(secret: string, claims: { subject: string; scopes: string[]; ttlSeconds: number; issuer?: string; audience?: string }): Promise<string> {
  const jwt = new SignJWT({ scope: claims.scopes.join(" ") })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.subject)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + claims.ttlSeconds);
  if (claims.issuer) jwt.setIssuer(claims.issuer);
  if (claims.audience) jwt.setAudience(claims.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
