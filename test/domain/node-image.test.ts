import { describe, expect, it } from 'vitest';
import { compareNodeImageVersions, imageFamilyOf, parseNodeImageVersion } from '../../src/domain/node-image.js';
import {
  fromReleaseNotes,
  observed,
  releaseNotesLinux,
  releaseNotesWindows,
  securityPatched,
  type NodeImageVersionCase,
} from '../fixtures/node-image-versions.js';

const expectParsedAs = (expected: NodeImageVersionCase): void => {
  const { source: _source, ...fields } = expected;
  expect(parseNodeImageVersion(expected.raw)).toMatchObject(fields);
  expect(imageFamilyOf(expected.raw)).toBe(expected.family);
};

const sortedBy = (versions: readonly string[]): string[] =>
  [...versions].sort((a, b) => compareNodeImageVersions(a, b) ?? Number.NaN);

describe('parseNodeImageVersion: real version strings', () => {
  it.each(observed.map((c) => [c.raw, c.source, c] as const))('%s (%s)', (_raw, _source, expected) => expectParsedAs(expected));

  it.each(fromReleaseNotes.map((c) => [c.raw, c] as const))('%s (release notes)', (_raw, expected) => expectParsedAs(expected));

  it('parses the SecurityPatch suffix apart from the base image', () => {
    expectParsedAs(securityPatched);
    expect(parseNodeImageVersion(securityPatched.raw)?.version).toBe('202410.27.0');
  });

  it('orders the release notes of each family chronologically, whatever order they come in', () => {
    for (const family of ['AKSUbuntu-2204gen2containerd', 'AKSUbuntu-2404gen2containerd', 'AKSAzureLinux-V3gen2']) {
      const chronological = releaseNotesLinux.map(([version]) => `${family}-${version}`);
      expect(sortedBy([...chronological].reverse())).toEqual(chronological);
    }
    for (const [family, versions] of Object.entries(releaseNotesWindows)) {
      const chronological = versions.map(([version]) => `${family}-${version}`);
      expect(sortedBy([...chronological].reverse())).toEqual(chronological);
    }
  });

  it('never compares two different real families, even on the same day', () => {
    const families = [...new Map([...observed, ...fromReleaseNotes].map((c) => [c.family, c.raw])).values()];
    for (const a of families) for (const b of families) if (a !== b) expect(compareNodeImageVersions(a, b)).toBeNull();
  });
});

