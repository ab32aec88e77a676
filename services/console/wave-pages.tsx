/** @jsxImportSource hono/jsx */
import type { WaveView } from "../../db/wave-projection.ts";
import type { PlannedWave } from "../../shared/wave.ts";
import { ConfirmPage } from "./confirm-page.tsx";
import { Layout, Time, type Chrome } from "./layout.tsx";

export const WAVE_ACTIONS = ["pause", "resume", "abort"] as const;
export type WaveAction = (typeof WAVE_ACTIONS)[number];
const VERBS: Record<WaveAction, string> = { pause: "Pause", resume: "Resume", abort: "Abort" };

/** What an operator may do with a wave in its state (the API refuses the rest; the page does not offer it). */
export function actionsFor(wave: PlannedWave): WaveAction[] {
  if (wave.status === "running") return ["pause", "abort"];
  if (wave.status === "paused") return ["resume", "abort"];
  return [];
}

export function WavesPage(props: { chrome: Chrome; waves: WaveView[]; canWrite: boolean; done: string | null }) {
  const csrf = props.chrome.csrf ?? "";
  return (
    <Layout title="Waves" chrome={props.chrome}>
      {props.done ? (
        <p role="status" class="notice">
          {props.done}
        </p>
      ) : null}
      <table>
        <caption>{props.waves.length === 0 ? "No wave planned yet (plan one with ssomig waves plan or POST /v1/waves)" : `${props.waves.length} wave(s)`}</caption>
        <thead>
          <tr>
            <th scope="col">Wave</th>
            <th scope="col">Status</th>
            <th scope="col">To</th>
            <th scope="col">Organizations</th>
            <th scope="col">Batches done</th>
            <th scope="col">Last pause</th>
            <th scope="col">Updated</th>
            {props.canWrite ? <th scope="col">Action</th> : null}
          </tr>
        </thead>
        <tbody>
          {props.waves.map((w) => {
            const actions = actionsFor(w.state);
            const reasonId = `reason-${w.state.id}`;
            return (
              <tr>
                <th scope="row">
                  {w.state.name} ({w.state.id})
                </th>
                <td>{w.state.status}</td>
                <td>{w.state.to}</td>
                <td>{w.state.organizations.length}</td>
                <td>
                  {w.state.batches.filter((b) => b.soaked).length} of {Math.ceil(w.state.organizations.length / w.state.batchSize)}
                </td>
                <td>{w.state.pauses.at(-1) ? `${w.state.pauses.at(-1)!.by}: ${w.state.pauses.at(-1)!.reason}` : ""}</td>
                <td>
                  <Time at={w.updatedAt} />
                </td>
                {props.canWrite ? (
                  <td>
                    {actions.length > 0 ? (
                      <form method="post" action={`/console/waves/${encodeURIComponent(w.state.id)}/confirm`} class="inline">
                        <input type="hidden" name="csrf" value={csrf} />
                        <label for={reasonId}>Reason</label>
                        <input id={reasonId} name="reason" required maxlength={500} />
                        {actions.map((a) => (
                          <button type="submit" name="action" value={a}>
                            {VERBS[a]}…
                          </button>
                        ))}
                      </form>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
    </Layout>
  );
}

/** The second step: what the action will do, then the API's own route as the operator. */
export function WaveConfirmPage(props: { chrome: Chrome; wave: PlannedWave; action: WaveAction; reason: string }) {
  const w = props.wave;
  const what = {
    pause: `Pause wave ${w.name} (${w.id}): no further batch starts until it is resumed. Organizations already moved stay where they are.`,
    resume: `Resume wave ${w.name} (${w.id}): the runner starts its next batch.`,
    abort: `Abort wave ${w.name} (${w.id}): no further batch starts, ever.`,
  }[props.action];
  return (
    <ConfirmPage
      chrome={props.chrome}
      title={`${VERBS[props.action]} wave ${w.id}?`}
      what={what}
      reason={props.reason}
      action={`/console/waves/${encodeURIComponent(w.id)}/${props.action}`}
      verb={VERBS[props.action]}
      cancel="/console/waves"
    >
      {props.action === "abort" ? (
        <p>
          <input type="checkbox" id="roll-back" name="rollBack" value="yes" />{" "}
          <label for="roll-back">Also roll back every organization this wave moved (each as a rollback event with this reason)</label>
        </p>
      ) : null}
    </ConfirmPage>
  );
}
