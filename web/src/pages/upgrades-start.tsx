import { useEffect, useState } from 'preact/hooks';
import { get, post, type Role } from '../api.js';
import { STATUS_LABEL } from '../format.js';
import { Alert } from '../page-parts.js';
import { navigate } from '../router.js';
import type { Page, Pool } from '../types.js';
import { failureText, PrecheckTable, POOL_STATUS_LABEL, RUN_STATUS_HELP, RUN_STATUS_LABEL, RunStatusBadge, type Cluster, type Plan } from './upgrades-common.js';

interface Request {
  clusterId: string;
  pools?: string[];
  reason: string;
  changeTicket?: string;
  overrideWindow?: { reason: string };
  overrideBlocks?: { reason: string };
}

/**
 * Starting a recorded node-image-only upgrade (operators and admins): cluster, pools, reason and ticket; "Review" asks
 * the API for the plan (dryRun: nothing stored), and only the confirmation starts it, with a fresh Idempotency-Key.
 */
export function StartUpgrade({ role, clusters, onCancel }: { role: Role; clusters: readonly Cluster[]; onCancel: () => void }) {
  const [clusterId, setClusterId] = useState('');
  const [pools, setPools] = useState<readonly Pool[] | null>(null);
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set());
  const [reason, setReason] = useState('');
  const [ticket, setTicket] = useState('');
  const [overrideWindow, setOverrideWindow] = useState('');
  const [overrideBlocks, setOverrideBlocks] = useState('');
  const [plan, setPlan] = useState<{ plan: Plan; request: Request } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setPools(null);
    setChosen(new Set());
    setPlan(null);
    if (clusterId === '') return;
    let live = true;
    get<Page<Pool>>(`/api/v1/pools?clusterId=${encodeURIComponent(clusterId)}&limit=1000`)
      .then((page) => live && setPools(page.items))
      .catch((failure) => live && setError(`Could not read the cluster's pools: ${failureText(failure)}`));
    return () => {
      live = false;
    };
  }, [clusterId]);

  const request = (): Request | null => {
    if (clusterId === '') {
      setError('Choose a cluster.');
      return null;
    }
    if (reason.trim() === '') {
      setError('Enter the reason for this upgrade.');
      return null;
    }
    return {
      clusterId,
      ...(chosen.size > 0 ? { pools: (pools ?? []).map((pool) => pool.poolName).filter((name) => chosen.has(name)) } : {}),
      reason: reason.trim(),
      ...(ticket.trim() !== '' ? { changeTicket: ticket.trim() } : {}),
      ...(role === 'admin' && overrideWindow.trim() !== '' ? { overrideWindow: { reason: overrideWindow.trim() } } : {}),
      ...(role === 'admin' && overrideBlocks.trim() !== '' ? { overrideBlocks: { reason: overrideBlocks.trim() } } : {}),
    };
  };

  const review = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setPlan(null);
    const body = request();
    if (body === null) return;
    setBusy(true);
    try {
      const answer = await post<Plan>('/api/v1/upgrades', { ...body, dryRun: true });
      setPlan({ plan: answer, request: body });
    } catch (failure) {
      setError(`The plan could not be made: ${failureText(failure)}`);
    } finally {
      setBusy(false);
    }
  };

  const start = async () => {
    if (plan === null) return;
    setError(null);
    setBusy(true);
    try {
      // One key per confirmed start: a retried click of the same confirmation is the same request to the API.
      const started = await post<{ id: string; status: string }>('/api/v1/upgrades', plan.request, { 'idempotency-key': crypto.randomUUID() });
      navigate(`upgrades/${started.id}`);
    } catch (failure) {
      setError(`The upgrade was not started: ${failureText(failure)}`);
      setBusy(false);
    }
  };

  const cluster = clusters.find((entry) => entry.id === clusterId);
  const blocks = plan?.plan.prechecks.filter((check) => check.verdict === 'block') ?? [];

  return (
    <section class="upg-upgrade-start" aria-label="Upgrade request">
      <p class="hint">
        Upgrades the node images (the host OS) of the chosen pools through AKS, one pool at a time, with evidence before, during and after.{' '}
        <strong>The Kubernetes version does not change.</strong>
      </p>
      <form onSubmit={(event) => void review(event)} noValidate>
        <div class="upg-field">
          <label for="upgrade-cluster">Cluster</label>
          <select id="upgrade-cluster" value={clusterId} onChange={(event) => setClusterId((event.target as HTMLSelectElement).value)} required>
            <option value="">Choose a cluster…</option>
            {clusters.map((entry) => (
              <option key={entry.id} value={entry.id}>
                {entry.name} ({entry.location}, {entry.resourceGroup})
              </option>
            ))}
          </select>
          {cluster ? (
            <p class="hint">
              Kubernetes {cluster.kubernetesVersion ?? '—'} · {cluster.provisioningState ?? '—'} · power {cluster.powerState ?? '—'}
            </p>
          ) : null}
        </div>
        {clusterId !== '' ? (
          <fieldset class="upg-field">
            <legend>Pools (optional)</legend>
            <p class="hint" id="pools-hint">
              None chosen: every pool behind its latest image, user pools before the system pool.
            </p>
            {pools === null ? (
              <p aria-busy="true">Reading the cluster's pools…</p>
            ) : (
              <ul class="upg-pool-choices" aria-describedby="pools-hint">
                {pools.map((pool) => (
                  <li key={pool.poolName}>
                    <label>
                      <input
                        type="checkbox"
                        name="pools"
                        value={pool.poolName}
                        checked={chosen.has(pool.poolName)}
                        onChange={(event) => {
                          const next = new Set(chosen);
                          if ((event.target as HTMLInputElement).checked) next.add(pool.poolName);
                          else next.delete(pool.poolName);
                          setChosen(next);
                          setPlan(null);
                        }}
                      />{' '}
                      <strong>{pool.poolName}</strong> <span class={`upg-pool-state upg-status-text-${pool.status}`}>{STATUS_LABEL[pool.status]}</span>{' '}
                      <span class="mono upg-pool-image">{pool.nodeImageVersion ?? 'image unknown'}</span>
                    </label>
                  </li>
                ))}
              </ul>
            )}
          </fieldset>
        ) : null}
        <div class="upg-field">
          <label for="upgrade-reason">Reason (required)</label>
          <textarea id="upgrade-reason" rows={2} maxLength={2000} required aria-required="true" value={reason} onInput={(event) => { setReason((event.target as HTMLTextAreaElement).value); setPlan(null); }} />
        </div>
        <div class="upg-field">
          <label for="upgrade-ticket">Change ticket (optional)</label>
          <input id="upgrade-ticket" type="text" maxLength={256} value={ticket} onInput={(event) => { setTicket((event.target as HTMLInputElement).value); setPlan(null); }} />
        </div>
        {role === 'admin' ? (
          <fieldset class="upg-field upg-overrides">
            <legend>Admin overrides (recorded in the evidence)</legend>
            <label for="override-window">Run outside the maintenance window: reason</label>
            <input id="override-window" type="text" maxLength={2000} value={overrideWindow} onInput={(event) => { setOverrideWindow((event.target as HTMLInputElement).value); setPlan(null); }} />
            <label for="override-blocks">Override blocking pre-checks: reason</label>
            <input id="override-blocks" type="text" maxLength={2000} value={overrideBlocks} onInput={(event) => { setOverrideBlocks((event.target as HTMLInputElement).value); setPlan(null); }} />
            <p class="hint">Leave empty for no override.</p>
          </fieldset>
        ) : null}
        <div class="upg-actions">
          <button type="submit" disabled={busy}>
            {busy && plan === null ? 'Reviewing…' : 'Review'}
          </button>
          <button type="button" class="secondary" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
      <Alert>{error}</Alert>
      {plan !== null ? (
        <section class="upg-plan" aria-labelledby="plan-title" data-testid="plan">
          <h2 id="plan-title">Plan for {cluster?.name ?? plan.plan.clusterId}</h2>
          <p data-testid="plan-status">
            The run would be: <RunStatusBadge status={plan.plan.status} /> — {RUN_STATUS_HELP[plan.plan.status]}.
          </p>
          {blocks.length > 0 ? (
            <Alert>
              {blocks.length === 1 ? 'A pre-check blocks' : `${blocks.length} pre-checks block`} this upgrade: {blocks.map((check) => check.name).join(', ')}.
              {role === 'admin' ? ' An admin override (above) may run it anyway, recorded.' : ' Only an admin may override it.'}
            </Alert>
          ) : (
            <p>No pre-check blocks.</p>
          )}
          <div class="table-scroll" role="region" aria-label="Pools in the plan" tabIndex={0}>
            <table data-testid="plan-pools">
              <thead>
                <tr>
                  <th scope="col">Pool</th>
                  <th scope="col">Plan</th>
                  <th scope="col">Current image</th>
                  <th scope="col">Target image</th>
                  <th scope="col">Kubernetes (unchanged)</th>
                </tr>
              </thead>
              <tbody>
                {plan.plan.pools.map((pool) => (
                  <tr key={pool.poolName}>
                    <th scope="row">{pool.poolName}</th>
                    <td>{pool.status === 'pending' ? 'Upgrade' : POOL_STATUS_LABEL[pool.status] ?? pool.status}</td>
                    <td class="mono">{pool.imageBefore ?? '—'}</td>
                    <td class="mono">{pool.targetImage ?? '—'}</td>
                    <td class="mono">{pool.kubernetesVersionBefore ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h3>Pre-checks</h3>
          <PrecheckTable checks={plan.plan.prechecks} caption="Pre-checks of the plan" />
          {plan.plan.status !== 'blocked' ? (
            <div class="upg-confirm">
              <p>
                <strong>Node-image only:</strong> this replaces the nodes' OS image; no Kubernetes version changes.
                {plan.plan.status === 'pending_approval' ? ' The run will wait for an admin other than you to approve it.' : ''}
              </p>
              <button type="button" disabled={busy} onClick={() => void start()}>
                {busy ? 'Starting…' : 'Start node-image upgrade'}
              </button>
            </div>
          ) : (
            <p>The run would be {RUN_STATUS_LABEL.blocked.toLowerCase()}: it is not offered for starting.</p>
          )}
        </section>
      ) : null}
    </section>
  );
}
