import { useEffect, useRef, useState } from 'preact/hooks';
import { get } from '../api.js';
import { count, utc } from '../format.js';
import type { PageProps } from '../page.js';
import { Alert, PageHeading } from '../page-parts.js';
import type { Page } from '../types.js';
import { failureText } from './reports-shared.js';

/** GET /api/v1/evidence/verify (src/http/routes/evidence.ts). */
interface VerifyResult {
  readonly intact: boolean;
  readonly entries: number;
  readonly checkpoints: number;
  readonly anchors: number;
  readonly firstBrokenSequence: number | null;
  readonly head: { readonly size: number; readonly entryHash: string | null; readonly rootHash: string };
  readonly problems: readonly { readonly sequence: number | null; readonly code: string; readonly message: string }[];
}

interface SigningKey {
  readonly keyId: string;
  readonly name: string;
  readonly verifierKey: string;
  readonly publicKeyPem: string;
  readonly notBefore: string;
  readonly notAfter: string | null;
}

interface Checkpoint {
  readonly id: number;
  readonly size: number;
  readonly rootHash: string;
  readonly signedAt: string;
  readonly keyId: string;
  readonly note: string;
}

/** The newest signed checkpoint: the first of the newest-first listing (null before the first is signed). */
async function latestCheckpoint(): Promise<Checkpoint | null> {
  const answer = await get<Page<Checkpoint>>('/api/v1/evidence/checkpoints?order=desc&limit=1');
  return answer.items[0] ?? null;
}

/** The evidence ledger: verification on request, the newest signed checkpoint, the signing key, and the export. */
export function EvidencePage({ headingRef }: PageProps) {
  return (
    <>
      <PageHeading title="Evidence" headingRef={headingRef} />
      <p class="hint">
        Every evidence-bearing event is an entry of an append-only, hash-chained ledger whose Merkle roots are signed as checkpoints; any later change to history is
        detectable, online here or offline from an export.
      </p>
      <Verify />
      <LatestCheckpoint />
      <PublicKey />
      <Export />
    </>
  );
}

