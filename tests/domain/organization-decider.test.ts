import { describe, expect, test } from "bun:test";
import type { OrganizationCommand, RecordPreflight, RegisterOrganization } from "../../shared/commands.ts";
import { DomainError, type ErrorCode } from "../../shared/errors.ts";
import type { OrganizationEvent } from "../../shared/events.ts";
import { decide, fold } from "../../shared/organization.ts";
import { PROVIDERS } from "../support/commands.ts";

/** given past events, when a command, then new events (or a DomainError code). */
function given(...history: OrganizationEvent[]) {
  return {
    when(command: OrganizationCommand) {
      const outcome = () => decide(command, fold(history), PROVIDERS);
      return {
        then: (expected: OrganizationEvent[]) => expect(outcome()).toEqual(expected),
        thenRejects(code: ErrorCode) {
          try {
            outcome();
          } catch (error) {
            expect(error).toBeInstanceOf(DomainError);
            expect((error as DomainError).code).toBe(code);
            return;
          }
          throw new Error(`expected ${code}, but the command was accepted`);
        },
      };
    },
  };
}

const acme = "acme";
const domain = { kind: "domain", value: "acme.com" } as const;
const issuer = { kind: "saml_issuer", value: "http://www.okta.com/exk1" } as const;
const registered: OrganizationEvent = { type: "OrganizationRegistered", data: { organizationId: acme, name: "Acme", provider: "legacy", identifiers: [domain] } };
const migrated = (from: string, to: string): OrganizationEvent => ({ type: "OrganizationMigrated", data: { organizationId: acme, from, to, reason: "moving" } });
const rolledBack = (from: string, to: string): OrganizationEvent => ({ type: "OrganizationRolledBack", data: { organizationId: acme, from, to, reason: "broken" } });

describe("RegisterOrganization", () => {
  const command: RegisterOrganization = { type: "RegisterOrganization", organizationId: acme, name: " Acme ", identifiers: [domain] };
  test("registers a new organization on the default provider, name trimmed", () =>
    given().when(command).then([registered]));
  test("rejects an organization that already exists", () => given(registered).when(command).thenRejects("organization_exists"));
  test("rejects an id that is not a lower-case slug", () =>
    given().when({ ...command, organizationId: "Acme Corp" }).thenRejects("invalid_organization_id"));
  test("rejects a blank name", () => given().when({ ...command, name: "  " }).thenRejects("invalid_name"));
  test("rejects the same identifier listed twice", () =>
    given().when({ ...command, identifiers: [domain, domain] }).thenRejects("duplicate_identifier"));
});

describe("LinkIdentifier", () => {
  const command = { type: "LinkIdentifier", organizationId: acme, identifier: issuer } as const;
  test("links a new identifier", () =>
    given(registered).when(command).then([{ type: "IdentifierLinked", data: { organizationId: acme, identifier: issuer } }]));
  test("does nothing when the identifier is already linked", () =>
    given(registered).when({ ...command, identifier: domain }).then([]));
  test("rejects an unknown organization", () => given().when(command).thenRejects("organization_not_found"));
});

describe("UnlinkIdentifier", () => {
  const command = { type: "UnlinkIdentifier", organizationId: acme, identifier: domain } as const;
  test("unlinks a linked identifier", () =>
    given(registered).when(command).then([{ type: "IdentifierUnlinked", data: { organizationId: acme, identifier: domain } }]));
  test("rejects an identifier that is not linked", () =>
    given(registered).when({ ...command, identifier: issuer }).thenRejects("identifier_not_linked"));
  test("rejects an unknown organization", () => given().when(command).thenRejects("organization_not_found"));
});

describe("MigrateOrganization", () => {
  const command = { type: "MigrateOrganization", organizationId: acme, reason: " moving " } as const;
  test("migrates to the configured target when no provider is named", () =>
    given(registered).when(command).then([migrated("legacy", "target")]));
  test("records that the guard must not watch a migration asked with guard: false", () =>
    given(registered).when({ ...command, guard: false }).then([{ type: "OrganizationMigrated", data: { organizationId: acme, from: "legacy", to: "target", reason: "moving", guard: false } }]));
  test("records nothing about the guard by default (guard: true is the default)", () =>
    given(registered).when({ ...command, guard: true }).then([migrated("legacy", "target")]));
  test("migrates to a named provider", () => given(registered).when({ ...command, to: "other" }).then([migrated("legacy", "other")]));
  test("rejects a migration to the provider it is already on", () =>
    given(registered, migrated("legacy", "target")).when(command).thenRejects("already_on_provider"));
  test("rejects a provider that is not configured", () => given(registered).when({ ...command, to: "nope" }).thenRejects("unknown_provider"));
  test("rejects a migration without a reason", () => given(registered).when({ ...command, reason: " " }).thenRejects("reason_required"));
  test("rejects an unknown organization", () => given().when(command).thenRejects("organization_not_found"));
});

