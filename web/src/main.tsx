/**
 * @module The dashboard's entry: finds out whether a session exists (GET /auth/session), shows the login
 * form (or, on a fresh install, the first-run form) or the shell, and loads each page as its own chunk.
 */
import { lazy, StrictMode, Suspense, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiError, api, ok, setCsrfToken, setUnauthorizedHandler } from './api.js';
import { Shell } from './components/shell.js';
import { ErrorMessage, Loading } from './components/ui.js';
import { LoginPage } from './pages/login-page.js';
import { SetupPage } from './pages/setup-page.js';
import { useLocation } from './router.js';
import { type Session, SessionContext } from './session.js';
import './styles.css';

const OverviewPage = lazy(() => import('./pages/overview-page.js'));
const InventoryPage = lazy(() => import('./pages/inventory-page.js'));
const DevicePage = lazy(() => import('./pages/device-page.js'));
const QueuePage = lazy(() => import('./pages/queue-page.js'));
const VulnerabilitiesPage = lazy(() => import('./pages/vulnerabilities-page.js'));
const TasksPage = lazy(() => import('./pages/tasks-page.js'));
const AlertsPage = lazy(() => import('./pages/alerts-page.js'));
const AdminPage = lazy(() => import('./pages/admin-page.js'));
const ImportPage = lazy(() => import('./pages/import-page.js'));
const NetworkPage = lazy(() => import('./pages/network-page.js'));
const ProgramPage = lazy(() => import('./pages/program-page.js'));
const AccountPage = lazy(() => import('./pages/account-page.js'));

function Page() {
  const { path } = useLocation();
  const device = /^\/devices\/([^/]+)$/.exec(path);
  if (device) return <DevicePage id={decodeURIComponent(device[1]!)} />;
  const vuln = /^\/vulnerabilities\/([^/]+)$/.exec(path);
  if (vuln) return <VulnerabilitiesPage id={decodeURIComponent(vuln[1]!)} />;
  if (path === '/network' || path.startsWith('/network/')) return <NetworkPage />;
  if (path === '/program' || path.startsWith('/program/')) return <ProgramPage />;
  if (path === '/admin' || path.startsWith('/admin/')) return <AdminPage />;
  if (path === '/alerts' || path.startsWith('/alerts/')) return <AlertsPage />;
  switch (path) {
    case '/':
      return <OverviewPage />;
    case '/inventory':
      return <InventoryPage />;
    case '/vulnerabilities':
      return <VulnerabilitiesPage />;
    case '/queue':
      return <QueuePage />;
    case '/tasks':
      return <TasksPage />;
    case '/import':
      return <ImportPage />;
    case '/account':
      return <AccountPage />;
    default:
      return (
        <>
          <h1>Not found</h1>
          <p>There is no page at {path}.</p>
        </>
      );
  }
}

async function loadSession(): Promise<Session | null> {
  try {
    const s = await ok(api().auth.session.$get());
    setCsrfToken(s.csrfToken);
    return {
      name: s.actor.name,
      role: s.actor.role,
      permissions: new Set(s.actor.permissions),
      expiresAt: s.expiresAt,
      mfaEnrolmentRequired: s.actor.mfaEnrolmentRequired,
      signIn: s.actor.signIn,
    };
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

/** Whether the first admin still has to be created (GET /setup, public). */
async function setupNeeded(): Promise<boolean> {
  return (await ok(api().setup.$get())).needed;
}

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [setup, setSetup] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const refresh = useCallback(() => {
    loadSession()
      .then(async (s) => {
        // Without a session, a fresh install offers the first-run form instead of a login nobody has.
        setSetup(s === null && (await setupNeeded()));
        setSession(s);
      })
      .catch(setError);
  }, []);
  useEffect(() => {
    setUnauthorizedHandler(() => {
      setCsrfToken(null);
      // While the first load is still finding out (no session yet), `refresh` decides what to show.
      setSession((was) => (was === undefined ? undefined : null));
    });
    refresh();
  }, [refresh]);

  const logout = useCallback(() => {
    ok(api().auth.logout.$post())
      .then((body) => {
        // A single sign-on session with oidcSignOutAtProvider (200, not 204): sign out at the provider too.
        if (body?.providerLogoutUrl) window.location.assign(body.providerLogoutUrl);
      })
      .finally(() => {
        setCsrfToken(null);
        setSession(null);
      });
  }, []);

  if (error) return <ErrorMessage error={error} />;
  if (session === undefined) return <Loading what="Vigil" />;
  if (session === null && setup)
    return <SetupPage onSignedIn={refresh} onAlreadySetUp={() => setSetup(false)} />;
  if (session === null) return <LoginPage onLoggedIn={refresh} />;
  return (
    <SessionContext.Provider value={{ session, logout, refresh }}>
      {session.mfaEnrolmentRequired ? (
        // Nothing else answers until the account has a second factor (requireMfa).
        <main id="main" className="enrol">
          <Suspense fallback={<Loading what="the page" />}>
            <AccountPage />
          </Suspense>
        </main>
      ) : (
        <Shell>
          <Suspense fallback={<Loading what="the page" />}>
            <Page />
          </Suspense>
        </Shell>
      )}
    </SessionContext.Provider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
