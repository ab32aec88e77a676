/** @jsxImportSource hono/jsx */
import type { RecordedEvent } from "../../shared/events.ts";
import type { StoredUnmatched } from "../../db/unmatched-store.ts";
import type { WaveView } from "../../db/wave-projection.ts";
import { describeEvent } from "./describe-event.ts";
import { Layout, pct, RateChart, Share, Time, type Chrome } from "./layout.tsx";
import { EventRows } from "./organization.tsx";

export type OverviewData = {
  /** Organizations per provider, every configured provider present. */
  byProvider: { provider: string; organizations: number; role: "legacy" | "target" | "other" }[];
  target: string;
  /** Per provider: success rate per hour over the last day, oldest first; and the day's rate. */
  fleet: { provider: string; hourly: (number | null)[]; day: number | null; started: number }[];
  recent: RecordedEvent[];
  guardRollbacks: RecordedEvent[];
  unmatched: StoredUnmatched[] | null;
  pausedWaves: WaveView[];
};

export function OverviewPage(props: { chrome: Chrome; data: OverviewData }) {
  const { data } = props;
  const total = data.byProvider.reduce((n, p) => n + p.organizations, 0);
  const onTarget = data.byProvider.find((p) => p.provider === data.target)?.organizations ?? 0;
  const alerts = data.guardRollbacks.length + (data.unmatched?.length ?? 0) + data.pausedWaves.length;
  return (
    <Layout title="Overview" chrome={props.chrome}>
      <section aria-labelledby="progress-heading">
        <h2 id="progress-heading">Migration progress</h2>
        <Share id="share-target" label={`Moved to ${data.target}`} part={onTarget} whole={total} />
        <table>
          <caption>Organizations per provider</caption>
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Role</th>
              <th scope="col">Organizations</th>
            </tr>
          </thead>
          <tbody>
            {data.byProvider.map((p) => (
              <tr>
                <th scope="row">
                  <a href={`/console/organizations?provider=${encodeURIComponent(p.provider)}`}>{p.provider}</a>
                </th>
                <td>{p.role}</td>
                <td>{p.organizations}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section aria-labelledby="alerts-heading">
        <h2 id="alerts-heading">Alerts</h2>
        {alerts === 0 ? <p>Nothing needs attention.</p> : null}
        {data.guardRollbacks.length > 0 ? (
          <ul class="alerts">
            {data.guardRollbacks.map((e) => (
              <li>
                Guard rolled back <a href={`/console/organizations/${encodeURIComponent(String((e.data as { organizationId: string }).organizationId))}`}>{(e.data as { organizationId: string }).organizationId}</a> at <Time at={e.recordedAt} />: {e.metadata.reason}
              </li>
            ))}
          </ul>
        ) : null}
        {data.pausedWaves.length > 0 ? (
          <ul class="alerts">
            {data.pausedWaves.map((w) => (
              <li>
                Wave <a href="/console/waves">{w.state.id}</a> is paused: {w.state.pauses.at(-1)?.reason ?? "no reason given"}
              </li>
            ))}
          </ul>
        ) : null}
        {data.unmatched && data.unmatched.length > 0 ? (
          <p>
            Traffic from {data.unmatched.length === 5 ? "at least 5" : data.unmatched.length} unregistered identifier(s), for example {data.unmatched[0]!.kind} {data.unmatched[0]!.value} ({data.unmatched[0]!.count} requests): <a href="/console/unmatched">see unmatched traffic</a>.
          </p>
        ) : null}
      </section>

      <section aria-labelledby="fleet-heading">
        <h2 id="fleet-heading">Fleet login success, last 24 hours</h2>
        {data.fleet.length === 0 ? <p>No login outcomes recorded yet.</p> : null}
        <ul class="fleet">
          {data.fleet.map((f) => (
            <li>
              <span class="provider">{f.provider}</span> <RateChart label={`${f.provider} login success per hour`} points={f.hourly} /> <span>{pct(f.day)} of {f.started} logins</span>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="recent-heading">
        <h2 id="recent-heading">Recent events</h2>
        <div id="recent-events" data-live="">
          <table>
            <caption>The last {data.recent.length} events, newest first</caption>
            <EventHead withOrganization />
            <tbody>
              <EventRows events={data.recent} withOrganization />
            </tbody>
          </table>
        </div>
        <p>
          <a href="/console/audit">The whole audit log</a>
        </p>
      </section>
    </Layout>
  );
}

export function EventHead(props: { withOrganization?: boolean }) {
  return (
    <thead>
      <tr>
        <th scope="col">When</th>
        {props.withOrganization ? <th scope="col">Organization</th> : null}
        <th scope="col">What</th>
        <th scope="col">Actor</th>
        <th scope="col">Reason</th>
        <th scope="col">Position</th>
      </tr>
    </thead>
  );
}

export { describeEvent };
