/** An id no other test (or earlier run on the same database) uses: `name-1a2b3c4d`. */
export const unique = (name: string): string => `${name}-${crypto.randomUUID().slice(0, 8)}`;
