/** @jsxImportSource hono/jsx */
import type { Child } from "hono/jsx";
import type { Session } from "./session.ts";

export type Chrome = { session: Session | null; csrf: string | null; current?: string };

const NAV = [
  ["/console", "Overview"],
  ["/console/organizations", "Organizations"],
  ["/console/audit", "Audit log"],
  ["/console/unmatched", "Unmatched traffic"],
  ["/console/waves", "Waves"],
] as const;

/** Every page's frame: landmarks, a skip link, the navigation, who is signed in. No inline script or style (CSP). */
export function Layout(props: { title: string; chrome: Chrome; children?: Child }) {
  const { session, csrf, current } = props.chrome;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · ssomigrate console`}</title>
        <link rel="stylesheet" href="/console/assets/console.css" />
        <script src="/console/assets/live.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <span class="brand">ssomigrate</span>
          {session ? (
            <nav aria-label="Console">
              <ul>
                {NAV.map(([href, label]) => (
                  <li>
                    <a href={href} aria-current={current === href ? "page" : undefined}>
                      {label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          ) : null}
          {session && csrf ? (
            <form class="who" method="post" action="/console/sign-out">
              <span>
                Signed in as <strong>{session.name ?? session.subject}</strong>
              </span>
              <input type="hidden" name="csrf" value={csrf} />
              <button type="submit" class="link">
                Sign out
              </button>
            </form>
          ) : null}
        </header>
        <main id="main">
          <h1>{props.title}</h1>
          {props.children}
        </main>
        <footer>
          <p>ssomigrate console · every action here is an event in the audit log</p>
        </footer>
      </body>
    </html>
  );
}

/** A time as it is stored (UTC, to the second on screen, exact in `datetime`). */
export function Time(props: { at: string }) {
  return <time datetime={props.at}>{props.at.replace("T", " ").replace(/\.\d+Z$/, "Z")}</time>;
}

/** A share as a native <progress> with its number beside it (readable without colour). */
export function Share(props: { id: string; label: string; part: number; whole: number }) {
  const percent = props.whole === 0 ? 0 : Math.round((props.part / props.whole) * 100);
  return (
    <div class="share">
      <span id={props.id}>{props.label}</span>
      <progress aria-labelledby={props.id} max={Math.max(props.whole, 1)} value={props.part}>
        {percent}%
      </progress>
      <span>
        {props.part} of {props.whole} ({percent}%)
      </span>
    </div>
  );
}

/** Success rate per hour as bars (an SVG image with a text summary for screen readers). */
export function RateChart(props: { label: string; points: (number | null)[] }) {
  const width = 6;
  const gap = 2;
  const height = 40;
  const known = props.points.filter((p): p is number => p !== null);
  const summary = known.length === 0 ? "no finished logins" : `from ${pct(Math.min(...known))} to ${pct(Math.max(...known))} per hour, last ${pct(known.at(-1)!)}`;
  return (
    <svg class="chart" role="img" aria-label={`${props.label}: ${summary}`} width={props.points.length * (width + gap)} height={height} viewBox={`0 0 ${props.points.length * (width + gap)} ${height}`}>
      {props.points.map((p, i) =>
        p === null ? (
          <rect class="none" x={i * (width + gap)} y={height - 2} width={width} height={2} />
        ) : (
          <rect class={p < 0.9 ? "bad" : "good"} x={i * (width + gap)} y={height - Math.max(2, p * height)} width={width} height={Math.max(2, p * height)} />
        ),
      )}
    </svg>
  );
}

export const pct = (rate: number | null): string => (rate === null ? "–" : `${(rate * 100).toFixed(1)}%`);

/** A problem the API answered, shown as the API would name it. */
export function ProblemNotice(props: { code: string; detail: string }) {
  return (
    <div class="notice error" role="alert">
      <p>
        <strong>Refused</strong> ({props.code}): {props.detail}
      </p>
    </div>
  );
}