describe("RecordPreflight and migrate with requirePreflight", () => {
  const check = (passed: boolean) => ({ kind: "connection", value: "acme-okta", passed, detail: passed ? "redirects to the IdP at acme.okta.com" : "error redirect: invalid_request" });
  const preflight = (passed: boolean, checkedAt = "2026-11-30T10:00:00.000Z", provider = "target"): OrganizationEvent => ({
    type: "PreflightRecorded",
    data: { organizationId: acme, provider, passed, checks: [check(passed)], checkedAt },
  });
  const record = (passed: boolean): RecordPreflight => ({ type: "RecordPreflight", organizationId: acme, provider: "target", checks: [check(passed)], checkedAt: "2026-11-30T10:00:00.000Z" });
  const migrate = { type: "MigrateOrganization", organizationId: acme, reason: "moving", requirePreflight: { since: "2026-11-30T09:30:00.000Z" } } as const;
  test("records a preflight that passed when every check passed", () => given(registered).when(record(true)).then([preflight(true)]));
  test("records a preflight that failed when one check failed", () => given(registered).when(record(false)).then([preflight(false)]));
  test("records a preflight with no check as failed", () =>
    given(registered).when({ ...record(true), checks: [] }).then([{ type: "PreflightRecorded", data: { organizationId: acme, provider: "target", passed: false, checks: [], checkedAt: "2026-11-30T10:00:00.000Z" } }]));
  test("rejects a preflight of a provider that is not configured", () => given(registered).when({ ...record(true), provider: "nope" }).thenRejects("unknown_provider"));
  test("migrates when a passing preflight of the destination is recent enough", () =>
    given(registered, preflight(true)).when(migrate).then([migrated("legacy", "target")]));
  test("refuses without any preflight", () => given(registered).when(migrate).thenRejects("preflight_required"));
  test("refuses when the last preflight failed", () => given(registered, preflight(true), preflight(false)).when(migrate).thenRejects("preflight_required"));
  test("refuses when the passing preflight is older than allowed", () =>
    given(registered, preflight(true, "2026-11-30T09:00:00.000Z")).when(migrate).thenRejects("preflight_required"));
  test("refuses when the preflight checked another provider", () => given(registered, preflight(true, undefined, "other")).when(migrate).thenRejects("preflight_required"));
  test("a migration without requirePreflight ignores preflights", () =>
    given(registered, preflight(false)).when({ type: "MigrateOrganization", organizationId: acme, reason: "moving" }).then([migrated("legacy", "target")]));
});

describe("SetGuard", () => {
  const off = { type: "SetGuard", organizationId: acme, enabled: false } as const;
  test("turns the guard off for an organization", () => given(registered).when(off).then([{ type: "GuardSet", data: { organizationId: acme, enabled: false } }]));
  test("records nothing when the guard is already in that state (on by default)", () => given(registered).when({ ...off, enabled: true }).then([]));
  test("turns it back on", () =>
    given(registered, { type: "GuardSet", data: { organizationId: acme, enabled: false } }).when({ ...off, enabled: true }).then([{ type: "GuardSet", data: { organizationId: acme, enabled: true } }]));
  test("rejects an unknown organization", () => given().when(off).thenRejects("organization_not_found"));
});

describe("RollBackOrganization", () => {
  const command = { type: "RollBackOrganization", organizationId: acme, reason: "broken" } as const;
  test("goes back to the provider before the last migration", () =>
    given(registered, migrated("legacy", "target")).when(command).then([rolledBack("target", "legacy")]));
  test("unwinds several migrations one at a time", () =>
    given(registered, migrated("legacy", "target"), migrated("target", "other"), rolledBack("other", "target"))
      .when(command)
      .then([rolledBack("target", "legacy")]));
  test("rejects a rollback with no migration before it", () => given(registered).when(command).thenRejects("nothing_to_roll_back"));
  test("rejects a second rollback of the same migration", () =>
    given(registered, migrated("legacy", "target"), rolledBack("target", "legacy")).when(command).thenRejects("nothing_to_roll_back"));
  test("rejects a rollback without a reason", () =>
    given(registered, migrated("legacy", "target")).when({ ...command, reason: "" }).thenRejects("reason_required"));
  test("rejects an unknown organization", () => given().when(command).thenRejects("organization_not_found"));
});

