/**
 * @module Why a single sign-on did not end in a session. Its own module without imports, because the
 * dashboard shows the same sentences (`/?ssoError=CODE`) and must not bundle the OpenID client.
 */
/** Shown to the person; the audit log and the server log keep the details. */
export const SSO_ERRORS = {
  unavailable: 'The identity provider could not be reached or its configuration is unusable',
  expired: 'The sign-in took too long or was started in another browser window; start again',
  denied: 'The identity provider did not sign you in',
  token: "The identity provider's answer could not be verified",
  'no-role': 'Your account is in none of the groups given access to Vigil; ask your Vigil administrator',
  'no-username': 'The identity provider did not send a usable user name',
  'name-taken': 'A Vigil account with your user name already exists and is not linked to single sign-on',
  disabled: 'Your Vigil account is disabled',
  'mfa-required': 'Vigil requires a multi-factor sign-in, and the identity provider did not report one',
} as const;
export type SsoErrorCode = keyof typeof SSO_ERRORS;
