import type { Context } from "hono";
import { html } from "hono/html";

/** Every way an OIDC sign-in can fail, each with the page the person sees. */
export type SignInFault =
  | "access_denied"
  | "idp_error"
  | "no_sign_in"
  | "expired"
  | "bad_state"
  | "replayed"
  | "code_refused"
  | "nonce_mismatch"
  | "idp_bad_answer"
  | "idp_refused"
  | "idp_timeout"
  | "idp_unreachable"
  | "no_role"
  | "bad_subject";

export type SignInErrorPage = { status: 400 | 403 | 502 | 504; reason: SignInFault; title: string; message: string };

/** Renders a refused sign-in (the console may pass its own, in its layout); it never shows a code, a token or the IdP's free text. */
export type RenderSignInError = (c: Context, page: SignInErrorPage) => Response | Promise<Response>;

const START_AGAIN = "Start again from the console's sign-in page.";

/** Status: 400 what this browser sent does not belong to a sign-in in progress; 403 a person refused; 502/504 the IdP. */
export const SIGN_IN_FAULTS: Record<SignInFault, Omit<SignInErrorPage, "reason">> = {
  access_denied: { status: 403, title: "Sign-in cancelled", message: "The identity provider did not sign you in (access denied): you cancelled, or it does not allow you to use this console." },
  idp_error: { status: 502, title: "Sign-in failed at the identity provider", message: `The identity provider answered with an error instead of signing you in. ${START_AGAIN} If it happens again, tell the people who run the identity provider.` },
  no_sign_in: { status: 400, title: "No sign-in in progress", message: `This browser has no sign-in waiting for this answer (it was started in another browser, or cookies are blocked for this site). ${START_AGAIN}` },
  expired: { status: 400, title: "Sign-in took too long", message: `A sign-in must be completed within 10 minutes. ${START_AGAIN}` },
  bad_state: { status: 400, title: "Sign-in does not match", message: `This answer from the identity provider belongs to another sign-in than the one this browser started. ${START_AGAIN}` },
  replayed: { status: 400, title: "Sign-in already used", message: `This sign-in answer has already been used once; it cannot be used again. ${START_AGAIN}` },
  code_refused: { status: 400, title: "Sign-in code refused", message: `The identity provider refused the sign-in code (it expired or was already used). ${START_AGAIN}` },
  nonce_mismatch: { status: 400, title: "Sign-in does not match", message: `The identity provider's ID token was not issued for the sign-in this browser started. ${START_AGAIN}` },
  idp_bad_answer: { status: 502, title: "Identity provider's answer refused", message: "The identity provider's answer did not pass the console's checks (issuer, audience, signature, expiry). Tell the people who run the console." },
  idp_refused: { status: 502, title: "Identity provider refused the console", message: "The identity provider refused the console's request (its client registration or secret). Tell the people who run the console." },
  idp_timeout: { status: 504, title: "Identity provider not answering", message: "The identity provider did not answer in time. Try again in a moment; if it persists, it is down or unreachable from the console." },
  idp_unreachable: { status: 502, title: "Identity provider unreachable", message: "The console could not reach the identity provider. Try again in a moment; if it persists, it is down or unreachable from the console." },
  no_role: { status: 403, title: "No access to this console", message: "You are signed in at the identity provider, but none of your groups or roles gives access to this console. Ask its administrators for a role." },
  bad_subject: { status: 403, title: "Account cannot be recorded", message: "Your account's email or identifier cannot be recorded as the actor of console actions (too long, or it contains control or invisible characters). Ask the identity provider's administrators." },
};

export function signInErrorPage(reason: SignInFault): SignInErrorPage {
  return { reason, ...SIGN_IN_FAULTS[reason] };
}

/** The default page: plain, self-contained (no script, no external resource), with a way back. */
export const defaultSignInErrorPage: RenderSignInError = (c, page) =>
  c.html(
    html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${page.title} · ssomigrate console</title>
  </head>
  <body>
    <main>
      <h1>${page.title}</h1>
      <p>${page.message}</p>
      ${page.reason === "no_role" || page.reason === "bad_subject" ? "" : html`<p><a href="login">Sign in again</a></p>`}
    </main>
  </body>
</html>`,
    page.status,
  );
