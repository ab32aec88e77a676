import { readFileSync } from "node:fs";

/** The shared SAML corpus lives next to the repo: /work/shared/fixtures/saml (see its README). */
export const FIXTURES_DIR = new URL("../../../shared/fixtures/saml/", import.meta.url);

export type FixtureEncoding = "xml" | "base64" | "deflate-base64";

export interface FixtureRow {
  file: string;
  encoding: FixtureEncoding;
  messageType: string;
  responseIssuer: string | null;
  /** "encrypted" means: no plain Assertion, only an EncryptedAssertion. */
  assertionIssuer: string | null | "encrypted";
  inResponseTo: string | null;
  destination: string | null;
  notes: string;
}

/** Values are not trimmed: a leading space in a Destination is part of the ground truth. */
export function readFixtureIndex(): FixtureRow[] {
  const [header, ...lines] = readFileSync(new URL("index.tsv", FIXTURES_DIR), "utf8").split("\n").filter((l) => l !== "");
  const columns = (header ?? "").split("\t");
  return lines.map((line) => {
    const cells = line.split("\t");
    const cell = (name: string): string => {
      const index = columns.indexOf(name);
      const value = cells[index];
      if (index === -1 || value === undefined) throw new Error(`index.tsv: no column ${name}`);
      return value.replace(/\\r/g, "\r").replace(/\\n/g, "\n");
    };
    const orNull = (name: string): string | null => (cell(name) === "-" ? null : cell(name));
    return {
      file: cell("file"),
      encoding: cell("encoding") as FixtureEncoding,
      messageType: cell("message_type"),
      responseIssuer: orNull("response_issuer"),
      assertionIssuer: orNull("assertion_issuer"),
      inResponseTo: orNull("in_response_to"),
      destination: orNull("destination"),
      notes: cell("notes"),
    };
  });
}

export function readFixtureText(file: string): string {
  return readFileSync(new URL(`files/${file}`, FIXTURES_DIR), "utf8");
}

export function readFixtureBytes(file: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`files/${file}`, FIXTURES_DIR)));
}

/** Rows the README says must be refused: not well-formed, entity expansion, DOCTYPE/XXE. */
export function mustBeRefused(row: FixtureRow): boolean {
  return /NOT WELL-FORMED|entity expansion|DOCTYPE|XXE/i.test(row.notes);
}
