/** @jsxImportSource hono/jsx */
import { organizationIdOf, type RecordedEvent } from "../../shared/events.ts";
import type { OrganizationView } from "../../db/organization-projection.ts";
import type { ProviderHealth } from "../commands/health-report.ts";
import { describeEvent } from "./describe-event.ts";
import { Layout, pct, ProblemNotice, Time, type Chrome } from "./layout.tsx";
import { EventHead } from "./overview.tsx";
import { ConfirmPage } from "./confirm-page.tsx";

export const ACTIONS = ["migrate", "rollback", "preflight"] as const;
export type Action = (typeof ACTIONS)[number];

export type OrganizationHealth = {
  providers: ProviderHealth[];
  lastMigration: { at: string; from: string | null; to: string | null; before: ProviderHealth[]; after: ProviderHealth[] } | null;
};

export function EventRows(props: { events: readonly RecordedEvent[]; withOrganization?: boolean }) {
  return (
    <>
      {props.events.map((e) => {
        const org = e.streamId.startsWith("organization-") ? organizationIdOf(e.streamId) : null;
        return (
          <tr>
            <td>
              <Time at={e.recordedAt} />
            </td>
            {props.withOrganization ? <td>{org ? <a href={`/console/organizations/${encodeURIComponent(org)}`}>{org}</a> : e.streamId}</td> : null}
            <td>{describeEvent(e)}</td>
            <td>{e.metadata.actor}</td>
            <td>{e.metadata.reason ?? ""}</td>
            <td>{e.position}</td>
          </tr>
        );
      })}
    </>
  );
}