/** Verification recomputes the whole ledger (chain, roots, signatures, digests): only when asked, never on page load. */
function Verify() {
  const [result, setResult] = useState<VerifyResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [at, setAt] = useState<string | null>(null);

  const verify = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult(await get<VerifyResult>('/api/v1/evidence/verify'));
      setAt(new Date().toISOString());
    } catch (failure) {
      setError(failureText(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="verify-title" class="panel">
      <h2 id="verify-title">Ledger verification</h2>
      <p class="hint">
        Verifying recomputes the hash chain, the Merkle roots, every checkpoint signature and the observation digests of the whole ledger, so it runs only when you ask.
      </p>
      <div class="form-actions">
        <button type="button" disabled={busy} onClick={() => void verify()}>
          {busy ? 'Verifying…' : 'Verify the ledger now'}
        </button>
      </div>
      <Alert>{error !== null ? `Could not verify the ledger: ${error}` : null}</Alert>
      <div role="status" aria-busy={busy ? 'true' : undefined}>
        {result !== null ? (
          <div class={`verdict ${result.intact ? 'verdict-intact' : 'verdict-broken'}`} data-testid="verdict">
            <p class="verdict-title" data-testid="verdict-title">
              {result.intact ? 'Intact' : 'Not intact'}
            </p>
            <p>
              {result.intact
                ? `All ${count(result.entries)} entries, ${count(result.checkpoints)} checkpoints and ${count(result.anchors)} anchors check out`
                : `${count(result.problems.length)} problem${result.problems.length === 1 ? '' : 's'} found${result.firstBrokenSequence !== null ? `; the first broken entry is #${result.firstBrokenSequence}` : ''}`}
              {at !== null ? ` (verified ${utc(at)}).` : '.'}
            </p>
          </div>
        ) : null}
      </div>
      {result !== null ? (
        <>
          <dl class="facts">
            <div>
              <dt>Entries</dt>
              <dd data-testid="verify-entries">{count(result.entries)}</dd>
            </div>
            <div>
              <dt>Checkpoints</dt>
              <dd>{count(result.checkpoints)}</dd>
            </div>
            <div>
              <dt>Ledger head (tree size)</dt>
              <dd>{count(result.head.size)}</dd>
            </div>
            <div class="wide">
              <dt>Head entry hash</dt>
              <dd>
                <code class="digest">{result.head.entryHash ?? '—'}</code>
              </dd>
            </div>
            <div class="wide">
              <dt>Head Merkle root</dt>
              <dd>
                <code class="digest">{result.head.rootHash}</code>
              </dd>
            </div>
          </dl>
          {result.problems.length > 0 ? (
            <>
              <h3 id="problems-title" class="sub">
                Problems
              </h3>
              <div class="table-scroll" role="region" aria-labelledby="problems-title" tabIndex={0}>
                <table data-testid="problems">
                  <thead>
                    <tr>
                      <th scope="col" class="num">Entry</th>
                      <th scope="col">Code</th>
                      <th scope="col">What is wrong</th>
                    </tr>
                  </thead>
                  <tbody>
                    {result.problems.map((problem, i) => (
                      <tr key={i}>
                        <td class="num">{problem.sequence === null ? '—' : `#${problem.sequence}`}</td>
                        <td class="mono">{problem.code}</td>
                        <td class="wrap">{problem.message}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

function LatestCheckpoint() {
  const [latest, setLatest] = useState<Checkpoint | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    latestCheckpoint().then(setLatest, (failure: unknown) => setError(failureText(failure)));
  }, []);

  return (
    <section aria-labelledby="checkpoint-title">
      <h2 id="checkpoint-title">Latest signed checkpoint</h2>
      <Alert>{error !== null ? `Could not load the checkpoints: ${error}` : null}</Alert>
      {latest === undefined && error === null ? <p aria-busy="true">Loading the checkpoints…</p> : null}
      {latest === null ? <p>No checkpoint has been signed yet.</p> : null}
      {latest ? (
        <>
          <dl class="facts">
            <div>
              <dt>Ledger size</dt>
              <dd data-testid="checkpoint-size">{count(latest.size)} entries</dd>
            </div>
            <div>
              <dt>Signed</dt>
              <dd>{utc(latest.signedAt)}</dd>
            </div>
            <div>
              <dt>Key id</dt>
              <dd class="mono">{latest.keyId}</dd>
            </div>
            <div class="wide">
              <dt>Merkle root</dt>
              <dd>
                <code class="digest">{latest.rootHash}</code>
              </dd>
            </div>
          </dl>
          <p class="hint">
            Checkpoint #{latest.id}, the newest: a signed note (C2SP tlog-checkpoint, Ed25519).
          </p>
          <pre class="note" tabIndex={0} aria-label="Signed checkpoint note" data-testid="checkpoint-note">
            {latest.note}
          </pre>
        </>
      ) : null}
    </section>
  );
}

/** Copies a text; where the clipboard is not available the text is selected for a manual copy. */
function CopyButton({ text, label, target }: { text: string; label: string; target: string }) {
  const [done, setDone] = useState('');
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone('Copied.');
    } catch {
      const element = document.getElementById(target);
      if (element) window.getSelection()?.selectAllChildren(element);
      setDone('Selected: press Ctrl+C (⌘C) to copy.');
    }
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => setDone(''), 4000);
  };
  return (
    <span class="copy">
      <button type="button" class="secondary small" onClick={() => void copy()}>
        {label}
      </button>
      <span class="status-message" role="status">
        {done}
      </span>
    </span>
  );
}

function PublicKey() {
  const [keys, setKeys] = useState<{ active: SigningKey | null; keys: readonly SigningKey[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    get<{ active: SigningKey | null; keys: readonly SigningKey[] }>('/api/v1/evidence/public-key').then(setKeys, (failure: unknown) => setError(failureText(failure)));
  }, []);
  const active = keys?.active ?? null;
  const older = keys?.keys.filter((key) => key.keyId !== active?.keyId) ?? [];

  return (
    <section aria-labelledby="key-title">
      <h2 id="key-title">Checkpoint signing key</h2>
      <Alert>{error !== null ? `Could not load the public key: ${error}` : null}</Alert>
      {keys === null && error === null ? <p aria-busy="true">Loading the public key…</p> : null}
      {keys !== null && active === null ? <p>No active signing key is registered.</p> : null}
      {active !== null ? (
        <>
          <p class="hint">
            Key <span class="mono">{active.name}</span> (id <span class="mono">{active.keyId}</span>), in use since {utc(active.notBefore)}. Keep a copy outside this
            service: checkpoints signed by it can then be checked by anyone.
          </p>
          <h3 id="verifier-title" class="sub">
            Verifier key (signed note)
          </h3>
          <code id="verifier-key" class="digest key-text" data-testid="verifier-key">
            {active.verifierKey}
          </code>
          <CopyButton text={active.verifierKey} label="Copy verifier key" target="verifier-key" />
          <h3 id="pem-title" class="sub">
            Public key (PEM)
          </h3>
          <pre id="public-key-pem" class="note" tabIndex={0} aria-labelledby="pem-title" data-testid="public-key-pem">
            {active.publicKeyPem.trim()}
          </pre>
          <CopyButton text={active.publicKeyPem} label="Copy PEM public key" target="public-key-pem" />
        </>
      ) : null}
      {older.length > 0 ? (
        <>
          <h3 id="older-keys-title" class="sub">
            Earlier keys
          </h3>
          <ul class="plain">
            {older.map((key) => (
              <li key={key.keyId}>
                <span class="mono">{key.keyId}</span>: {utc(key.notBefore)} to {utc(key.notAfter)}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

function Export() {
  return (
    <section aria-labelledby="export-title">
      <h2 id="export-title">Export the ledger</h2>
      <p>
        <a href="/api/v1/evidence/export" download="imagewarden-evidence.ndjson" class="button-link">
          Download the evidence bundle (NDJSON)
        </a>
      </p>
      <p class="hint">
        A self-contained bundle of keys, checkpoints and entries. Check it offline, on any machine, with <code>imagewarden verify --bundle imagewarden-evidence.ndjson</code>
        : exit status 0 intact, 1 tampered, 2 unreadable. The export itself is recorded in the ledger.
      </p>
    </section>
  );
}
