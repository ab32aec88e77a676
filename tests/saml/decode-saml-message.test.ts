import { describe, expect, test } from "bun:test";
import { decodeSamlMessage, DEFAULT_MAX_SAML_BYTES, inspectSamlMessage } from "../../shared/saml/index.ts";
import { base64, deflatedZeros, deflateRaw, redirectEncode, wrap76 } from "./encode.ts";
import { AUTHN_REQUEST, samlResponse } from "./samples.ts";

const RESPONSE = samlResponse({ responseIssuer: "https://idp.example.com", assertionIssuer: "https://idp.example.com" });
const refused = { code: "invalid_saml_message" };

describe("decodeSamlMessage: HTTP-POST binding", () => {
  test("decodes base64 of the XML", async () => {
    expect(await decodeSamlMessage(base64(RESPONSE), { binding: "post" })).toBe(RESPONSE);
  });

  test("tolerates base64 wrapped at 76 columns with CRLF, and surrounding whitespace", async () => {
    expect(await decodeSamlMessage(`\r\n${wrap76(base64(RESPONSE))}\r\n`, { binding: "post" })).toBe(RESPONSE);
  });

  test("decodes a URL-encoded form value", async () => {
    const value = encodeURIComponent(wrap76(base64(`${RESPONSE}<!-- ?>>> -->`)));
    expect(value).toContain("%");
    expect(await decodeSamlMessage(value, { binding: "post" })).toBe(`${RESPONSE}<!-- ?>>> -->`);
  });

  test("keeps a literal '+' in a partly URL-encoded value as base64, not as a space", async () => {
    const encoded = base64(`${RESPONSE}<!-- ?>>> -->`);
    expect(encoded).toContain("+");
    const sloppy = encoded.replaceAll("/", "%2F").replaceAll("=", "%3D");
    expect(await decodeSamlMessage(sloppy, { binding: "post" })).toBe(`${RESPONSE}<!-- ?>>> -->`);
  });

  test("drops a UTF-8 byte-order mark from the decoded XML", async () => {
    expect(await decodeSamlMessage(base64(`\uFEFF${RESPONSE}`), { binding: "post" })).toBe(RESPONSE);
  });
});

describe("decodeSamlMessage: HTTP-Redirect binding", () => {
  test("inflates raw DEFLATE after base64", async () => {
    expect(await decodeSamlMessage(await redirectEncode(AUTHN_REQUEST), { binding: "redirect" })).toBe(AUTHN_REQUEST);
  });

  test("decodes a URL-encoded SAMLRequest query value", async () => {
    const value = encodeURIComponent(await redirectEncode(AUTHN_REQUEST));
    expect(await decodeSamlMessage(value, { binding: "redirect" })).toBe(AUTHN_REQUEST);
  });

  test("refuses data that is not raw DEFLATE", async () => {
    await expect(decodeSamlMessage(base64(AUTHN_REQUEST), { binding: "redirect" })).rejects.toMatchObject(refused);
  });

  test("refuses a truncated DEFLATE stream", async () => {
    const deflated = await deflateRaw(RESPONSE.repeat(20));
    await expect(decodeSamlMessage(base64(deflated.subarray(0, deflated.length >> 1)), { binding: "redirect" })).rejects.toMatchObject(refused);
  });
});

describe("decodeSamlMessage: binding auto", () => {
  test("accepts raw XML, with or without a BOM", async () => {
    expect(await decodeSamlMessage(`  ${RESPONSE}\n`)).toBe(RESPONSE);
    expect(await decodeSamlMessage(`\uFEFF${RESPONSE}`)).toBe(RESPONSE);
  });

  test("accepts base64, DEFLATE+base64 and URL-encoded forms of each", async () => {
    const post = base64(RESPONSE);
    const redirect = await redirectEncode(RESPONSE);
    for (const value of [post, redirect, encodeURIComponent(post), encodeURIComponent(redirect), encodeURIComponent(RESPONSE)]) {
      expect(await decodeSamlMessage(value, { binding: "auto" })).toBe(RESPONSE);
    }
  });

  test("recognises base64 of XML that starts with a BOM and blank lines", async () => {
    expect(await decodeSamlMessage(base64(`\uFEFF\r\n${RESPONSE}`))).toBe(`\r\n${RESPONSE}`);
  });
});