function HealthTable(props: { caption: string; rows: ProviderHealth[] }) {
  return (
    <table>
      <caption>{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Provider</th>
          <th scope="col">Started</th>
          <th scope="col">Succeeded</th>
          <th scope="col">Failed</th>
          <th scope="col">Abandoned</th>
          <th scope="col">Success</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.length === 0 ? (
          <tr>
            <td colspan={6}>No logins counted.</td>
          </tr>
        ) : (
          props.rows.map((p) => (
            <tr>
              <th scope="row">{p.provider}</th>
              <td>{p.started}</td>
              <td>{p.succeeded}</td>
              <td>{p.failed}</td>
              <td>{p.abandoned}</td>
              <td>{pct(p.successRate)}</td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}

export function OrganizationPage(props: {
  chrome: Chrome;
  organization: OrganizationView;
  events: RecordedEvent[];
  health: OrganizationHealth | null;
  providers: string[];
  defaultTarget: string;
  canWrite: boolean;
  done?: string | null;
}) {
  const o = props.organization;
  const base = `/console/organizations/${encodeURIComponent(o.id)}`;
  const rollbackTo = o.rollbackTo.at(-1) ?? null;
  const destinations = props.providers.filter((p) => p !== o.provider);
  const csrf = props.chrome.csrf ?? "";
  return (
    <Layout title={`${o.name} (${o.id})`} chrome={props.chrome}>
      {props.done ? (
        <div class="notice ok" role="status">
          <p>{props.done}</p>
        </div>
      ) : null}
      <section aria-labelledby="route-heading">
        <h2 id="route-heading">Route</h2>
        <dl class="facts">
          <dt>Current provider</dt>
          <dd id="current-provider">{o.provider}</dd>
          <dt>A rollback would go to</dt>
          <dd>{rollbackTo ?? "nowhere (never migrated)"}</dd>
          <dt>Version</dt>
          <dd>{o.version}</dd>
          <dt>Tags</dt>
          <dd>{o.tags.length === 0 ? "none" : o.tags.join(", ")}</dd>
        </dl>
      </section>

      <section aria-labelledby="identifiers-heading">
        <h2 id="identifiers-heading">Identifiers</h2>
        <table>
          <caption>How traffic finds this organization</caption>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {o.identifiers.map((i) => (
              <tr>
                <td>{i.kind}</td>
                <td>{i.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      {props.canWrite ? (
        <section aria-labelledby="actions-heading">
          <h2 id="actions-heading">Actions</h2>
          <p>Each action asks for a reason, then for confirmation; it is recorded with your name in the audit log.</p>
          <div class="actions">
            {destinations.length > 0 ? (
              <form method="post" action={`${base}/confirm`} class="action">
                <h3>Migrate</h3>
                <input type="hidden" name="csrf" value={csrf} />
                <input type="hidden" name="action" value="migrate" />
                <label for="migrate-to">To provider</label>
                <select id="migrate-to" name="to">
                  {destinations.map((p) => (
                    <option value={p} selected={p === props.defaultTarget}>
                      {p}
                    </option>
                  ))}
                </select>
                <label for="migrate-reason">Reason</label>
                <input id="migrate-reason" name="reason" required maxlength={500} />
                <button type="submit">Migrate…</button>
              </form>
            ) : null}
            {rollbackTo ? (
              <form method="post" action={`${base}/confirm`} class="action">
                <h3>Roll back</h3>
                <input type="hidden" name="csrf" value={csrf} />
                <input type="hidden" name="action" value="rollback" />
                <p>Back to {rollbackTo}.</p>
                <label for="rollback-reason">Reason</label>
                <input id="rollback-reason" name="reason" required maxlength={500} />
                <button type="submit">Roll back…</button>
              </form>
            ) : null}
            <form method="post" action={`${base}/confirm`} class="action">
              <h3>Preflight</h3>
              <input type="hidden" name="csrf" value={csrf} />
              <input type="hidden" name="action" value="preflight" />
              <label for="preflight-to">Probe provider</label>
              <select id="preflight-to" name="to">
                {props.providers.map((p) => (
                  <option value={p} selected={p === props.defaultTarget}>
                    {p}
                  </option>
                ))}
              </select>
              <label for="preflight-reason">Reason</label>
              <input id="preflight-reason" name="reason" required maxlength={500} />
              <button type="submit">Preflight…</button>
            </form>
          </div>
        </section>
      ) : (
        <p>You can read this organization; migrating it needs the migrations:write scope.</p>
      )}

      <section aria-labelledby="health-heading">
        <h2 id="health-heading">Login health, last 24 hours</h2>
        {props.health === null ? (
          <p>This command service keeps no login outcomes.</p>
        ) : props.health.lastMigration ? (
          <>
            <p>
              Last migration <Time at={props.health.lastMigration.at} />, from {props.health.lastMigration.from} to {props.health.lastMigration.to}.
            </p>
            <HealthTable caption="Before the last migration" rows={props.health.lastMigration.before} />
            <HealthTable caption="After the last migration" rows={props.health.lastMigration.after} />
          </>
        ) : (
          <HealthTable caption="Never migrated: all logins" rows={props.health.providers} />
        )}
      </section>

      <section aria-labelledby="timeline-heading">
        <h2 id="timeline-heading">Timeline</h2>
        <div id="timeline" data-live="">
          <table>
            <caption>Every event of {o.id}, newest first</caption>
            <EventHead />
            <tbody>
              <EventRows events={props.events} />
            </tbody>
          </table>
        </div>
      </section>
    </Layout>
  );
}

const VERBS: Record<Action, string> = { migrate: "Migrate", rollback: "Roll back", preflight: "Preflight" };

/** The second step: what will happen, the reason given, and one button that does it (once: the form carries its idempotency key). */
export function OrganizationConfirmPage(props: { chrome: Chrome; organization: OrganizationView; action: Action; reason: string; to: string | null; idempotencyKey: string }) {
  const o = props.organization;
  const base = `/console/organizations/${encodeURIComponent(o.id)}`;
  const what =
    props.action === "migrate"
      ? `Move ${o.id} from ${o.provider} to ${props.to}. Its logins start going to ${props.to} within milliseconds.`
      : props.action === "rollback"
        ? `Move ${o.id} back from ${o.provider} to ${o.rollbackTo.at(-1)}.`
        : `Probe ${props.to} with the requests ${o.id}'s users would send, and record the result.`;
  return (
    <ConfirmPage
      chrome={props.chrome}
      title={`${VERBS[props.action]} ${o.id}?`}
      what={what}
      reason={props.reason}
      action={`${base}/${props.action}`}
      verb={VERBS[props.action]}
      cancel={base}
      hidden={{ idempotencyKey: props.idempotencyKey, ...(props.to ? { to: props.to } : {}) }}
    />
  );
}

export function ApiRefusalPage(props: { chrome: Chrome; title: string; code: string; detail: string; back: string }) {
  return (
    <Layout title={props.title} chrome={props.chrome}>
      <ProblemNotice code={props.code} detail={props.detail} />
      <p>
        <a href={props.back}>Back</a>
      </p>
    </Layout>
  );
}
