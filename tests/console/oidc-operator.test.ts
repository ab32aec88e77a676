import { describe, expect, test } from "bun:test";
import type { Scope } from "../../services/commands/auth.ts";
import { operatorFrom, rolesIn } from "../../services/console/oidc-operator.ts";

const ISSUER = "https://login.corp.test/realms/ops";
const ROLE_MAP = new Map<string, Scope[]>([
  ["ssomig-admins", ["admin"]],
  ["ssomig-operators", ["migrations:write", "migrations:read"]],
  ["ssomig-viewers", ["migrations:read"]],
]);
const decide = (claims: Record<string, unknown>, rolesClaim = "groups", grantedScope?: string) => operatorFrom({ claims, issuer: ISSUER, rolesClaim, roleMap: ROLE_MAP, grantedScope });

describe("who signed in, and what they may do", () => {
  test("the verified email, lower-cased, is the actor; the union of the mapped roles' scopes is what they may do", () => {
    expect(decide({ sub: "u-1", email: "Dana.Ops@Corp.TEST", email_verified: true, name: "Dana", groups: ["ssomig-viewers", "ssomig-operators", "sales"] })).toEqual({
      subject: "dana.ops@corp.test",
      name: "Dana",
      scopes: new Set<Scope>(["migrations:read", "migrations:write"]),
    });
    // Some IdPs (Cognito) send booleans as strings.
    expect(decide({ sub: "u-1", email: "dana@corp.test", email_verified: "true", groups: ["ssomig-admins"] })).toMatchObject({ subject: "dana@corp.test" });
  });

  test("without a verified email the actor is the sub qualified by the issuer, never an address anyone could have typed", () => {
    expect(decide({ sub: "248289761001", email: "ceo@corp.test", email_verified: false, groups: ["ssomig-admins"] })).toMatchObject({ subject: `${ISSUER}#248289761001` });
    expect(decide({ sub: "248289761001", preferred_username: "dops", groups: ["ssomig-admins"] })).toEqual({ subject: `${ISSUER}#248289761001`, name: "dops", scopes: new Set<Scope>(["admin"]) });
  });

  test("no mapped role, or no roles claim at all, is a refusal, not an operator without scopes", () => {
    expect(decide({ sub: "u-2", groups: ["sales"] })).toMatchObject({ refusal: "no_role" });
    expect(decide({ sub: "u-2" })).toMatchObject({ refusal: "no_role" });
    expect(decide({ sub: "u-2", groups: [42, null] })).toMatchObject({ refusal: "no_role" });
  });

  test("an actor the event log cannot show as it is (control or invisible characters, too long) is refused", () => {
    expect(decide({ sub: "u\u0000x", groups: ["ssomig-admins"] })).toMatchObject({ refusal: "bad_subject" });
    expect(decide({ sub: "u\u200bx", groups: ["ssomig-admins"] })).toMatchObject({ refusal: "bad_subject" });
    expect(decide({ sub: "x".repeat(300), groups: ["ssomig-admins"] })).toMatchObject({ refusal: "bad_subject" });
  });
});

describe("where the roles are", () => {
  test("a list claim, a single value, a nested claim (Keycloak) and a namespaced URL claim (Auth0)", () => {
    expect(rolesIn({ roles: ["a", "b"] }, "roles")).toEqual(["a", "b"]);
    expect(rolesIn({ groups: "ssomig admins" }, "groups")).toEqual(["ssomig admins"]);
    expect(rolesIn({ realm_access: { roles: ["ssomig-admins"] } }, "realm_access.roles")).toEqual(["ssomig-admins"]);
    expect(rolesIn({ "https://corp.test/roles": ["ssomig-viewers"] }, "https://corp.test/roles")).toEqual(["ssomig-viewers"]);
  });

  test("`scope` is a space-separated list: the claim when present, else the scopes the IdP granted", () => {
    expect(rolesIn({ scope: "openid ssomig.read" }, "scope")).toEqual(["openid", "ssomig.read"]);
    expect(rolesIn({}, "scope", "openid email ssomig.admin")).toEqual(["openid", "email", "ssomig.admin"]);
    expect(rolesIn({}, "scope")).toEqual([]);
    expect(operatorFrom({ claims: { sub: "s" }, issuer: ISSUER, rolesClaim: "scope", roleMap: new Map([["ssomig.admin", ["admin"]]]), grantedScope: "openid ssomig.admin" })).toMatchObject({ scopes: new Set(["admin"]) });
  });
});
