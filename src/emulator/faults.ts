import { sameId } from './arm-ids.js';
import type { FaultPlan, FaultRule } from './types.js';

/**
 * Fault plan evaluation. Every rule counts the requests it matches (`nth` is per rule, 1-based); a rule fires
 * from its nth match on, `times` times (-1 = always, default 1). `slow` rules add their delay and let the request
 * continue; the first other firing rule decides the answer.
 */

export interface FaultTarget {
  operation: string;
  /** Subscriptions the request touches (for `resources`: its effective scope). */
  subscriptionIds: string[];
  clusterName?: string;
  poolName?: string;
}

export interface FaultDecision {
  delayMs: number;
  /** throttle | quota-throttle | error | drop */
  respond?: FaultRule;
  /**
   * Set when a `fail-upgrade` rule is due for this upgrade request. It only counts as fired once `consume()` is
   * called, i.e. when an upgrade really starts (a 409 or an up-to-date pool does not use it up).
   */
  failUpgrade?: { rule: FaultRule; consume: () => void };
}

interface RuleState {
  rule: FaultRule;
  seen: number;
  fired: number;
}

export const UPGRADE_OPERATION = 'agentPools.upgradeNodeImageVersion';

export function createFaultInjector(initial?: FaultPlan) {
  let rules: RuleState[] = [];
  const setPlan = (plan: FaultPlan | undefined): void => {
    rules = (plan?.rules ?? []).map((rule) => ({ rule: { ...rule }, seen: 0, fired: 0 }));
  };
  setPlan(initial);

  function matches(rule: FaultRule, target: FaultTarget): boolean {
    const operation = rule.operation ?? (rule.action === 'fail-upgrade' ? UPGRADE_OPERATION : '*');
    if (operation !== '*' && operation.toLowerCase() !== target.operation.toLowerCase()) return false;
    if (rule.subscriptionId && !target.subscriptionIds.some((id) => sameId(id, rule.subscriptionId!))) return false;
    if (rule.clusterName && !sameId(target.clusterName ?? '', rule.clusterName)) return false;
    if (rule.poolName && !sameId(target.poolName ?? '', rule.poolName)) return false;
    return true;
  }

  function evaluate(target: FaultTarget): FaultDecision {
    const decision: FaultDecision = { delayMs: 0 };
    for (const state of rules) {
      if (!matches(state.rule, target)) continue;
      state.seen++;
      const times = state.rule.times ?? 1;
      if (state.seen < (state.rule.nth ?? 1) || (times !== -1 && state.fired >= times)) continue;
      if (state.rule.action === 'slow') {
        state.fired++;
        decision.delayMs += state.rule.delayMs ?? 5000;
      } else if (state.rule.action === 'fail-upgrade') {
        if (decision.failUpgrade || target.operation !== UPGRADE_OPERATION) continue;
        decision.failUpgrade = { rule: state.rule, consume: () => void state.fired++ };
      } else if (!decision.respond) {
        state.fired++;
        decision.respond = state.rule;
      }
    }
    return decision;
  }

  return { setPlan, evaluate };
}
