import { z } from "zod";
import { ImportFileError, type DesiredOrganization } from "./desired.ts";

// The shape `ssomig orgs list --json` prints (extra fields such as provider or version are
// ignored), or a bare array of the same organizations.
const organization = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  identifiers: z.array(z.object({ kind: z.string(), value: z.string() })).default([]),
});
const file = z.union([z.object({ organizations: z.array(organization) }), z.array(organization)]);

export function readOrganizationsJson(json: unknown, name: string): DesiredOrganization[] {
  const parsed = file.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.join(".") : "the document";
    throw new ImportFileError([`${name}: ${where}: expected {"organizations": [{"id", "name", "identifiers": [{"kind", "value"}]}]} (${issue.message})`]);
  }
  const list = Array.isArray(parsed.data) ? parsed.data : parsed.data.organizations;
  return list.map((o, i) => ({ id: o.id, name: o.name, identifiers: o.identifiers, source: `${name} organizations[${i}]`, notes: [] }));
}
