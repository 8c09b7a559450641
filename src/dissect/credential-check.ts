/**
 * @module The hook through which the cleartext-login dissectors (FTP, Telnet, HTTP Basic, MQTT) let a
 * caller compare a login against known default credentials while the password is still in memory. The
 * dissectors never keep or report the password; they report only what the check returned.
 */

/**
 * Called once per login with the user name (when the protocol has one) and the password bytes, which are
 * valid only during the call. Returns the id of the matching default-credential entry, or undefined.
 */
export type CredentialCheck = (username: string | undefined, password: Uint8Array) => string | undefined;