describe('parseNodeImageVersion: decisions for strings AKS does not print', () => {
  it('treats the REST spec placeholder `AKSUbuntu:1604:2020.03.11` as unknown: AKS separates parts with `-` only', () => {
    expect(parseNodeImageVersion('AKSUbuntu:1604:2020.03.11')).toBeNull();
    expect(parseNodeImageVersion('AKSUbuntu-1604:2020.03.11')).toBeNull();
    expect(parseNodeImageVersion('AKSUbuntu:1604-2020.03.11')).toBeNull();
  });

  it('trims surrounding whitespace and keeps raw as given', () => {
    const raw = ' \tAKSUbuntu-2204gen2containerd-202505.27.0\n';
    expect(parseNodeImageVersion(raw)).toMatchObject({ raw, family: 'AKSUbuntu-2204gen2containerd', version: '202505.27.0' });
    expect(compareNodeImageVersions(raw, 'AKSUbuntu-2204gen2containerd-202505.27.0')).toBe(0);
    expect(parseNodeImageVersion('AKSUbuntu-2204gen2containerd -202505.27.0')).toBeNull();
  });

  it('matches the AKS prefix in any case, keeps the case as given, and compares only the same spelling', () => {
    expect(parseNodeImageVersion('aksubuntu-2204GEN2tlcontainerd-202505.27.0')).toMatchObject({
      family: 'aksubuntu-2204GEN2tlcontainerd',
      os: 'aksubuntu',
      releaseDate: '2025-05-27',
      variant: { osVersion: '22.04', generation: 2, trustedLaunch: true },
    });
    expect(compareNodeImageVersions('aksubuntu-2204gen2containerd-202505.27.0', 'aksubuntu-2204gen2containerd-202506.12.0')).toBe(-1);
    expect(compareNodeImageVersions('aksubuntu-2204gen2containerd-202505.27.0', 'AKSUbuntu-2204gen2containerd-202505.27.0')).toBeNull();
    // A long s (ſ) upper-cases to S: it must not pass for the prefix.
    expect(parseNodeImageVersion('AKſUbuntu-2204gen2containerd-202505.27.0')).toBeNull();
  });

  it('parses an unseen sku or AKS OS and compares it within its own family', () => {
    expect(parseNodeImageVersion('AKSUbuntuEdgeZone-2204gen2containerd-202505.27.0')).toMatchObject({
      os: 'AKSUbuntuEdgeZone',
      sku: '2204gen2containerd',
      variant: { osVersion: '22.04', generation: 2, arch: 'amd64' },
    });
    expect(parseNodeImageVersion('AKSUbuntu-2604gen3gpusettlecontainerd-202607.09.0')).toMatchObject({
      family: 'AKSUbuntu-2604gen3gpusettlecontainerd',
      variant: { osVersion: '26.04', generation: null, trustedLaunch: false },
    });
    expect(parseNodeImageVersion('AKSWindows-2025-datacenter-core-gen2-26100.4061.250518')).toMatchObject({
      sku: '2025-datacenter-core-gen2',
      variant: { osVersion: '2025', generation: 2 },
    });
    expect(parseNodeImageVersion('AKSFlatcar-4081gen2-202505.27.0')).toMatchObject({ os: 'AKSFlatcar', variant: { osVersion: '4081' } });
    expect(parseNodeImageVersion('AKSFlatcar-4081gen2-20348.3692.250518')?.build.kind).toBe('windows');
    expect(compareNodeImageVersions('AKSFlatcar-4081gen2-202505.27.0', 'AKSFlatcar-4081gen2-202505.27.1')).toBe(-1);
  });

  it('requires a known OS to carry its own version format', () => {
    expect(parseNodeImageVersion('AKSWindows-2022-containerd-202505.27.0')).toBeNull();
    expect(parseNodeImageVersion('AKSUbuntu-2204gen2containerd-20348.3692.250518')).toBeNull();
    expect(parseNodeImageVersion('AKSAzureLinux-V3gen2-20348.3692.250518')).toBeNull();
    // An unknown OS takes either; were a family to mix them, Linux versions sort first so the order stays total.
    expect(compareNodeImageVersions('AKSFlatcar-x-202912.31.9', 'AKSFlatcar-x-20348.1.200101')).toBe(-1);
    expect(compareNodeImageVersions('AKSFlatcar-x-20348.1.200101', 'AKSFlatcar-x-202912.31.9')).toBe(1);
  });

  it('accepts a real leap day and 20YY Windows years', () => {
    expect(parseNodeImageVersion('AKSUbuntu-2204gen2containerd-202402.29.0')?.releaseDate).toBe('2024-02-29');
    expect(parseNodeImageVersion('AKSUbuntu-2204gen2containerd-2000.02.29')?.releaseDate).toBe('2000-02-29');
    expect(parseNodeImageVersion('AKSWindows-2022-containerd-20348.0.000229')?.releaseDate).toBe('2000-02-29');
  });
});

