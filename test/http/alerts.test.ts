import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildApp } from '../../src/app.js';
import { fleetOfClusters } from '../helpers/fleets.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { parseScrape } from '../helpers/prometheus.js';
import { createTestServices, testConfig } from '../helpers/service.js';

interface Rule {
  alert?: string;
  expr?: unknown;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const rules = (): Rule[] => {
  const file = parse(readFileSync(new URL('../../deploy/alerts.yaml', import.meta.url), 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
  return file.groups.flatMap((group) => group.rules);
};

const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression selects: identifiers that are neither functions (followed by `(`), keywords,
 * label names (inside `{…}` or after by/without/on/ignoring), durations nor numbers.
 */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""') // string literals
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // range and subquery durations
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // label lists
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = match[0];
    const rest = stripped.slice(match.index + name.length);
    if (/^\s*\(/.test(rest) || KEYWORDS.has(name.toLowerCase())) continue;
    if (/\d$/.test(stripped.slice(0, match.index))) continue; // the unit of a number or duration (5m, 1e3)
    names.add(name);
  }
  return [...names];
}

describe('deploy/alerts.yaml', () => {
  it('reads the names a PromQL expression selects', () => {
    expect(metricNames('increase(imagewarden_upgrade_runs_total{status="failed"}[1h]) > 0')).toEqual(['imagewarden_upgrade_runs_total']);
    expect(metricNames('sum by (kind) (rate(a_total[5m] offset 1h)) / on(kind) group_left b > 2 * 3600')).toEqual(['a_total', 'b']);
    expect(metricNames('time() - x_seconds > 26 * 3600 and y unless z{a="b or c"}')).toEqual(['x_seconds', 'y', 'z']);
  });

  it('is a rule file of alerts, each with an expression, a severity and a summary; the README lists each', () => {
    const all = rules();
    expect(all.length).toBeGreaterThanOrEqual(7);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const rule of all) {
      expect(rule.alert, JSON.stringify(rule)).toMatch(/^Imagewarden[A-Za-z]+$/);
      expect(typeof rule.expr, rule.alert).toBe('string');
      expect(['info', 'warning', 'critical'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      if (rule.for !== undefined) expect(rule.for, rule.alert).toMatch(/^\d+[smhd]$/);
      expect(readme, rule.alert).toContain(`\`${rule.alert}\``);
    }
    expect(new Set(all.map((r) => r.alert)).size).toBe(all.length);
    // The ones the issue asks for.
    const exprs = all.map((r) => r.expr as string).join('\n');
    for (const metric of [
      'imagewarden_last_fleet_snapshot_age_seconds',
      'imagewarden_pools_breaching_within_7d',
      'imagewarden_exceptions_expiring_within_7d',
      'imagewarden_upgrade_runs_total',
      'imagewarden_upgrade_runs_active',
      'imagewarden_ledger_verified',
    ]) {
      expect(exprs, metric).toContain(metric);
    }
  });

  it('every expression names only metrics the service exposes', async () => {
    const emulator = await startTestEmulator(fleetOfClusters(1));
    const { services, db } = createTestServices(testConfig(emulator));
    const app = await buildApp({ services });
    const exposed = parseScrape((await app.inject({ url: '/metrics' })).body).names();
    for (const rule of rules()) {
      const names = metricNames(rule.expr as string);
      expect(names.length, rule.alert).toBeGreaterThan(0);
      for (const name of names) expect(exposed.has(name), `${rule.alert}: ${name}`).toBe(true);
    }
    await app.close();
    db.close();
  });
});
