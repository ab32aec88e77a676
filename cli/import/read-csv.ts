import { parse } from "csv-parse/sync";
import { ImportFileError, type DesiredOrganization } from "./desired.ts";

const COLUMNS = ["id", "name", "kind", "value"] as const;

/**
 * `id,name,kind,value` with a header row: one identifier per row, several rows per organization
 * (the name may be given on its first row only). A row with neither kind nor value registers the
 * organization without an identifier. A file that is not CSV throws; row problems are returned.
 */
export function readCsv(text: string, file: string): { organizations: DesiredOrganization[]; problems: string[] } {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(text, { columns: (header: string[]) => checkHeader(header.map((h) => h.trim().toLowerCase()), file), bom: true, trim: true, skip_empty_lines: true, info: true }) as never;
  } catch (error) {
    if (error instanceof ImportFileError) throw error;
    throw new ImportFileError([`${file}: not valid CSV (${(error as Error).message})`]);
  }
  const problems: string[] = [];
  const byId = new Map<string, DesiredOrganization & { lines: number[] }>();
  for (const { record, info } of records) {
    const at = `${file} line ${info.lines}`;
    const { id, name, kind, value } = record as Record<(typeof COLUMNS)[number], string>;
    if (!id) {
      problems.push(`${at}: no id`);
      continue;
    }
    let org = byId.get(id);
    if (!org) byId.set(id, (org = { id, name: "", identifiers: [], source: "", notes: [], lines: [] }));
    org.lines.push(info.lines);
    if (name) {
      if (org.name && org.name !== name) problems.push(`${at}: ${id} is named ${JSON.stringify(org.name)} on an earlier row and ${JSON.stringify(name)} here`);
      else org.name = name;
    }
    if (kind && value) org.identifiers.push({ kind, value });
    else if (kind || value) problems.push(`${at}: give both kind and value, or neither`);
  }
  for (const org of byId.values()) {
    org.source = `${file} line${org.lines.length > 1 ? "s" : ""} ${org.lines.join(", ")}`;
    if (!org.name) problems.push(`${org.source}: ${org.id} has no name on any row`);
  }
  // Rows are checked further (ids, identifiers) with everything else; all problems are reported together.
  return { organizations: [...byId.values()].map(({ lines: _, ...org }) => org), problems };
}

function checkHeader(header: string[], file: string): string[] {
  const missing = COLUMNS.filter((c) => !header.includes(c));
  const unknown = header.filter((c) => !(COLUMNS as readonly string[]).includes(c));
  if (missing.length > 0 || unknown.length > 0) {
    throw new ImportFileError([`${file}: the first row must name the columns id,name,kind,value (${missing.length ? `missing ${missing.join(", ")}` : `unknown ${unknown.join(", ")}`})`]);
  }
  return header;
}
