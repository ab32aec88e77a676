const UNITS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

/** "90s", "15m", "2h", "7d" → seconds; null when it is none of those (or uses a unit not allowed). */
export function ttlSeconds(text: string, allowed: string = "smhd"): number | null {
  const match = /^(\d{1,6})([smhd])$/.exec(text);
  if (!match || !allowed.includes(match[2]!)) return null;
  return Number(match[1]) * UNITS[match[2] as keyof typeof UNITS];
}
