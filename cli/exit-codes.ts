/**
 * What `ssomig` exits with (the README's CLI section lists the same). Borrowed from sysexits(3)
 * where one fits, so scripts and supervisors read them the usual way.
 */
export const EXIT = {
  ok: 0,
  /** The API answered with a problem (its status and code are printed), an import left something undone, or a preflight failed. */
  refused: 1,
  /** A command line the CLI does not understand. */
  usage: 2,
  /** The input file is not valid (EX_DATAERR): nothing was sent. */
  dataError: 65,
  /** The API did not answer (EX_UNAVAILABLE). */
  unreachable: 69,
  /** A bug (EX_SOFTWARE). */
  internal: 70,
  /** SSOMIG_API_URL, SSOMIG_TOKEN or the token file is wrong or missing (EX_CONFIG). */
  config: 78,
} as const;

/** A failure the CLI reports as one line on stderr (`ssomig: <message>`) and exits with `exitCode`. */
export class CliFailure extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, message: string) {
    super(message);
    this.name = "CliFailure";
    this.exitCode = exitCode;
  }
}
