/**
 * Which provider issued a credential, keyed by the credential's SHA-256 (hex), never its value.
 * Shared by every router (NATS JetStream key-value) or held in the process (embedded default).
 * Each kind of credential has its own lifetime: codes minutes, refresh tokens months.
 */
export type CredentialKind = "code" | "access_token" | "refresh_token";

export const CREDENTIAL_KINDS: readonly CredentialKind[] = ["code", "access_token", "refresh_token"];

export type CredentialTtls = Record<CredentialKind, number>;

export type CredentialRecord = {
  readonly kind: "nats" | "in-process";
  /** Records `hash → provider`; rejects when the record cannot be written. */
  remember(kind: CredentialKind, hash: string, provider: string): Promise<void>;
  /** The provider that issued it, or null when the record has never seen it (or it expired); `kinds` narrows where to look. */
  issuerOf(hash: string, kinds?: readonly CredentialKind[]): Promise<string | null>;
  /** False while the shared record cannot be reached. */
  available(): boolean;
  close(): Promise<void>;
};

/** Hex SHA-256 of a credential's exact text: what the record stores instead of the credential. */
export async function credentialHash(value: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value)));
  let hex = "";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/** Fails fast on a value the record must never hold (a credential instead of its hash). */
export function assertHash(hash: string): void {
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new TypeError("the credential record stores SHA-256 hex digests only");
}
