import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareNodeImageVersions, imageFamilyOf, parseNodeImageVersion } from '../../src/domain/node-image.js';
import { observed } from '../fixtures/node-image-versions.js';

/** A generated version with the facts it was built from: the oracle the parser is checked against. */
interface Generated {
  readonly raw: string;
  readonly family: string;
  readonly version: string;
  readonly kind: 'linux' | 'windows';
  readonly day: Day;
  readonly releaseDate: string;
  /** Linux: [YYYYMMDD, rebuild, format]; Windows: [OS build, revision, YYYYMMDD]. */
  readonly key: readonly number[];
  readonly patchDate: string | null;
}

interface Day {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

const families = [...new Map(observed.map((c) => [c.family, c.build.kind])).entries()];
families.push(['AKSUbuntuEdgeZone-2204gen2containerd', 'linux']);

const pad = (value: number, width: number): string => String(value).padStart(width, '0');
const isoOf = (d: Day): string => `${pad(d.year, 4)}-${pad(d.month, 2)}-${pad(d.day, 2)}`;
const numberOf = (d: Day): number => d.year * 10_000 + d.month * 100 + d.day;

const dayBetween = (from: string, to: string): fc.Arbitrary<Day> =>
  fc
    .date({ min: new Date(`${from}T00:00:00Z`), max: new Date(`${to}T00:00:00Z`), noInvalidDate: true })
    .map((date) => ({ year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() }));
// A wide range finds edge days (leap days, month ends); a narrow one makes equal days, so ties get exercised.
const anyDay = fc.oneof(dayBetween('2000-01-01', '2099-12-31'), dayBetween('2025-05-26', '2025-05-28'));
const counter = fc.oneof(fc.nat({ max: 2 }), fc.nat({ max: 999_999_999 }));

function linuxVersion(family: string): fc.Arbitrary<Generated> {
  const current = fc.tuple(anyDay, counter).map(([day, rebuild]) => ({
    day,
    version: `${pad(day.year, 4)}${pad(day.month, 2)}.${pad(day.day, 2)}.${rebuild}`,
    key: [numberOf(day), rebuild, 1],
  }));
  const before2023 = anyDay.map((day) => ({
    day,
    version: `${pad(day.year, 4)}.${pad(day.month, 2)}.${pad(day.day, 2)}`,
    key: [numberOf(day), 0, 0],
  }));
  return fc.oneof(current, before2023).map(({ day, version, key }) => generated(family, 'linux', version, day, key));
}

function windowsVersion(family: string): fc.Arbitrary<Generated> {
  const osBuild = fc.oneof(fc.constantFrom(17763, 20348, 25398, 26100), fc.integer({ min: 10_000, max: 99_999 }));
  return fc.tuple(osBuild, counter, anyDay).map(([build, revision, day]) =>
    generated(family, 'windows', `${build}.${revision}.${pad(day.year % 100, 2)}${pad(day.month, 2)}${pad(day.day, 2)}`, day, [
      build,
      revision,
      numberOf(day),
    ]),
  );
}

function generated(family: string, kind: 'linux' | 'windows', version: string, day: Day, key: number[]): Generated {
  return { raw: `${family}-${version}`, family, version, kind, day, releaseDate: isoOf(day), key, patchDate: null };
}

const patchDay = fc.oneof(dayBetween('2000-01-01', '2099-12-31'), dayBetween('2025-05-27', '2025-05-29'));
const withPatch = (version: fc.Arbitrary<Generated>): fc.Arbitrary<Generated> =>
  fc.tuple(version, fc.option(patchDay, { freq: 2 })).map(([v, patch]) =>
    patch === null
      ? v
      : { ...v, raw: `${v.raw}-${pad(patch.year, 4)}.${pad(patch.month, 2)}.${pad(patch.day, 2)}`, patchDate: isoOf(patch) },
  );

const versionOf = ([family, kind]: readonly [string, 'linux' | 'windows']): fc.Arbitrary<Generated> =>
  withPatch(kind === 'linux' ? linuxVersion(family) : windowsVersion(family));
const anyFamily = fc.constantFrom(...families);
const anyVersion = anyFamily.chain(versionOf);
const sameFamily = (count: number): fc.Arbitrary<Generated[]> =>
  anyFamily.chain((family) => fc.array(versionOf(family), { minLength: count, maxLength: count }));

/** The expected order: base key, then no patch before any patch, then patch dates. */
function oracle(a: Generated, b: Generated): number {
  for (let i = 0; i < a.key.length; i++) if (a.key[i] !== b.key[i]) return a.key[i]! < b.key[i]! ? -1 : 1;
  const [left, right] = [a.patchDate ?? '', b.patchDate ?? ''];
  return left === right ? 0 : left < right ? -1 : 1;
}

const runs = { numRuns: 400 };

describe('parseNodeImageVersion never throws', () => {
  it.each([
    ['ASCII strings', fc.string()],
    ['any code units, lone surrogates included', fc.string({ unit: 'binary' })],
    ['graphemes', fc.string({ unit: 'grapheme' })],
    ['strings around the length cap', fc.string({ minLength: 200, maxLength: 400 })],
    ['strings made of version characters', fc.string({ unit: fc.constantFrom('A', 'K', 'S', 'a', 'U', '-', '.', ':', '0', '2', '9', ' ') })],
  ])('%s', (_name, strings) => {
    fc.assert(
      fc.property(strings, strings, (a, b) => {
        parseNodeImageVersion(a);
        imageFamilyOf(a);
        expect([null, -1, 0, 1]).toContain(compareNodeImageVersions(a, b));
      }),
      runs,
    );
  });

  it('any value at all, not only strings', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(parseNodeImageVersion(value as string)).toBeNull();
      }),
      { ...runs, examples: [[null], [undefined], [0], [{ toString: () => 'AKSUbuntu-2204-202505.27.0' }]] },
    );
  });

  it('a huge string', () => {
    expect(parseNodeImageVersion(`AKSUbuntu-${'2204gen2-'.repeat(500_000)}202505.27.0`)).toBeNull();
    expect(parseNodeImageVersion(' '.repeat(1_000_000))).toBeNull();
  });

  it('near misses of real versions: one character inserted, removed or replaced', () => {
    const edit = fc.tuple(anyVersion, fc.nat(), fc.constantFrom('insert', 'remove', 'replace'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
    fc.assert(
      fc.property(edit, ([v, at, how, char]) => {
        const i = at % (v.raw.length + 1);
        const raw = v.raw.slice(0, i) + (how === 'remove' ? '' : char) + v.raw.slice(how === 'insert' ? i : i + 1);
        const parsed = parseNodeImageVersion(raw);
        // Whatever still parses is consistent: the family and version are the (trimmed) input, a real day.
        if (parsed) {
          const patch = parsed.securityPatchDate === null ? '' : `-${parsed.securityPatchDate.replaceAll('-', '.')}`;
          expect(`${parsed.family}-${parsed.version}${patch}`).toBe(raw.trim());
          expect(parsed.family).toBe(`${parsed.os}-${parsed.sku}`);
          expect(new Date(`${parsed.releaseDate}T00:00:00Z`).toISOString().slice(0, 10)).toBe(parsed.releaseDate);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('generated valid versions', () => {
  it('parse to the family, version, day, build and patch they were built from', () => {
    fc.assert(
      fc.property(anyVersion, (v) => {
        const parsed = parseNodeImageVersion(v.raw);
        expect(parsed).not.toBeNull();
        expect(parsed!.raw).toBe(v.raw);
        expect(parsed!.family).toBe(v.family);
        expect(parsed!.version).toBe(v.version);
        expect(`${parsed!.family}-${parsed!.version}`).toBe(v.patchDate === null ? v.raw : v.raw.slice(0, -11));
        expect(parsed!.family).toBe(`${parsed!.os}-${parsed!.sku}`);
        expect(parsed!.releaseDate).toBe(v.releaseDate);
        expect(parsed!.securityPatchDate).toBe(v.patchDate);
        expect(parsed!.build).toMatchObject({ kind: v.kind, ...v.day });
        expect(parsed!.sortKey).toEqual(v.key);
        expect(imageFamilyOf(v.raw)).toBe(v.family);
      }),
      runs,
    );
  });

  it('parse the same with surrounding whitespace, and with the OS prefix in any case', () => {
    const space = fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\r', '\u00a0', '\ufeff'), maxLength: 3 });
    fc.assert(
      fc.property(anyVersion, space, space, fc.mixedCase(fc.constant('AKS')), (v, before, after, prefix) => {
        expect(parseNodeImageVersion(before + v.raw + after)).toMatchObject({ raw: before + v.raw + after, family: v.family });
        const recased = prefix + v.raw.slice(3);
        expect(parseNodeImageVersion(recased)).toMatchObject({ family: prefix + v.family.slice(3), releaseDate: v.releaseDate });
        expect(compareNodeImageVersions(recased, v.raw)).toBe(prefix === 'AKS' ? 0 : null);
      }),
      runs,
    );
  });
});

describe('compareNodeImageVersions is a total order within a family', () => {
  it('agrees with the order the versions were built from', () => {
    fc.assert(
      fc.property(sameFamily(2), ([a, b]) => {
        expect(compareNodeImageVersions(a!.raw, b!.raw)).toBe(oracle(a!, b!));
      }),
      { numRuns: 2000 },
    );
  });

  it('is reflexive, and 0 only for the same version text', () => {
    fc.assert(
      fc.property(sameFamily(2), ([a, b]) => {
        expect(compareNodeImageVersions(a!.raw, a!.raw)).toBe(0);
        expect(compareNodeImageVersions(a!.raw, b!.raw) === 0).toBe(a!.raw === b!.raw);
      }),
      { numRuns: 1000 },
    );
  });

  it('is antisymmetric: compare(a, b) === -compare(b, a)', () => {
    fc.assert(
      fc.property(sameFamily(2), ([a, b]) => {
        expect(compareNodeImageVersions(a!.raw, b!.raw)).toBe(0 - compareNodeImageVersions(b!.raw, a!.raw)!);
      }),
      { numRuns: 1000 },
    );
  });

  it('is transitive', () => {
    fc.assert(
      fc.property(sameFamily(3), ([a, b, c]) => {
        const ab = compareNodeImageVersions(a!.raw, b!.raw)!;
        const bc = compareNodeImageVersions(b!.raw, c!.raw)!;
        if (ab <= 0 && bc <= 0) expect(compareNodeImageVersions(a!.raw, c!.raw)).toBeLessThanOrEqual(0);
        if (ab >= 0 && bc >= 0) expect(compareNodeImageVersions(a!.raw, c!.raw)).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 1000 },
    );
  });

  it('sorts a list the same way whatever order it arrives in', () => {
    fc.assert(
      fc.property(sameFamily(8), (versions) => {
        const raws = versions.map((v) => v.raw);
        const byParser = [...raws].sort((x, y) => compareNodeImageVersions(x, y)!);
        const byOracle = [...versions].sort(oracle).map((v) => v.raw);
        expect(byParser).toEqual(byOracle);
        expect([...raws].reverse().sort((x, y) => compareNodeImageVersions(x, y)!)).toEqual(byParser);
      }),
      { numRuns: 300 },
    );
  });
});

describe('what newer means', () => {
  const linuxFamily = fc.constantFrom(...families.filter(([, kind]) => kind === 'linux').map(([family]) => family));
  const windowsFamily = fc.constantFrom(...families.filter(([, kind]) => kind === 'windows').map(([family]) => family));
  const twoDays = fc.tuple(anyDay, anyDay).filter(([a, b]) => numberOf(a) !== numberOf(b));
  const linuxText = (d: Day, rebuild: number): string => `${pad(d.year, 4)}${pad(d.month, 2)}.${pad(d.day, 2)}.${rebuild}`;
  const windowsDate = (d: Day): string => `${pad(d.year % 100, 2)}${pad(d.month, 2)}${pad(d.day, 2)}`;

  it('Linux: a later day sorts after whatever the rebuilds, then a higher rebuild on the same day', () => {
    fc.assert(
      fc.property(linuxFamily, twoDays, counter, counter, (family, [d1, d2], r1, r2) => {
        const expected = numberOf(d1) < numberOf(d2) ? -1 : 1;
        expect(compareNodeImageVersions(`${family}-${linuxText(d1, r1)}`, `${family}-${linuxText(d2, r2)}`)).toBe(expected);
        if (r1 !== r2) expect(compareNodeImageVersions(`${family}-${linuxText(d1, r1)}`, `${family}-${linuxText(d1, r2)}`)).toBe(r1 < r2 ? -1 : 1);
      }),
      runs,
    );
  });

  it('Windows: a higher revision of the same OS build sorts after, then a later day', () => {
    fc.assert(
      fc.property(windowsFamily, fc.integer({ min: 10_000, max: 99_999 }), counter, counter, twoDays, (family, build, u1, u2, [d1, d2]) => {
        if (u1 !== u2) {
          const order = compareNodeImageVersions(`${family}-${build}.${u1}.${windowsDate(d1)}`, `${family}-${build}.${u2}.${windowsDate(d2)}`);
          expect(order).toBe(u1 < u2 ? -1 : 1);
        }
        const order = compareNodeImageVersions(`${family}-${build}.${u1}.${windowsDate(d1)}`, `${family}-${build}.${u1}.${windowsDate(d2)}`);
        expect(order).toBe(numberOf(d1) < numberOf(d2) ? -1 : 1);
      }),
      runs,
    );
  });

  it('versions of different families are never comparable', () => {
    const twoFamilies = fc.tuple(anyFamily, anyFamily).filter(([a, b]) => a[0] !== b[0]);
    fc.assert(
      fc.property(twoFamilies.chain(([a, b]) => fc.tuple(versionOf(a), versionOf(b))), ([a, b]) => {
        expect(compareNodeImageVersions(a.raw, b.raw)).toBeNull();
        expect(compareNodeImageVersions(b.raw, a.raw)).toBeNull();
      }),
      runs,
    );
  });

  it('a SecurityPatch suffix orders only nodes on the same base image', () => {
    const patch = patchDay.map((d) => `-${pad(d.year, 4)}.${pad(d.month, 2)}.${pad(d.day, 2)}`);
    const unpatched = anyFamily.chain((family) => fc.tuple(family[1] === 'linux' ? linuxVersion(family[0]) : windowsVersion(family[0]), versionOf(family)));
    fc.assert(
      fc.property(unpatched, fc.option(patch), fc.option(patch), ([base, other], p1, p2) => {
        const [s1, s2] = [p1 ?? '', p2 ?? ''];
        // Same base: the unpatched node first, then the patch dates decide.
        expect(compareNodeImageVersions(base.raw + s1, base.raw + s2)).toBe(s1 === s2 ? 0 : s1 < s2 ? -1 : 1);
        // Different bases: the patch changes nothing about which base is newer.
        const baseOrder = oracle(base, { ...other, patchDate: null });
        if (baseOrder !== 0) expect(compareNodeImageVersions(base.raw + s1, other.raw)).toBe(baseOrder);
      }),
      runs,
    );
  });
});
