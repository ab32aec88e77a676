import { describe, expect, test } from "bun:test";
import { inspectSamlMessage, readSamlMessage, type SamlBinding, type SamlMessageSummary } from "../../shared/saml/index.ts";
import { mustBeRefused, readFixtureBytes, readFixtureIndex, readFixtureText, type FixtureRow } from "./fixtures.ts";

const rows = readFixtureIndex();
const accepted = rows.filter((row) => !mustBeRefused(row));
const refused = rows.filter(mustBeRefused);

function bindingFor(row: FixtureRow): SamlBinding {
  return row.encoding === "deflate-base64" ? "redirect" : "post";
}

/** Reads a fixture the way its `encoding` column says it travels. */
async function inspectFixture(row: FixtureRow): Promise<SamlMessageSummary> {
  if (row.encoding === "xml") return readSamlMessage(new TextDecoder().decode(readFixtureBytes(row.file)));
  return inspectSamlMessage(readFixtureText(row.file), { binding: bindingFor(row) });
}

function expectedSummary(row: FixtureRow): SamlMessageSummary {
  const plainAssertionIssuer = row.assertionIssuer === "encrypted" ? null : row.assertionIssuer;
  return {
    type: row.messageType,
    issuer: row.responseIssuer ?? plainAssertionIssuer,
    assertionIssuer: plainAssertionIssuer,
    inResponseTo: row.inResponseTo,
    destination: row.destination,
    encrypted: row.assertionIssuer === "encrypted" || row.notes.includes("EncryptedAssertion"),
  };
}

describe("SAML fixture corpus (shared/fixtures/saml/index.tsv)", () => {
  test("the index lists 51 messages, 3 of them to be refused", () => {
    expect(rows.length).toBe(51);
    expect(refused.map((row) => row.file).sort()).toEqual([
      "node-saml__signatures_invalid_response.root-signed.multiple-root-elements.xml",
      "ruby-saml__responses_attackxee.xml",
      "samlify__attack_response_signed.xml",
    ]);
  });

  test.each(accepted.map((row) => [row.file, row] as const))("reads %s as the index says", async (_file, row) => {
    expect(await inspectFixture(row)).toEqual(expectedSummary(row));
  });

  test.each(accepted.map((row) => [row.file, row] as const))(
    "detects the encoding of %s with binding auto",
    async (_file, row) => {
      expect(await inspectSamlMessage(readFixtureText(row.file), { binding: "auto" })).toEqual(expectedSummary(row));
    },
  );

  test.each(refused.map((row) => [row.file, row] as const))("refuses %s as invalid_saml_message", async (_file, row) => {
    await expect(inspectFixture(row)).rejects.toMatchObject({ code: "invalid_saml_message" });
    await expect(inspectSamlMessage(readFixtureText(row.file), { binding: "auto" })).rejects.toMatchObject({
      code: "invalid_saml_message",
    });
  });
});
