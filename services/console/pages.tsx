/** @jsxImportSource hono/jsx */
import type { RecordedEvent } from "../../shared/events.ts";
import { LOG_EVENT_TYPES } from "../../shared/log-events.ts";
import type { OrganizationView } from "../../db/organization-projection.ts";
import type { StoredUnmatched } from "../../db/unmatched-store.ts";
import { Layout, Time, type Chrome } from "./layout.tsx";
import { EventRows } from "./organization.tsx";
import { EventHead } from "./overview.tsx";

export function OrganizationsPage(props: { chrome: Chrome; found: OrganizationView[]; next: string | null; query: { q: string; provider: string; tag: string }; providers: string[] }) {
  const { q, provider, tag } = props.query;
  const nextHref = props.next ? `/console/organizations?${new URLSearchParams({ q, provider, tag, after: props.next })}` : null;
  return (
    <Layout title="Organizations" chrome={props.chrome} >
      <form method="get" action="/console/organizations" class="filters" role="search" aria-label="Organizations">
        <label for="q">Id, name or identifier</label>
        <input id="q" name="q" type="search" value={q} />
        <label for="provider">Provider</label>
        <select id="provider" name="provider">
          <option value="">any</option>
          {props.providers.map((p) => (
            <option value={p} selected={p === provider}>
              {p}
            </option>
          ))}
        </select>
        <label for="tag">Tag</label>
        <input id="tag" name="tag" value={tag} placeholder="tier:enterprise" />
        <button type="submit">Search</button>
      </form>
      <table>
        <caption>{props.found.length === 0 ? "No organization matches" : `${props.found.length} organization(s)${props.next ? ", more on the next page" : ""}`}</caption>
        <thead>
          <tr>
            <th scope="col">Id</th>
            <th scope="col">Name</th>
            <th scope="col">Provider</th>
            <th scope="col">Identifiers</th>
            <th scope="col">Tags</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {props.found.map((o) => (
            <tr>
              <th scope="row">
                <a href={`/console/organizations/${encodeURIComponent(o.id)}`}>{o.id}</a>
              </th>
              <td>{o.name}</td>
              <td>{o.provider}</td>
              <td>{o.identifiers.map((i) => `${i.kind} ${i.value}`).join(", ")}</td>
              <td>{o.tags.join(", ")}</td>
              <td>
                <Time at={o.updatedAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {nextHref ? (
        <p>
          <a href={nextHref}>Next page</a>
        </p>
      ) : null}
    </Layout>
  );
}

export type AuditQuery = { org: string; type: string; since: string; until: string };

export function AuditPage(props: { chrome: Chrome; events: RecordedEvent[]; next: string | null; query: AuditQuery }) {
  const { org, type, since, until } = props.query;
  const filters = Object.fromEntries(Object.entries(props.query).filter(([, v]) => v !== ""));
  const nextHref = props.next ? `/console/audit?${new URLSearchParams({ ...filters, after: props.next })}` : null;
  return (
    <Layout title="Audit log" chrome={props.chrome}>
      <form method="get" action="/console/audit" class="filters" aria-label="Filter the audit log">
        <label for="org">Organization id</label>
        <input id="org" name="org" value={org} />
        <label for="type">Event type</label>
        <select id="type" name="type">
          <option value="">any</option>
          {LOG_EVENT_TYPES.map((t) => (
            <option value={t} selected={t === type}>
              {t}
            </option>
          ))}
        </select>
        <label for="since">Since (ISO 8601)</label>
        <input id="since" name="since" value={since} placeholder="2026-01-31T00:00:00Z" />
        <label for="until">Until</label>
        <input id="until" name="until" value={until} placeholder="2026-02-01" />
        <button type="submit">Filter</button>
      </form>
      <p>
        <a href={`/console/audit/export?${new URLSearchParams(filters)}`} download="ssomigrate-audit.ndjson">
          Export these events (NDJSON)
        </a>
      </p>
      <table>
        <caption>Events in commit order{props.events.length === 0 ? ": none" : ""}</caption>
        <EventHead withOrganization />
        <tbody>
          <EventRows events={props.events} withOrganization />
        </tbody>
      </table>
      {nextHref ? (
        <p>
          <a href={nextHref}>Next page</a>
        </p>
      ) : null}
    </Layout>
  );
}

export function UnmatchedPage(props: { chrome: Chrome; rows: StoredUnmatched[] | null; canWrite: boolean; done: string | null }) {
  return (
    <Layout title="Unmatched traffic" chrome={props.chrome}>
      {props.done ? (
        <div class="notice ok" role="status">
          <p>{props.done}</p>
        </div>
      ) : null}
      <p>Identifiers routers saw that name no organization, most frequent first. Linking one to an organization clears it, and its traffic follows that organization from then on.</p>
      {props.rows === null ? (
        <p>This command service keeps no unmatched traffic.</p>
      ) : (
        <table>
          <caption>{props.rows.length === 0 ? "No unmatched traffic" : `${props.rows.length} identifier(s)`}</caption>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Value</th>
              <th scope="col">Request</th>
              <th scope="col">Went to</th>
              <th scope="col">Requests</th>
              <th scope="col">First seen</th>
              <th scope="col">Last seen</th>
              {props.canWrite ? <th scope="col">Link to an organization</th> : null}
            </tr>
          </thead>
          <tbody>
            {props.rows.map((r, i) => (
              <tr>
                <td>{r.kind}</td>
                <td>{r.value}</td>
                <td>{r.requestKind}</td>
                <td>{r.provider}</td>
                <td>{r.count}</td>
                <td>
                  <Time at={new Date(r.firstSeen).toISOString()} />
                </td>
                <td>
                  <Time at={new Date(r.lastSeen).toISOString()} />
                </td>
                {props.canWrite ? (
                  <td>
                    <form method="post" action="/console/unmatched/link" class="inline">
                      <input type="hidden" name="csrf" value={props.chrome.csrf ?? ""} />
                      <input type="hidden" name="kind" value={r.kind} />
                      <input type="hidden" name="value" value={r.value} />
                      <input type="hidden" name="idempotencyKey" value={crypto.randomUUID()} />
                      <label for={`link-${i}`} class="visually-hidden">{`Organization id for ${r.kind} ${r.value}`}</label>
                      <input id={`link-${i}`} name="organization" required size={14} />
                      <button type="submit">Link</button>
                    </form>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}

/** Sign-in: the one-time link's confirmation (its token goes in a POST body, never in a logged path), or the IdP's button. */
export function SignInPage(props: { link: string | null; oidc: { label: string } | null; embedded: boolean }) {
  return (
    <Layout title="Sign in" chrome={{ session: null, csrf: null }}>
      {props.link ? (
        <form method="post" action="/console/sign-in">
          <input type="hidden" name="link" value={props.link} />
          <p>This link signs you in once. It came from the terminal that started ssomigrate.</p>
          <button type="submit">Sign in</button>
        </form>
      ) : null}
      {props.oidc ? (
        <p>
          <a class="button" href="/console/auth/oidc/login">
            Sign in with {props.oidc.label}
          </a>
        </p>
      ) : null}
      {!props.link && props.embedded ? <p>Open the one-time sign-in link ssomigrate printed when it started (restart it for a new one).</p> : null}
      {!props.link && !props.oidc && !props.embedded ? <p>No sign-in is configured: set the CONSOLE_OIDC_* settings to sign operators in with your identity provider.</p> : null}
    </Layout>
  );
}

/** A page that only says something (a refusal, a used link, a landing). */
export function MessagePage(props: { chrome: Chrome; title: string; message: string; link?: { href: string; label: string } }) {
  return (
    <Layout title={props.title} chrome={props.chrome}>
      <p>{props.message}</p>
      {props.link ? (
        <p>
          <a href={props.link.href}>{props.link.label}</a>
        </p>
      ) : null}
    </Layout>
  );
}
