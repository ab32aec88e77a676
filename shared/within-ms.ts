/**
 * `work`, or the error `late()` makes once `ms` have passed: every wait on something outside the
 * process is bounded. The abandoned work may settle later (or never); its outcome no longer matters.
 */
export function withinMs<T>(ms: number, work: Promise<T>, late: () => Error = () => new Error(`no answer within ${ms} ms`)): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(late()), ms)));
  work.catch(() => undefined);
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