describe("free text and identifiers a store cannot hold or a reader cannot see", () => {
  const register = (name: string, organizationId = acme): OrganizationCommand => ({ type: "RegisterOrganization", organizationId, name, identifiers: [] });
  test("a name with NUL, an unpaired surrogate or over 200 characters is invalid_name", () => {
    for (const name of ["A\u0000", "A\ud800", "x".repeat(201), "\t", "\u200b\u202e "]) given().when(register(name)).thenRejects("invalid_name");
  });
  test("an organization id over 63 characters is invalid_organization_id, like a malformed one", () => {
    given().when(register("x", "a".repeat(64))).thenRejects("invalid_organization_id");
    given().when(register("x", "a\u0000")).thenRejects("invalid_organization_id");
  });
  test("a reason with NUL, an unpaired surrogate or over 1000 characters is invalid_reason", () => {
    for (const reason of ["r\u0000", "r\udc00", "r".repeat(1001)]) {
      given(registered).when({ type: "MigrateOrganization", organizationId: acme, reason }).thenRejects("invalid_reason");
      given(registered, migrated("legacy", "target")).when({ type: "RollBackOrganization", organizationId: acme, reason }).thenRejects("invalid_reason");
    }
  });
});

describe("identifiers stored before normalization are the same identity as their normal form", () => {
  const oldSpelling = { kind: "oidc_issuer", value: "HTTPS://IdP.Acme.com/" } as const;
  const normal = { kind: "oidc_issuer", value: "https://idp.acme.com" } as const;
  const withOld: OrganizationEvent = { type: "IdentifierLinked", data: { organizationId: acme, identifier: oldSpelling } };
  test("linking the normal form of an identifier linked in an old spelling changes nothing", () =>
    given(registered, withOld).when({ type: "LinkIdentifier", organizationId: acme, identifier: normal }).then([]));
  test("unlinking by the normal form removes the stored spelling", () =>
    given(registered, withOld)
      .when({ type: "UnlinkIdentifier", organizationId: acme, identifier: normal })
      .then([{ type: "IdentifierUnlinked", data: { organizationId: acme, identifier: oldSpelling } }]));
  test("two spellings of one identity in a registration are duplicate_identifier", () =>
    given().when({ type: "RegisterOrganization", organizationId: acme, name: "Acme", identifiers: [oldSpelling, normal] }).thenRejects("duplicate_identifier"));
});

describe("tags", () => {
  const tagged = (tags: string[]): OrganizationEvent => ({ type: "OrganizationTagsSet", data: { organizationId: acme, tags } });
  test("a registration with tags records them sorted", () =>
    given()
      .when({ type: "RegisterOrganization", organizationId: acme, name: "Acme", identifiers: [domain], tags: ["tier:enterprise", "region:eu"] })
      .then([{ type: "OrganizationRegistered", data: { organizationId: acme, name: "Acme", provider: "legacy", identifiers: [domain], tags: ["region:eu", "tier:enterprise"] } }]));
  test("setting tags records the new set", () => given(registered).when({ type: "SetOrganizationTags", organizationId: acme, tags: ["beta", "a:b"] }).then([tagged(["a:b", "beta"])]));
  test("setting the tags it already carries records nothing", () =>
    given(registered, tagged(["a:b", "beta"])).when({ type: "SetOrganizationTags", organizationId: acme, tags: ["beta", "a:b"] }).then([]));
  test("clearing the tags records the empty set", () => given(registered, tagged(["beta"])).when({ type: "SetOrganizationTags", organizationId: acme, tags: [] }).then([tagged([])]));
  test("an organization registered before tags existed carries none", () =>
    given(registered).when({ type: "SetOrganizationTags", organizationId: acme, tags: [] }).then([]));
  test("rejects a malformed tag", () => given(registered).when({ type: "SetOrganizationTags", organizationId: acme, tags: ["Upper"] }).thenRejects("invalid_tag"));
  test("rejects a tag listed twice", () => given(registered).when({ type: "SetOrganizationTags", organizationId: acme, tags: ["x", "x"] }).thenRejects("invalid_tag"));
  test("rejects tags on an organization that does not exist", () =>
    given().when({ type: "SetOrganizationTags", organizationId: acme, tags: ["x"] }).thenRejects("organization_not_found"));
});