describe("decodeSamlMessage: refusals", () => {
  test.each([
    ["an invalid character", "PHNhbWw*"],
    ["base64url characters", "PD94-_=="],
    ["missing padding", "PHNhbWw"],
    ["a padding character in the middle", "PA==PA=="],
    ["too much padding", "PA==="],
    ["a length that is not a multiple of four", "PHNhbWxwO"],
  ])("refuses base64 with %s", async (_name, value) => {
    await expect(decodeSamlMessage(value, { binding: "post" })).rejects.toMatchObject(refused);
    await expect(decodeSamlMessage(value, { binding: "auto" })).rejects.toMatchObject(refused);
  });

  test("refuses broken URL encoding", async () => {
    await expect(decodeSamlMessage("PHNh%E0%A4%A", { binding: "post" })).rejects.toMatchObject(refused);
  });

  test.each([[""], ["  \r\n "]])("refuses empty input %j", async (value) => {
    for (const binding of ["post", "redirect", "auto"] as const) {
      await expect(decodeSamlMessage(value, { binding })).rejects.toMatchObject(refused);
    }
  });

  test("refuses decoded XML over maxBytes and accepts it at exactly maxBytes", async () => {
    const size = new TextEncoder().encode(RESPONSE).length;
    expect(await decodeSamlMessage(base64(RESPONSE), { binding: "post", maxBytes: size })).toBe(RESPONSE);
    const tooLarge = { code: "invalid_saml_message", details: { maxBytes: size - 1 } };
    await expect(decodeSamlMessage(base64(RESPONSE), { binding: "post", maxBytes: size - 1 })).rejects.toMatchObject(tooLarge);
    await expect(decodeSamlMessage(await redirectEncode(RESPONSE), { binding: "redirect", maxBytes: size - 1 })).rejects.toMatchObject(tooLarge);
    await expect(decodeSamlMessage(RESPONSE, { binding: "auto", maxBytes: size - 1 })).rejects.toMatchObject(tooLarge);
  });

  test("counts raw XML size in UTF-8 bytes, not characters", async () => {
    const xml = `<r>${"é".repeat(100)}</r>`; // 107 characters, 207 bytes
    await expect(decodeSamlMessage(xml, { maxBytes: 150 })).rejects.toMatchObject(refused);
  });

  test("refuses the default limit + 1 byte of base64 without decoding a larger value", async () => {
    const oversized = base64(`<r>${"a".repeat(DEFAULT_MAX_SAML_BYTES)}</r>`);
    await expect(decodeSamlMessage(oversized, { binding: "post" })).rejects.toMatchObject({ details: { maxBytes: DEFAULT_MAX_SAML_BYTES } });
    await expect(decodeSamlMessage("A".repeat(DEFAULT_MAX_SAML_BYTES * 8))).rejects.toMatchObject(refused);
  });

  test("refuses a 50 MB DEFLATE bomb quickly, stopping at the limit rather than inflating it all", async () => {
    const bomb = await deflatedZeros(50 * 1024 * 1024);
    const started = performance.now();
    await expect(decodeSamlMessage(base64(bomb), { binding: "redirect" })).rejects.toMatchObject({
      code: "invalid_saml_message",
      details: { maxBytes: DEFAULT_MAX_SAML_BYTES },
    });
    expect(performance.now() - started).toBeLessThan(500);
    // Cut in half the stream is corrupt at its end: reporting the size limit proves reading stopped long before.
    const halfBomb = base64(bomb.subarray(0, bomb.length >> 1));
    await expect(decodeSamlMessage(halfBomb, { binding: "auto" })).rejects.toMatchObject({ details: { maxBytes: DEFAULT_MAX_SAML_BYTES } });
  });

  test("refuses a maxBytes that is not a positive integer as a programming error", async () => {
    await expect(decodeSamlMessage(RESPONSE, { maxBytes: 0 })).rejects.toBeInstanceOf(RangeError);
  });
});

describe("inspectSamlMessage", () => {
  test("goes from a Redirect-binding query value to the routing summary", async () => {
    expect(await inspectSamlMessage(encodeURIComponent(await redirectEncode(AUTHN_REQUEST)))).toEqual({
      type: "AuthnRequest",
      issuer: "https://sp.example.com",
      assertionIssuer: null,
      inResponseTo: null,
      destination: "https://idp.example.com/sso",
      encrypted: false,
    });
  });

  test("refuses a DOCTYPE however the message was transported", async () => {
    const xxe = `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${AUTHN_REQUEST}`;
    for (const value of [xxe, base64(xxe), await redirectEncode(xxe)]) {
      await expect(inspectSamlMessage(value)).rejects.toMatchObject(refused);
    }
  });
});
