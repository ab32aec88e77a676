/** The package ships no types: a samlify schema validator, checking a message against the SAML XSDs. */
declare module "@authenio/samlify-xmllint-wasm" {
  export function validate(xml: string): Promise<boolean>;
}
