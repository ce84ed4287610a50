import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertFleetFile } from '../../src/emulator/fleet-file.js';
import { createFleetState } from '../../src/emulator/fleet-state.js';
import { demoFleet, expandVersionTemplate, generateFleet, imageFamilyOf } from '../../src/emulator/index.js';

const NOW = new Date('2026-11-25T10:00:00Z');

describe('version templates and image families', () => {
  it('expands the three version formats (and plain dates) relative to the clock, in UTC', () => {
    expect(expandVersionTemplate('AKSUbuntu-2204gen2containerd-{{YYYYMM.DD-45}}.0', NOW)).toBe('AKSUbuntu-2204gen2containerd-202610.11.0');
    expect(expandVersionTemplate('AKSWindows-2022-containerd-20348.3692.{{YYMMDD-40}}', NOW)).toBe('AKSWindows-2022-containerd-20348.3692.261016');
    expect(expandVersionTemplate('AKSUbuntu-2204-{{YYYY.MM.DD-400}}', NOW)).toBe('AKSUbuntu-2204-2025.10.21');
    expect(expandVersionTemplate('{{YYYY-MM-DD}} {{YYYYMM.DD+7}}', NOW)).toBe('2026-11-25 202612.02');
    expect(expandVersionTemplate('no template', NOW)).toBe('no template');
  });

  it('takes the family as the version string minus its version part (§5.1), SecurityPatch suffix included', () => {
    expect(imageFamilyOf('AKSUbuntu-2204gen2containerd-202505.27.0')).toBe('AKSUbuntu-2204gen2containerd');
    expect(imageFamilyOf('AKSWindows-2022-containerd-20348.3692.250518')).toBe('AKSWindows-2022-containerd');
    expect(imageFamilyOf('AKSUbuntu-2204gen2containerd-202410.27.0-2024.12.01')).toBe('AKSUbuntu-2204gen2containerd');
    expect(imageFamilyOf('AKSUbuntu-1804-2022.08.29')).toBe('AKSUbuntu-1804');
    expect(imageFamilyOf('AKSAzureLinux-V3gen2arm64-202505.27.0')).toBe('AKSAzureLinux-V3gen2arm64');
    expect(imageFamilyOf('custom-image-7')).toBe('custom-image');
  });
});

describe('fleet files', () => {
  it('lists every problem of an invalid fleet at once', () => {
    const bad = { tenantId: 't', subscriptions: [{ id: 's', clusters: [{ name: 'c', resourceGroup: 'rg', location: 'x', kubernetesVersion: '1.32', agentPools: [{ name: 'Bad_Name', nodeImageVersion: 5 }] }] }] };
    expect(() => assertFleetFile(bad)).toThrow(/agentPools\[0\]\.name[\s\S]*nodeImageVersion must be a string or null/);
  });

  it('keeps the built-in demo fleet and fleets/demo.json identical', () => {
    const json: unknown = JSON.parse(readFileSync(new URL('../../src/emulator/fleets/demo.json', import.meta.url), 'utf8'));
    expect(json).toEqual(JSON.parse(JSON.stringify(demoFleet)));
  });

  it('covers the demo scenarios: current, ~10 and ~60 days behind, lagging region, Windows, arm64, FIPS, stopped, no version', () => {
    const state = createFleetState(demoFleet, () => NOW);
    const refs = state.clusters();
    expect(state.subscriptions()).toHaveLength(3);
    expect(refs.length).toBeGreaterThanOrEqual(8);
    expect(new Set(refs.map((r) => r.cluster.location)).size).toBeGreaterThanOrEqual(3);
    expect(refs.every((r) => r.cluster.tags?.['imagewarden-demo'] === 'true')).toBe(true);
    expect(state.subscriptions().every((s) => s.displayName?.startsWith('Demo '))).toBe(true);
    const pools = refs.flatMap((ref) => ref.cluster.agentPools.map((pool) => ({ ref, pool, latest: state.latestImage(ref, pool) })));
    expect(pools.length).toBeGreaterThanOrEqual(18);
    const current = pools.filter((p) => p.pool.nodeImageVersion && p.pool.nodeImageVersion === p.latest);
    expect(current.length).toBeGreaterThan(3);
    expect(pools.some((p) => p.pool.nodeImageVersion?.endsWith('202611.11.0'))).toBe(true); // D-14: ~10 days behind
    expect(pools.some((p) => p.pool.nodeImageVersion?.endsWith('202609.22.0'))).toBe(true); // D-64: ~60 days behind
    const westus3 = pools.find((p) => p.ref.cluster.location === 'westus3' && p.pool.name === 'system')!;
    expect(westus3.latest).toBe('AKSUbuntu-2204gen2containerd-202611.11.0'); // newest (202611.21) not arrived yet
    for (const family of ['AKSWindows-2022-containerd', 'arm64', 'fips', 'AKSAzureLinux-V3gen2']) {
      expect(pools.some((p) => p.pool.nodeImageVersion?.includes(family))).toBe(true);
    }
    expect(pools.some((p) => p.pool.nodeImageVersion === null && p.latest === undefined)).toBe(true);
    expect(refs.some((r) => r.cluster.powerState === 'Stopped')).toBe(true);
    expect(new Set(refs.map((r) => r.cluster.tags?.env))).toEqual(new Set(['prod', 'dev']));
    expect(refs.some((r) => r.cluster.tags?.env === 'prod' && (r.cluster.maintenanceConfigurations?.length ?? 0) > 0)).toBe(true);
  });
});

