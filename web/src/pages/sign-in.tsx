import { useState } from 'preact/hooks';
import { ApiError, signIn, type Session } from '../api.js';

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
