import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, signIn, type Session } from '../api.js';
import { Alert } from '../page-parts.js';

/** GET /api/v1/session/methods: an API key always; Entra ID when the service is configured for it. */
interface SignInMethods {
  readonly apiKey: true;
  readonly entra: { readonly signInPath: string } | null;
}

/**
 * Why a sign-in with Entra ID came back without a session: the service redirects to /ui/?signin_error=<code>.
 * Plain words for each code; the service log has the details.
 */
const ENTRA_ERRORS: Readonly<Record<string, string>> = {
  no_role:
    'Your Entra ID account has none of the ImageWarden app roles (ImageWarden.Auditor, ImageWarden.Operator or ImageWarden.Admin). Ask an administrator to assign you one in the imagewarden enterprise application, then sign in again.',
  access_denied: 'Sign-in with Entra ID was cancelled or declined. Try again, or use an API key.',
  signin_state_mismatch:
    'This sign-in could not be matched to this browser: it was started in another window or browser, or cookies are blocked for this site. Start again from this page.',
  signin_expired: 'The sign-in took longer than 10 minutes or was already used. Start again.',
  signin_nonce_mismatch: "Entra ID's answer did not belong to this sign-in. Start again.",
  token_exchange_failed:
    'Entra ID did not accept this service\'s request to complete the sign-in. Try again; if it keeps failing, an administrator should check the app registration (redirect URI, client secret).',
  token_rejected:
    'Entra ID signed you in, but issued a token this service does not accept (another audience or tenant). An administrator should check IMAGEWARDEN_ENTRA_SCOPE and IMAGEWARDEN_ENTRA_AUDIENCE.',
  identity_provider_unavailable: 'Entra ID could not be reached. Try again in a moment.',
  rate_limited: 'Too many failed sign-in attempts from this address. Wait a minute, then try again.',
  entra_error: 'Entra ID could not sign you in. Try again; if it keeps failing, an administrator will find Entra ID\'s reason in the service log.',
};

/** The message for `?signin_error=` in the address, if any (a code this page does not know gets a general one). */
function entraErrorOf(search: string): string | null {
  const code = new URLSearchParams(search).get('signin_error');
  if (code === null) return null;
  return ENTRA_ERRORS[code] ?? `Sign-in with Entra ID failed${/^[a-z_]{1,64}$/.test(code) ? ` (${code})` : ''}. Try again.`;
}

/** What a failed sign-in means, in plain words; the API's own message follows. */
function explain(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Sign-in failed unexpectedly. Try again.';
  switch (error.status) {
    case 0:
      return error.message;
    case 401:
      return 'This API key was not accepted: it is unknown, revoked or expired.';
    case 403:
      return `This credential is valid but may not use imagewarden: ${error.message}`;
    case 429:
      return 'Too many sign-in attempts. Wait a minute, then try again.';
    default:
      return `Sign-in failed (${error.status}): ${error.message}`;
  }
}

export function SignIn({ notice, onSignedIn }: { notice: string | undefined; onSignedIn: (session: Session) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [entraError] = useState(() => entraErrorOf(window.location.search));
  const [methods, setMethods] = useState<SignInMethods | null>(null);

  useEffect(() => {
    // Shown once: a reload or a bookmark of this address must not repeat an old failure.
    if (new URLSearchParams(window.location.search).has('signin_error')) {
      const rest = new URLSearchParams(window.location.search);
      rest.delete('signin_error');
      const search = rest.toString();
      window.history.replaceState(window.history.state, '', `${window.location.pathname}${search === '' ? '' : `?${search}`}${window.location.hash}`);
    }
    // Without an answer, only the API key is offered: it always works.
    get<SignInMethods>('/api/v1/session/methods').then(setMethods, () => setMethods(null));
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    const apiKey = key.trim();
    if (apiKey === '') {
      setError('Enter an API key.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const session = await signIn(apiKey);
      setKey('');
      onSignedIn(session);
    } catch (failure) {
      setError(explain(failure));
      setBusy(false);
    }
  };

  return (
    <main id="main" class="narrow">
      <h1>Sign in</h1>
      {notice ? <p class="notice">{notice}</p> : null}
      <Alert testId="signin-error">{entraError}</Alert>
      {methods?.entra ? (
        <>
          {/* A plain navigation: the service runs the whole exchange with Entra ID, and no token reaches this page. */}
          <p>
            <a class="button-link" href={methods.entra.signInPath}>
              Sign in with Microsoft Entra ID
            </a>
          </p>
          <p class="hint">Or sign in with an API key:</p>
        </>
      ) : null}
      <form class="sign-in" onSubmit={(event) => void submit(event)} noValidate>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autocomplete="off"
          autocapitalize="off"
          spellcheck={false}
          value={key}
          onInput={(event) => setKey((event.target as HTMLInputElement).value)}
          aria-describedby="api-key-hint"
          aria-invalid={error !== null}
          required
        />
        <p id="api-key-hint" class="hint">
          An imagewarden API key (<code>imagewarden keys create</code>). It is exchanged for a session cookie and not stored by this page.
        </p>
        {error !== null ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