describe('generateFleet', () => {
  it('is deterministic per seed and honours the requested shape', () => {
    const options = { subscriptions: 4, clusters: 120, poolsPerCluster: [1, 5] as [number, number], locations: 5, seed: 7 };
    const fleet = generateFleet(options);
    expect(generateFleet(options)).toEqual(fleet);
    expect(generateFleet({ ...options, seed: 8 })).not.toEqual(fleet);
    expect(() => assertFleetFile(fleet)).not.toThrow();
    const clusters = fleet.subscriptions.flatMap((s) => s.clusters);
    expect(fleet.subscriptions).toHaveLength(4);
    expect(clusters).toHaveLength(120);
    expect(new Set(clusters.map((c) => c.location)).size).toBeLessThanOrEqual(5);
    expect(clusters.every((c) => c.agentPools.length >= 1 && c.agentPools.length <= 5)).toBe(true);
    expect(clusters.some((c) => c.powerState === 'Stopped')).toBe(true);
    expect(new Set(clusters.map((c) => c.tags?.env))).toEqual(new Set(['prod', 'dev']));
  });

  it('mixes families and puts some pools on the latest image and others 1–10 releases behind', () => {
    const fleet = generateFleet({ subscriptions: 2, clusters: 200, poolsPerCluster: 3, locations: 4, seed: 3 });
    const state = createFleetState(fleet, () => NOW);
    const pools = state.clusters().flatMap((ref) => ref.cluster.agentPools.map((pool) => ({ pool, latest: state.latestImage(ref, pool)! })));
    const families = new Set(pools.map((p) => imageFamilyOf(p.pool.nodeImageVersion!)));
    expect(families).toEqual(
      new Set(['AKSUbuntu-2204gen2containerd', 'AKSUbuntu-2404gen2containerd', 'AKSAzureLinux-V3gen2', 'AKSUbuntu-2204gen2arm64containerd', 'AKSAzureLinux-V3gen2arm64', 'AKSUbuntu-2204gen2fipscontainerd', 'AKSWindows-2022-containerd']),
    );
    const current = pools.filter((p) => p.pool.nodeImageVersion === p.latest).length;
    expect(current / pools.length).toBeGreaterThan(0.25);
    expect(current / pools.length).toBeLessThan(0.6);
    expect(pools.some((p) => p.pool.osType === 'Windows' && p.pool.name.length <= 6)).toBe(true);
    expect(pools.filter((p) => p.pool.enableFIPS).every((p) => p.pool.nodeImageVersion!.includes('fips'))).toBe(true);
  });
});
