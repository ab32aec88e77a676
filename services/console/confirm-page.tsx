/** @jsxImportSource hono/jsx */
import type { Child } from "hono/jsx";
import { Layout, type Chrome } from "./layout.tsx";

/**
 * The second step of every write: what will happen, the reason and who it will be recorded as,
 * then one button that posts the form (with the session's CSRF token) to the action's route.
 */
export function ConfirmPage(props: { chrome: Chrome; title: string; what: string; reason: string; action: string; verb: string; cancel: string; hidden?: Record<string, string>; children?: Child }) {
  return (
    <Layout title={props.title} chrome={props.chrome}>
      <p>{props.what}</p>
      <dl class="facts">
        <dt>Reason</dt>
        <dd>{props.reason}</dd>
        <dt>Recorded as</dt>
        <dd>{props.chrome.session?.subject}</dd>
      </dl>
      <form method="post" action={props.action}>
        <input type="hidden" name="csrf" value={props.chrome.csrf ?? ""} />
        <input type="hidden" name="reason" value={props.reason} />
        {Object.entries(props.hidden ?? {}).map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
        {props.children}
        <button type="submit" class="danger">
          Confirm: {props.verb.toLowerCase()}
        </button>{" "}
        <a href={props.cancel}>Cancel</a>
      </form>
    </Layout>
  );
}
