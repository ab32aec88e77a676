import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { formFields } from "../../shared/routing/form-fields.ts";

describe("form fields, decoded on demand", () => {
  test("reads fields as URLSearchParams does", () => {
    const body = "SAMLResponse=PHNh%2BbWw%3D&RelayState=a+b&client_id=m2m%2D1&empty=&flag&client_id=second";
    const form = formFields(body);
    const reference = new URLSearchParams(body);
    for (const name of ["SAMLResponse", "RelayState", "client_id", "empty", "flag", "missing"]) expect(form.get(name)).toBe(reference.get(name));
  });

  test("keeps a malformed percent escape as it is", () => {
    expect(formFields("a=100%&b=%zz%41").get("a")).toBe("100%");
    expect(formFields("a=100%&b=%zz%41").get("b")).toBe("%zzA");
  });

  test("agrees with URLSearchParams on any well-formed body", () => {
    const key = fc.constantFrom("SAMLResponse", "client_id", "login_hint", "a b", "é", "x");
    const value = fc.string({ unit: "grapheme", maxLength: 20 });
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 6 }), (pairs) => {
        const body = new URLSearchParams(pairs).toString();
        const form = formFields(body);
        const reference = new URLSearchParams(body);
        for (const name of ["SAMLResponse", "client_id", "login_hint", "a b", "é", "x"]) expect(form.get(name)).toBe(reference.get(name));
      }),
      { numRuns: 500 },
    );
  });
});
