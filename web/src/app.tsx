import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, currentSession, get, signOut, whenSessionLost, type Session } from './api.js';
import type { FunctionComponent } from 'preact';
import type { PageProps } from './page.js';
import { EvidencePage } from './pages/evidence.js';
import { ExceptionsPage } from './pages/exceptions.js';
import { FindingsPage } from './pages/findings.js';
import { Overview } from './pages/overview.js';
import { PoolsPage } from './pages/pools.js';
import { ReportsPage } from './pages/reports.js';
import { SignIn } from './pages/sign-in.js';
import { UpgradesPage } from './pages/upgrades.js';
import { BASE, onLinkClick, usePage } from './router.js';
import type { Me } from './types.js';

/** Every page of the dashboard, in the navigation's order: its first path segment below /ui/, and what renders it. */
export const PAGES: readonly { page: string; label: string; component: FunctionComponent<PageProps> }[] = [
  { page: '', label: 'Overview', component: ({ role, headingRef }) => <Overview role={role} headingRef={headingRef} /> },
  { page: 'pools', label: 'Pools', component: PoolsPage },
  { page: 'findings', label: 'Findings', component: FindingsPage },
  { page: 'exceptions', label: 'Exceptions', component: ExceptionsPage },
  { page: 'reports', label: 'Reports', component: ReportsPage },
  { page: 'upgrades', label: 'Upgrades', component: UpgradesPage },
  { page: 'evidence', label: 'Evidence', component: EvidencePage },
];

type State =
  | { readonly kind: 'checking' }
  | { readonly kind: 'signed_out'; readonly notice?: string }
  | { readonly kind: 'signed_in'; readonly session: Session; readonly me: Me | null }
  | { readonly kind: 'failed'; readonly message: string };

export function App() {
  const [state, setState] = useState<State>({ kind: 'checking' });

  const enter = useCallback(async (session: Session) => {
    setState({ kind: 'signed_in', session, me: null });
    // Who the API says the caller is, and whether this is demo data (GET /api/v1/me).
    const me = await get<Me>('/api/v1/me').catch(() => null);
    setState((now) => (now.kind === 'signed_in' && now.session === session ? { ...now, me } : now));
  }, []);

  const check = useCallback(async () => {
    setState({ kind: 'checking' });
    try {
      const session = await currentSession();
      if (session) await enter(session);
      else setState({ kind: 'signed_out' });
    } catch (error) {
      setState({ kind: 'failed', message: error instanceof ApiError ? `${error.message} (${error.status || 'no answer'})` : String(error) });
    }
  }, [enter]);

  useEffect(() => {
    void check();
    whenSessionLost(() => setState({ kind: 'signed_out', notice: 'Your session has ended. Sign in again to continue.' }));
    return () => whenSessionLost(null);
  }, [check]);

  const leave = useCallback(async () => {
    await signOut().catch(() => undefined);
    setState({ kind: 'signed_out', notice: 'You are signed out.' });
  }, []);

  switch (state.kind) {
    case 'checking':
      return (
        <Frame>
          <main id="main" class="narrow" aria-busy="true">
            <p>Checking your session…</p>
          </main>
        </Frame>
      );
    case 'failed':
      return (
        <Frame>
          <main id="main" class="narrow">
            <h1>imagewarden is not reachable</h1>
            <p role="alert">{state.message}</p>
            <button type="button" onClick={() => void check()}>
              Try again
            </button>
          </main>
        </Frame>
      );
    case 'signed_out':
      return (
        <Frame>
          <SignIn notice={state.notice} onSignedIn={(session) => void enter(session)} />
        </Frame>
      );
    case 'signed_in':
      return <Shell session={state.session} me={state.me} onSignOut={() => void leave()} />;
  }
}

/** The page's frame before sign-in: the product name only. */
function Frame({ children }: { children: ComponentChildren }) {
  return (
    <>
      <header class="topbar">
        <span class="brand">imagewarden</span>
      </header>
      {children}
    </>
  );
}

function Shell({ session, me, onSignOut }: { session: Session; me: Me | null; onSignOut: () => void }) {
  const path = usePage();
  const [page = '', ...rest] = path.split('/');
  const current = PAGES.find((entry) => entry.page === page);
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);

  useEffect(() => {
    document.title = `${current?.label ?? 'Not found'} · imagewarden`;
    // After a navigation (not the first render), focus goes to the new page's heading, as a page load would put it.
    if (first.current) first.current = false;
    else heading.current?.focus();
  }, [path]);

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href={BASE} onClick={(event) => onLinkClick(event, '')}>
          imagewarden
        </a>
        <div class="who">
          <span>
            Signed in as <strong data-testid="actor">{session.actor}</strong>{' '}
            <span class="role" data-testid="role">
              {session.role}
            </span>
          </span>
          <button type="button" class="secondary" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      {me?.demo ? (
        <p class="demo-banner" role="note">
          <strong>Demo data.</strong> This service runs against the built-in ARM emulator fleet, not a real Azure tenant.
        </p>
      ) : null}
      <nav aria-label="Main">
        <ul>
          {PAGES.map((entry) => (
            <li key={entry.page}>
              <a href={`${BASE}${entry.page}`} aria-current={entry.page === page ? 'page' : undefined} onClick={(event) => onLinkClick(event, entry.page)}>
                {entry.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {current === undefined ? (
          <>
            <h1 ref={heading} tabIndex={-1}>
              Page not found
            </h1>
            <p>
              There is no page at <code>{window.location.pathname}</code>. <a href={BASE} onClick={(event) => onLinkClick(event, '')}>Go to the overview</a>.
            </p>
          </>
        ) : (
          <current.component key={page} role={session.role} actor={session.actor} headingRef={heading} subpath={rest.join('/')} />
        )}
      </main>
      <footer>
        <a href="/docs">API description</a> · times in UTC
      </footer>
    </>
  );
}
