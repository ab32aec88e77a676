/**
 * The console's only assets, served by the API itself (no CDN, no build step): a small
 * stylesheet (colours chosen for WCAG AA contrast) and the progressive enhancement script.
 */
export const CONSOLE_CSS = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #4a5360; --line: #c9d1d9; --accent: #0b57d0; --bad: #b3261e; --good: #1e6b35; --bg: #ffffff; --panel: #f4f6f8; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--bg); padding: .5rem; }
.skip:focus { left: .5rem; }
header.top { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; padding: .6rem 1.2rem; background: #14213d; color: #ffffff; }
header.top a { color: #ffffff; }
header.top a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
header.top nav ul { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; }
.brand { font-weight: 700; letter-spacing: .02em; }
.who { margin-left: auto; display: flex; gap: .6rem; align-items: center; }
button.link { background: none; border: 0; color: #ffffff; text-decoration: underline; cursor: pointer; font: inherit; padding: 0; }
main { padding: 1rem 1.2rem 2rem; max-width: 72rem; }
h1 { font-size: 1.5rem; margin: .4rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 .6rem; }
h3 { font-size: 1rem; margin: 0 0 .4rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
caption { text-align: left; color: var(--muted); padding: .2rem 0; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { background: var(--panel); }
.share { display: flex; gap: .8rem; align-items: center; flex-wrap: wrap; }
progress { width: 18rem; height: 1rem; accent-color: var(--good); }
.chart rect.good { fill: var(--good); }
.chart rect.bad { fill: var(--bad); }
.chart rect.none { fill: var(--line); }
ul.fleet { list-style: none; padding: 0; }
ul.fleet li { display: flex; gap: .8rem; align-items: end; margin: .4rem 0; }
ul.fleet .provider { min-width: 6rem; font-weight: 600; }
.notice { border-left: 4px solid var(--accent); background: var(--panel); padding: .2rem .8rem; margin: .6rem 0; }
.notice.error { border-color: var(--bad); }
.notice.ok { border-color: var(--good); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.actions { display: flex; flex-wrap: wrap; gap: 1rem; }
form.action { display: flex; flex-direction: column; gap: .3rem; padding: .8rem; border: 1px solid var(--line); border-radius: 6px; min-width: 16rem; }
form.filters { display: flex; flex-wrap: wrap; gap: .4rem .8rem; align-items: end; margin-bottom: 1rem; }
form.filters label { display: block; }
input, select { font: inherit; padding: .3rem .4rem; border: 1px solid #6e7781; border-radius: 4px; color: var(--ink); background: var(--bg); }
button, a.button { font: inherit; padding: .35rem .9rem; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: #ffffff; cursor: pointer; text-decoration: none; display: inline-block; }
button.danger { background: var(--bad); border-color: var(--bad); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
form.inline { display: flex; gap: .4rem; align-items: center; }
footer { padding: 1rem 1.2rem; color: var(--muted); border-top: 1px solid var(--line); }
`;

/**
 * Live updates without a framework: every few seconds, while the tab is visible, the page
 * fetches itself and swaps in the new content of each element marked data-live (by id). The
 * page works the same without it (reload to refresh).
 */
export const LIVE_JS = `(() => {
  "use strict";
  const INTERVAL_MS = 5000;
  const live = () => Array.from(document.querySelectorAll("[data-live][id]"));
  if (live().length === 0) return;
  async function refresh() {
    if (document.visibilityState !== "visible") return;
    try {
      const answer = await fetch(location.href, { credentials: "same-origin", headers: { accept: "text/html" } });
      if (!answer.ok || answer.redirected) return;
      const fresh = new DOMParser().parseFromString(await answer.text(), "text/html");
      for (const element of live()) {
        const replacement = fresh.getElementById(element.id);
        if (replacement && replacement.innerHTML !== element.innerHTML) element.innerHTML = replacement.innerHTML;
      }
    } catch (_) {
      // offline or signed out: the page stays as it was
    }
  }
  setInterval(refresh, INTERVAL_MS);
})();
`;
