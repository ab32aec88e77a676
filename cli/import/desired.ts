/** One organization as an import file describes it, before anything is checked against the API. */
export type DesiredOrganization = {
  id: string;
  name: string;
  identifiers: { kind: string; value: string }[];
  /** Where it came from, for messages: `file.csv rows 2-4`, `connections.json connection acme-saml`. */
  source: string;
  /** What the reader left out and why (a social connection, an IdP identifier that is not a domain...). */
  notes: string[];
};

/** A file that cannot be imported as it is: every problem found, each naming its row or entry. */
export class ImportFileError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`${problems.length} problem(s) in the import file; nothing was sent`);
    this.problems = problems;
  }
}

/**
 * An organization id from a provider's name for it: lower-cased, runs of other characters as
 * `-`, at most 63 characters, starting with a letter or digit (the API's rule).
 */
export function organizationIdFrom(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^[-_]+/, "")
    .slice(0, 63)
    .replace(/-+$/, "");
}
