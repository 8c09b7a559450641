/**
 * @module The signed-in account: who, which role and which permissions (from GET /auth/session). Pages
 * hide what the account may not do; the server refuses it anyway.
 */
import { createContext, useContext } from 'react';

export interface Session {
  name: string;
  role: string | null;
  permissions: ReadonlySet<string>;
  expiresAt: string | null;
  /** This Vigil requires a second factor and the account has none: it may only enrol one. */
  mfaEnrolmentRequired: boolean;
  /** `sso`: signed in through the identity provider, which keeps the password and second factor. */
  signIn: 'password' | 'sso' | null;
}

export const SessionContext = createContext<{
  session: Session;
  logout: () => void;
  /** Reads the session again (after a change to the account's second factor). */
  refresh: () => void;
} | null>(null);

export function useSession() {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside the signed-in app');
  return s;
}

/** Whether the signed-in account holds a permission (e.g. `tasks:write`). */
export function useCan(): (permission: string) => boolean {
  const { session } = useSession();
  return (p) => session.permissions.has(p);
}