describe('parseNodeImageVersion: unknown strings', () => {
  it.each([
    '',
    '   ',
    'ubuntu',
    'AKSUbuntu',
    'AKSUbuntu-2204gen2containerd',
    'AKSUbuntu-2204gen2containerd-',
    'AKSUbuntu-2204gen2containerd-latest',
    'AKSUbuntu-202505.27.0',
    'AKSUbuntu--202505.27.0',
    'AKSUbuntu-2204gen2--containerd-202505.27.0',
    'AKSUbuntu-2204gen2_containerd-202505.27.0',
    'AKSUbuntu-2204gen2cöntainerd-202505.27.0',
    'AKS-2204gen2containerd-202505.27.0',
    'AKS1-2204gen2containerd-202505.27.0',
    'Ubuntu-2204gen2containerd-202505.27.0',
    'XAKSUbuntu-2204gen2containerd-202505.27.0',
    'AKSUbuntu-2204gen2containerd-202505.27.0-',
    'AKSUbuntu:1604:2020.03.11x',
    // impossible days
    'AKSUbuntu-2204gen2containerd-202413.12.0',
    'AKSUbuntu-2204gen2containerd-202400.12.0',
    'AKSUbuntu-2204gen2containerd-202402.30.0',
    'AKSUbuntu-2204gen2containerd-202502.29.0',
    'AKSUbuntu-2204gen2containerd-202504.31.0',
    'AKSUbuntu-2204gen2containerd-202505.00.0',
    'AKSUbuntu-2204gen2containerd-2100.02.29',
    'AKSUbuntu-1804-2022.13.01',
    'AKSUbuntu-1804-2022.08.32',
    'AKSWindows-2022-containerd-20348.3692.251301',
    'AKSWindows-2022-containerd-20348.3692.250230',
    'AKSWindows-2022-containerd-20348.3692.250500',
    // malformed version parts
    'AKSUbuntu-2204gen2containerd-202505.27',
    'AKSUbuntu-2204gen2containerd-202505.27.',
    'AKSUbuntu-2204gen2containerd-202505.27.00',
    'AKSUbuntu-2204gen2containerd-202505.27.05',
    'AKSUbuntu-2204gen2containerd-202505.27.1234567890',
    'AKSUbuntu-2204gen2containerd-202505.7.0',
    'AKSUbuntu-2204gen2containerd-20250527.0',
    'AKSUbuntu-2204gen2containerd-202505.27.0.1',
    'AKSUbuntu-2204gen2containerd-202505.27.-1',
    'AKSUbuntu-2204gen2containerd-２０２５０５.27.0',
    'AKSUbuntu-1804-22.08.29',
    'AKSWindows-2022-containerd-20348.03692.250518',
    'AKSWindows-2022-containerd-02034.3692.250518',
    'AKSWindows-2022-containerd-20348.3692.20250518',
    'AKSWindows-2022-containerd-20348.3692',
    // bad SecurityPatch suffixes
    'AKSUbuntu-2204gen2containerd-202410.27.0-2024.13.01',
    'AKSUbuntu-2204gen2containerd-202410.27.0-2024-12-01',
    'AKSUbuntu-2204gen2containerd-202410.27.0-latest',
    'AKSUbuntu-2204gen2containerd-202410.27.0-2024.12.01-2024.12.02',
    'AKSUbuntu-2204gen2containerd-202410.27.0-202412.01.0',
    `AKSUbuntu-2204gen2containerd${'x'.repeat(300)}-202505.27.0`,
  ])('%j is unknown', (raw) => {
    expect(parseNodeImageVersion(raw)).toBeNull();
    expect(imageFamilyOf(raw)).toBeNull();
    expect(compareNodeImageVersions(raw, raw)).toBeNull();
  });

  it.each([null, undefined, 42, {}, [], Symbol('x'), new String('AKSUbuntu-2204gen2containerd-202505.27.0')])(
    'non-string %s is unknown',
    (raw) => {
      expect(parseNodeImageVersion(raw as string)).toBeNull();
      expect(imageFamilyOf(raw as string)).toBeNull();
      expect(compareNodeImageVersions(raw as string, 'AKSUbuntu-2204gen2containerd-202505.27.0')).toBeNull();
    },
  );
});

