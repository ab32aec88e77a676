export type Log = (entry: Record<string, unknown>) => void;

/** One JSON object a line on stdout. Callers never pass token, assertion or cookie values. */
export const jsonLog: Log = (entry) => {
  console.log(JSON.stringify({ time: new Date().toISOString(), level: "info", ...entry }));
};

export const silentLog: Log = () => {};
