import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { OrganizationCommand } from "../../shared/commands.ts";
import { CodedError } from "../../shared/errors.ts";
import { BACKENDS, type StoreFixture } from "../support/stores.ts";
import { run } from "../support/commands.ts";

const ORGS = ["org-a", "org-b", "org-c", "org-d"];
const IDENTIFIERS = [
  { kind: "domain", value: "a.example.com" },
  { kind: "domain", value: "b.example.com" },
  { kind: "saml_issuer", value: "https://idp.example.com/1" },
  { kind: "client_id", value: "m2m-1" },
] as const;

const org = fc.constantFrom(...ORGS);
const identifier = fc.constantFrom(...IDENTIFIERS);
const command: fc.Arbitrary<OrganizationCommand> = fc.oneof(
  fc.record({ type: fc.constant("RegisterOrganization" as const), organizationId: org, name: fc.constant("Org"), identifiers: fc.uniqueArray(identifier, { maxLength: 2, selector: (i) => i.value }) }),
  fc.record({ type: fc.constant("LinkIdentifier" as const), organizationId: org, identifier }),
  fc.record({ type: fc.constant("UnlinkIdentifier" as const), organizationId: org, identifier }),
  fc.record({ type: fc.constant("MigrateOrganization" as const), organizationId: org, reason: fc.constant("r"), to: fc.constantFrom("legacy", "target", "other") }),
  fc.record({ type: fc.constant("RollBackOrganization" as const), organizationId: org, reason: fc.constant("r") }),
);

for (const backend of BACKENDS) {
  describe(`replay on ${backend.name}`, () => {
    let f: StoreFixture;
    beforeAll(async () => {
      f = await backend.open();
    });
    afterAll(async () => {
      await f.close();
    });

    test("after any sequence of commands over several organizations, replay equals the live projection", async () => {
      let round = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), async (commands) => {
          // Each run gets its own organization ids and identifier values, so runs do not see each other's data.
          const r = round++;
          const own = (i: (typeof IDENTIFIERS)[number]) => ({ kind: i.kind, value: i.kind === "domain" ? `r${r}.${i.value}` : `${i.value}-${r}` });
          for (const c of commands) {
            const renamed = {
              ...c,
              organizationId: `${c.organizationId}-${r}`,
              ...("identifier" in c ? { identifier: own(c.identifier as (typeof IDENTIFIERS)[number]) } : {}),
              ...("identifiers" in c ? { identifiers: c.identifiers.map((i) => own(i as (typeof IDENTIFIERS)[number])) } : {}),
            } as OrganizationCommand;
            try {
              await run(f.store, renamed);
            } catch (error) {
              if (!(error instanceof CodedError)) throw error;
            }
          }
          const report = await f.store.replay({ swap: false });
          expect(report.differences).toEqual([]);
          expect(report.matched).toBe(true);
        }),
        { numRuns: 25 },
      );
    });
  });
}
