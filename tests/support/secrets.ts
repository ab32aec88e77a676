/** A fresh random secret for one test run: nothing secret-looking is committed, and runs never share one. */
export function randomSecret(label: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `${label}-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
