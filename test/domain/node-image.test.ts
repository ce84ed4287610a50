import { describe, expect, it } from 'vitest';
import { compareNodeImageVersions, imageFamilyOf, parseNodeImageVersion } from '../../src/domain/node-image.js';

describe('parseNodeImageVersion', () => {
  it.each([
    ['AKSUbuntu-2204gen2containerd-202411.12.0', 'AKSUbuntu-2204gen2containerd', '2024-11-12'],
    ['AKSUbuntu-2204gen2containerd-202602.13.5', 'AKSUbuntu-2204gen2containerd', '2026-02-13'],
    ['AKSAzureLinux-V3gen2arm64fips-202505.27.0', 'AKSAzureLinux-V3gen2arm64fips', '2025-05-27'],
    ['AKSCBLMariner-V2katagen2-202505.27.0', 'AKSCBLMariner-V2katagen2', '2025-05-27'],
    ['AKSWindows-2022-containerd-20348.3692.250518', 'AKSWindows-2022-containerd', '2025-05-18'],
    ['AKSWindows-2025-gen2-26100.4061.250518', 'AKSWindows-2025-gen2', '2025-05-18'],
    ['AKSUbuntu-2204gen2containerd-2022.10.03', 'AKSUbuntu-2204gen2containerd', '2022-10-03'],
    ['AKSUbuntu-1804-2022.08.29', 'AKSUbuntu-1804', '2022-08-29'],
  ])('%s → %s released %s', (raw, family, releaseDate) => {
    expect(parseNodeImageVersion(raw)).toMatchObject({ family, releaseDate, securityPatchDate: null });
  });

  it('parses the SecurityPatch channel suffix', () => {
    expect(parseNodeImageVersion('AKSUbuntu-2204gen2containerd-202410.27.0-2024.12.01')).toMatchObject({
      family: 'AKSUbuntu-2204gen2containerd',
      releaseDate: '2024-10-27',
      securityPatchDate: '2024-12-01',
    });
  });

  it.each(['', 'ubuntu', 'AKSUbuntu:1604:2020.03.11x', 'AKSUbuntu-2204gen2containerd-202413.12.0', 'AKSUbuntu-2204gen2containerd-202402.30.0'])(
    'yields null for %j',
    (raw) => {
      expect(parseNodeImageVersion(raw)).toBeNull();
      expect(imageFamilyOf(raw)).toBeNull();
    },
  );

  it('compares within a family only', () => {
    expect(compareNodeImageVersions('AKSUbuntu-2204gen2containerd-202411.12.0', 'AKSUbuntu-2204gen2containerd-202411.12.1')).toBe(-1);
    expect(compareNodeImageVersions('AKSUbuntu-2204gen2containerd-202412.01.0', 'AKSUbuntu-2204gen2containerd-202411.30.9')).toBe(1);
    expect(compareNodeImageVersions('AKSUbuntu-2204gen2containerd-2023.02.15', 'AKSUbuntu-2204gen2containerd-202303.06.0')).toBe(-1);
    expect(compareNodeImageVersions('AKSWindows-2022-containerd-20348.3692.250518', 'AKSWindows-2022-containerd-20348.4052.250823')).toBe(-1);
    expect(compareNodeImageVersions('AKSUbuntu-2204gen2containerd-202411.12.0', 'AKSUbuntu-2404gen2containerd-202411.12.0')).toBeNull();
    expect(compareNodeImageVersions('AKSUbuntu-2204gen2containerd-202411.12.0', 'AKSUbuntu-2204gen2containerd-202411.12.0')).toBe(0);
  });
});