describe('compareNodeImageVersions', () => {
  it.each([
    ['AKSUbuntu-2204gen2containerd-202411.12.0', 'AKSUbuntu-2204gen2containerd-202411.12.1', -1],
    ['AKSUbuntu-2204gen2containerd-202412.01.0', 'AKSUbuntu-2204gen2containerd-202411.30.9', 1],
    ['AKSUbuntu-2204gen2containerd-202411.12.0', 'AKSUbuntu-2204gen2containerd-202411.12.0', 0],
    ['AKSUbuntu-2204gen2containerd-202505.27.9', 'AKSUbuntu-2204gen2containerd-202505.27.10', -1],
    ['AKSUbuntu-2204gen2containerd-2023.02.15', 'AKSUbuntu-2204gen2containerd-202303.06.0', -1],
    // The old and new Linux formats never shared a day; if they did, the newer format would sort after.
    ['AKSUbuntu-2204gen2containerd-2023.03.06', 'AKSUbuntu-2204gen2containerd-202303.06.0', -1],
    ['AKSWindows-2022-containerd-20348.3692.250518', 'AKSWindows-2022-containerd-20348.4052.250823', -1],
    ['AKSWindows-2022-containerd-20348.3692.250518', 'AKSWindows-2022-containerd-20348.3692.250519', -1],
    ['AKSWindows-2025-26100.32995.260610', 'AKSWindows-2025-26100.33158.260715', -1],
  ] as const)('%s vs %s → %d', (a, b, expected) => {
    expect(compareNodeImageVersions(a, b)).toBe(expected);
    expect(compareNodeImageVersions(b, a)).toBe(0 - expected);
  });

  it.each([
    ['AKSUbuntu-2204gen2containerd-202411.12.0', 'AKSUbuntu-2404gen2containerd-202411.12.0'],
    ['AKSUbuntu-2204gen2containerd-202505.27.0', 'AKSUbuntu-2204gen2arm64containerd-202505.27.0'],
    ['AKSUbuntu-2204containerd-202505.27.0', 'AKSUbuntu-2204gen2containerd-202505.27.0'],
    ['AKSWindows-2022-containerd-20348.3692.250518', 'AKSWindows-2022-containerd-gen2-20348.3692.250518'],
    ['AKSAzureLinux-V2gen2-202505.27.0', 'AKSCBLMariner-V2gen2-202505.27.0'],
    ['AKSUbuntu-2204gen2containerd-202505.27.0', 'not a version'],
  ])('%s and %s are not comparable', (a, b) => {
    expect(compareNodeImageVersions(a, b)).toBeNull();
    expect(compareNodeImageVersions(b, a)).toBeNull();
  });

  describe('SecurityPatch suffix', () => {
    const base = 'AKSUbuntu-2204gen2containerd-202410.27.0';
    const next = 'AKSUbuntu-2204gen2containerd-202411.12.0';

    it('orders nodes on the same base image: unpatched, then by patch date', () => {
      const chronological = [base, `${base}-2024.11.02`, `${base}-2024.12.01`, `${base}-2025.01.15`];
      expect(sortedBy([...chronological].reverse())).toEqual(chronological);
      expect(compareNodeImageVersions(`${base}-2024.12.01`, `${base}-2024.12.01`)).toBe(0);
    });

    it('never lifts an older base image to or above a newer one', () => {
      expect(compareNodeImageVersions(`${base}-2099.12.31`, next)).toBe(-1);
      expect(compareNodeImageVersions(`${base}-2099.12.31`, `${next}-2024.11.13`)).toBe(-1);
      expect(compareNodeImageVersions('AKSUbuntu-2204gen2containerd-202410.27.0-2099.12.31', 'AKSUbuntu-2204gen2containerd-202410.27.1')).toBe(-1);
    });

    it('keeps the release date and family of the base image, even for a patch dated before the release', () => {
      expect(parseNodeImageVersion(`${base}-2024.01.01`)).toMatchObject({
        family: 'AKSUbuntu-2204gen2containerd',
        releaseDate: '2024-10-27',
        securityPatchDate: '2024-01-01',
      });
    });

    it('is parsed after an old-format version and after a Windows version', () => {
      expect(parseNodeImageVersion('AKSUbuntu-1804-2022.08.29-2022.09.01')).toMatchObject({
        family: 'AKSUbuntu-1804',
        version: '2022.08.29',
        securityPatchDate: '2022-09-01',
      });
      expect(parseNodeImageVersion('AKSWindows-2022-containerd-20348.3692.250518-2025.06.01')).toMatchObject({
        family: 'AKSWindows-2022-containerd',
        securityPatchDate: '2025-06-01',
      });
    });
  });
});
