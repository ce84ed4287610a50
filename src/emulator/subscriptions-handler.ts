import { authorizationFailed, subscriptionNotFound } from './arm-errors.js';
import { json } from './http-types.js';
import type { CallInfo, EmulatorContext } from './emulator-context.js';
import type { EmulatorRequest, EmulatorResponse } from './http-types.js';
import type { FleetSubscription } from './types.js';

/** `GET /subscriptions` and `GET /subscriptions/{id}`: only `read` subscriptions are visible, like ARM. */
export function handleSubscriptions(ctx: EmulatorContext, req: EmulatorRequest, call: CallInfo): EmulatorResponse {
  if (req.operation === 'subscriptions.list') {
    const value = ctx.state.subscriptions().filter((sub) => sub.access === 'read').map((sub) => subscriptionJson(ctx, sub));
    return json(200, { value, count: { type: 'Total', value: value.length } });
  }
  const id = req.params.subscriptionId ?? '';
  const sub = ctx.state.subscription(id);
  if (!sub || sub.access === 'silent') return subscriptionNotFound(id);
  if (sub.access === 'forbidden') return authorizationFailed(call.principal, 'Microsoft.Resources/subscriptions/read', `/subscriptions/${id}`);
  return json(200, subscriptionJson(ctx, sub));
}

function subscriptionJson(ctx: EmulatorContext, sub: FleetSubscription): Record<string, unknown> {
  return {
    id: `/subscriptions/${sub.id}`,
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    subscriptionId: sub.id,
    tenantId: ctx.state.tenantId,
    displayName: sub.displayName ?? sub.id,
    state: 'Enabled',
    subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'EnterpriseAgreement_2014-09-01', spendingLimit: 'Off' },
  };
}
