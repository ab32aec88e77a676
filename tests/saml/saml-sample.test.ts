import { expect, test } from "bun:test";
import { readSamlMessage } from "../../shared/saml/index.ts";

test("ssomig saml sample prints a message whose routing Issuer is the one asked for", async () => {
  const child = Bun.spawn([process.execPath, new URL("../../cli/ssomig.ts", import.meta.url).pathname, "saml", "sample", "--issuer", "https://idp.acme.example/saml?x=1&y=2"], { stdout: "pipe", stderr: "pipe" });
  const [xml, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  expect(code).toBe(0);
  expect(readSamlMessage(xml)).toMatchObject({ type: "Response", issuer: "https://idp.acme.example/saml?x=1&y=2", encrypted: false });
  expect(xml.length).toBeGreaterThan(7000);
});
