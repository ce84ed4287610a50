import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { uuidV5 } from '../../src/reports/oscal/uuid.js';
import { renderOscalAssessmentResults, renderOscalPoam } from '../../src/reports/render-oscal.js';
import type { ReportHeader, ReportModel, ReportPool } from '../../src/reports/report-schema.js';
import { fixtureReportModel } from '../helpers/report-fixture.js';

type Json = Record<string, any>;
type Render = (model: ReportModel, out: NodeJS.WritableStream) => Promise<void>;

const FIXTURES = new URL('../fixtures/oscal/', import.meta.url);
const readFixture = (name: string): Buffer => readFileSync(new URL(name, FIXTURES));
const AR_SCHEMA = JSON.parse(readFixture('oscal_assessment-results_schema.json').toString('utf8')) as Json;
const POAM_SCHEMA = JSON.parse(readFixture('oscal_poam_schema.json').toString('utf8')) as Json;

/**
 * Ajv as the brief fixes it: draft-07, all errors, non-strict (the NIST schemas carry keywords such as
 * `contentEncoding` that strict mode rejects). Non-strict also means an unknown `format` would be ignored with a
 * warning instead of failing, so a test below checks that every format the schemas use is registered: all four
 * (date-time, email, uri, uri-reference) are in ajv-formats' full mode, and none is skipped.
 */
function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats.default(ajv);
  return ajv;
}
const ajv = createAjv();
const validateAr = ajv.compile(AR_SCHEMA);
const validatePoam = ajv.compile(POAM_SCHEMA);

async function render(renderer: Render, model: ReportModel): Promise<string> {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  await renderer(model, out);
  return Buffer.concat(chunks).toString('utf8');
}

function expectValid(validate: ValidateFunction, document: unknown): void {
  const valid = validate(document);
  const errors = (validate.errors ?? []).slice(0, 10).map((e: ErrorObject) => `${e.instancePath} ${e.message}`);
  expect(errors).toEqual([]);
  expect(valid).toBe(true);
}

/** Every value under `key` anywhere in the document. */
function collect(node: unknown, key: string, into: unknown[] = []): unknown[] {
  if (Array.isArray(node)) for (const item of node) collect(item, key, into);
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === key) into.push(v);
      collect(v, key, into);
    }
  }
  return into;
}

/** UUIDs are unique, and every UUID reference and `#uuid` href points at something defined in the document. */
function expectReferentialIntegrity(document: unknown): void {
  const defined = collect(document, 'uuid') as string[];
  expect(new Set(defined).size).toBe(defined.length);
  const known = new Set(defined);
  const refKeys = ['observation-uuid', 'risk-uuid', 'subject-uuid', 'actor-uuid', 'component-uuid', 'party-uuid', 'response-uuid'];
  const references = [...refKeys.flatMap((k) => collect(document, k)), ...collect(document, 'party-uuids').flat()] as string[];
  expect(references.length).toBeGreaterThan(0);
  expect(references.filter((ref) => !known.has(ref))).toEqual([]);
  const fragments = (collect(document, 'href') as string[]).filter((href) => href.startsWith('#')).map((href) => href.slice(1));
  expect(fragments.filter((id) => !known.has(id))).toEqual([]);
}

function withHeader(model: ReportModel, patch: Partial<ReportHeader>, pools?: () => Iterable<ReportPool>): ReportModel {
  return { header: { ...model.header, ...patch }, pools: pools ?? model.pools };
}

function countStatuses(model: ReportModel): Record<ReportPool['status'], number> {
  const counts = { current: 0, within_policy: 0, non_compliant: 0, excepted: 0, unknown: 0 };
  for (const pool of model.pools()) counts[pool.status]++;
  return counts;
}

/** What each document must contain for a model, counted from the model itself. */
function expectedCounts(model: ReportModel) {
  const c = countStatuses(model);
  const outOfPolicy = c.non_compliant + c.excepted + c.unknown;
  const carried = new Set([...model.pools()].map((p) => p.findingId));
  const openFindings = model.header.findings.opened.filter((f) => (f.state === 'open' || f.state === 'risk_accepted') && !carried.has(f.id)).length;
  const { coverage } = model.header;
  const coverageFails = coverage.ran < coverage.scheduled || coverage.failed > 0 || coverage.partial > 0 || coverage.gaps.length > 0;
  const poamItems = c.non_compliant + c.excepted + openFindings;
  return {
    arObservations: 3 + outOfPolicy,
    arFindings: outOfPolicy + (coverageFails ? 1 : 0),
    arRisks: outOfPolicy,
    poamItems: Math.max(1, poamItems),
    poamObservations: poamItems,
    poamRisks: poamItems + model.header.exceptions.length,
  };
}

async function renderBoth(model: ReportModel) {
  const arText = await render(renderOscalAssessmentResults, model);
  const poamText = await render(renderOscalPoam, model);
  return { arText, poamText, ar: JSON.parse(arText) as Json, poam: JSON.parse(poamText) as Json };
}

async function expectDocuments(model: ReportModel) {
  const docs = await renderBoth(model);
  expectValid(validateAr, docs.ar);
  expectValid(validatePoam, docs.poam);
  expectReferentialIntegrity(docs.ar);
  expectReferentialIntegrity(docs.poam);
  const expected = expectedCounts(model);
  const result = docs.ar['assessment-results'].results[0];
  expect(result.observations).toHaveLength(expected.arObservations);
  expect(result.findings?.length ?? 0).toBe(expected.arFindings);
  expect(result.risks?.length ?? 0).toBe(expected.arRisks);
  const poam = docs.poam['plan-of-action-and-milestones'];
  expect(poam['poam-items']).toHaveLength(expected.poamItems);
  expect(poam.observations?.length ?? 0).toBe(expected.poamObservations);
  expect(poam.risks?.length ?? 0).toBe(expected.poamRisks);
  return docs;
}

const hostileNames = ['=HYPERLINK("http://x")', 'q"uote \\back\\slash\nnew\r\nline\u2028sep\u2029 `tick` [link](http://evil) <b>x</b>  '];
const templateControls = (parseYaml(readFileSync(new URL('../../templates/report.yaml', import.meta.url), 'utf8')) as { controls: ReportHeader['controls'] }).controls;

describe('OSCAL schema fixtures', () => {
  it('are the NIST v1.1.2 release assets, byte for byte (digests of PROVENANCE.md)', () => {
    const provenance = readFixture('PROVENANCE.md').toString('utf8');
    const pinned = {
      'oscal_assessment-results_schema.json': 'd033da70154cf6625ae46a746199e88e58f2928b1387dfac051d381b92f41b0d',
      'oscal_poam_schema.json': '906725163d767036c6189aec51252109b203214e121fc1acaff494b4d2dfbc04',
    };
    for (const [file, digest] of Object.entries(pinned)) {
      expect(provenance).toContain(`\`${file}\` | ${readFixture(file).length} | \`${digest}\``);
      expect(createHash('sha256').update(readFixture(file)).digest('hex')).toBe(digest);
    }
  });

  it('use only formats the validator knows, so none is silently skipped', () => {
    const formats = new Set([...collect(AR_SCHEMA, 'format'), ...collect(POAM_SCHEMA, 'format')] as string[]);
    expect([...formats].sort()).toEqual(['date-time', 'email', 'uri', 'uri-reference']);
    for (const format of formats) expect(ajv.formats[format], format).toBeDefined();
  });

  it('reject broken documents: the validator is not vacuous', async () => {
    const { ar, poam } = await renderBoth(fixtureReportModel());
    const { metadata: _dropped, ...withoutMetadata } = ar['assessment-results'];
    expect(validateAr({ 'assessment-results': withoutMetadata })).toBe(false);
    expect(validateAr.errors?.some((e) => e.keyword === 'required' && e.params.missingProperty === 'metadata')).toBe(true);

    const broken = structuredClone(ar);
    broken['assessment-results'].uuid = '6ba7b811-9dad-11d1-80b4-00c04fd430c8'; // version 1: not allowed
    broken['assessment-results'].metadata.props[0].value = 'two\nlines'; // string datatype (Unicode regex)
    broken['assessment-results'].results[0].start = '2024-11-01'; // date-time needs a time and zone
    broken['assessment-results'].results[0]['reviewed-controls']['control-selections'][0]['include-controls'] = [{ 'control-id': '6.3.3' }]; // not a token
    expect(validateAr(broken)).toBe(false);
    const paths = new Set(validateAr.errors?.map((e) => e.instancePath));
    expect(paths).toContain('/assessment-results/uuid');
    expect(paths).toContain('/assessment-results/metadata/props/0/value');
    expect(paths).toContain('/assessment-results/results/0/start');
    expect(paths).toContain('/assessment-results/results/0/reviewed-controls/control-selections/0/include-controls/0/control-id');

    const noItems = structuredClone(poam);
    noItems['plan-of-action-and-milestones']['poam-items'] = [];
    expect(validatePoam(noItems)).toBe(false);
  });
});

describe('renderOscalAssessmentResults and renderOscalPoam', () => {
  it('render the default fixture as valid OSCAL 1.1.2 with the expected items', async () => {
    const model = fixtureReportModel();
    const { ar, poam } = await expectDocuments(model);
    const doc = ar['assessment-results'];
    expect(doc.metadata['oscal-version']).toBe('1.1.2');
    expect(doc.metadata['last-modified']).toBe(model.header.generatedAt);
    expect(doc.metadata.version).toBe(model.header.reportId);
    const result = doc.results[0];
    expect([result.start, result.end]).toEqual([model.header.period.from, model.header.period.to]);
    // 40 pools: 10 non-compliant, 8 excepted, 8 unknown → 26 out of policy; coverage had a gap. The POA&M has the
    // 18 non-compliant or excepted pools; the header's open finding is pool 1's, so it is not an item of its own.
    expect(result.observations).toHaveLength(29);
    expect(result.findings).toHaveLength(27);
    expect(poam['plan-of-action-and-milestones']['poam-items']).toHaveLength(18);

    // The fixture maps only PCI DSS 6.3.3, which has no OSCAL catalog: named by properties, targeted by objective id.
    const selection = result['reviewed-controls']['control-selections'][0];
    expect(selection['include-controls']).toBeUndefined();
    expect(selection.props).toContainEqual(expect.objectContaining({ name: 'control', value: '6.3.3', class: 'pci-dss-v4.0.1' }));
    const poolFinding = result.findings.find((f: Json) => f.props.some((p: Json) => p.name === 'arm-id'));
    expect(poolFinding.target).toMatchObject({ type: 'objective-id', 'target-id': 'pci-dss-v4.0.1_6.3.3', status: { state: 'not-satisfied', reason: 'fail' } });

    // Each pool observation carries the pool's ARM id, images, exposure, rule and the report id.
    const observation = result.observations.find((o: Json) => o.props?.some((p: Json) => p.name === 'pool-status' && p.value === 'non_compliant'));
    const names = observation.props.map((p: Json) => p.name);
    for (const name of ['report-id', 'arm-id', 'node-image-version', 'latest-node-image-version', 'exposure-days', 'policy-rule']) expect(names).toContain(name);

    // Back matter: the checkpoint byte for byte, the population digest.
    const resources = doc['back-matter'].resources as Json[];
    const ledger = resources.find((r) => r.base64);
    expect(Buffer.from(ledger!.base64.value, 'base64').toString('utf8')).toBe(model.header.ledgerHead.checkpoint);
    const population = resources.find((r) => r.rlinks?.[0]?.hashes);
    expect(population!.rlinks[0].hashes).toEqual([{ algorithm: 'SHA-256', value: model.header.population.sha256 }]);
    expect(doc['import-ap'].href).toBe(`#${resources[0]!.uuid}`);

    // The exception is a deviation-approved risk with its approver as a party and its expiry as deadline.
    const p = poam['plan-of-action-and-milestones'];
    const exception = model.header.exceptions[0]!;
    const risk = p.risks.find((r: Json) => r.props?.some((q: Json) => q.name === 'exception-id' && q.value === exception.id) && r['risk-log']);
    expect(risk).toMatchObject({ status: 'deviation-approved', deadline: exception.expiresAt });
    const approver = p.metadata.parties.find((party: Json) => party.name === exception.approvedBy);
    expect(risk.origins[0].actors[0]).toEqual({ type: 'party', 'actor-uuid': approver.uuid, 'role-id': 'approver' });
    expect(p['system-id']['identifier-type']).toBe('https://imagewarden.dev/ns/oscal/system-id');
  });

  it('targets NIST SI-2 item c by its catalog id when the template maps SI-2', async () => {
    const model = withHeader(fixtureReportModel(), { controls: templateControls });
    const { ar } = await expectDocuments(model);
    const result = ar['assessment-results'].results[0];
    const selections = result['reviewed-controls']['control-selections'] as Json[];
    expect(selections[0]!['include-controls']).toEqual([{ 'control-id': 'si-2' }]);
    expect(selections).toHaveLength(4); // NIST, PCI DSS, SOC 2, ISO 27001
    const targets = (result.findings as Json[]).map((f) => f.target);
    expect(targets).toContainEqual(expect.objectContaining({ type: 'statement-id', 'target-id': 'si-2_smt.c' }));
    // The coverage finding goes to the control citing the coverage section (SOC 2 CC7.1), the pools' to SI-2.
    expect(targets).toContainEqual(expect.objectContaining({ type: 'objective-id', 'target-id': 'soc-2-2017-tsc_cc7.1' }));
  });

  it('render a fixture with no pool out of policy', async () => {
    const base = fixtureReportModel({ nonCompliant: 0 });
    await expectDocuments(base); // excepted and unknown pools remain
    const compliantOnly = withHeader(
      base,
      { findings: { ...base.header.findings, opened: [] }, exceptions: [], coverage: { ...base.header.coverage, ran: 720, succeeded: 720, partial: 0, gaps: [] } },
      function* () {
        for (const pool of base.pools()) if (pool.status === 'current' || pool.status === 'within_policy') yield pool;
      },
    );
    const { ar, poam } = await expectDocuments(compliantOnly);
    const result = ar['assessment-results'].results[0];
    expect(result.observations).toHaveLength(3);
    expect(result.findings).toBeUndefined();
    expect(result['local-definitions']['inventory-items']).toBeUndefined();
    const items = poam['plan-of-action-and-milestones']['poam-items'];
    expect(items).toHaveLength(1);
    expect(items[0].props).toContainEqual(expect.objectContaining({ name: 'item-kind', value: 'none-open' }));
  });

  it.each(hostileNames)('keeps hostile cluster names inert and exact: %j', async (name) => {
    const model = fixtureReportModel({ firstClusterName: name });
    const { arText, poamText, ar } = await expectDocuments(model);
    for (const text of [arText, poamText]) expect(text).not.toMatch(/[\u2028\u2029]/);
    const items = ar['assessment-results'].results[0]['local-definitions']['inventory-items'] as Json[];
    const clusterName = items.flatMap((i) => i.props).find((p: Json) => p.name === 'cluster-name' && (p.value === name || p.remarks));
    // Unchanged when it fits OSCAL's one-line string type; otherwise flattened, with the exact value in remarks.
    if (clusterName.value !== name) {
      const exact = /Exact value \(JSON string\): (`+) ?(".*") ?\1$/.exec(clusterName.remarks as string);
      expect(JSON.parse(exact![2]!)).toBe(name);
    }
    const description = items.find((i) => i.props.includes(clusterName))!.description as string;
    expect(description).not.toMatch(/[\n\r\u2028\u2029]/);
  });

  it('stays valid for arbitrary cluster names', async () => {
    const nasty = fc.constantFrom('\n', '\r', '\u2028', '\u2029', '"', '\\', '`', '[', ']', '<', '>', ' ', '\t', '*', '_');
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: fc.oneof(nasty, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 30 }), async (name) => {
        const model = fixtureReportModel({ pools: 8, firstClusterName: name });
        const { ar, poam } = await renderBoth(model);
        expectValid(validateAr, ar);
        expectValid(validatePoam, poam);
      }),
      { numRuns: 40 },
    );
  });

  it('is deterministic: the same model renders the same bytes and UUIDs', async () => {
    const first = await renderBoth(fixtureReportModel());
    const second = await renderBoth(fixtureReportModel());
    expect(second.arText).toBe(first.arText);
    expect(second.poamText).toBe(first.poamText);
    expect(collect(second.ar, 'uuid')).toEqual(collect(first.ar, 'uuid'));
    // Another report over the same pools: new document UUIDs, same subject UUIDs (pools, POA&M items).
    const other = await renderBoth(withHeader(fixtureReportModel(), { reportId: 'rpt_01JDEMO0000000000000000001' }));
    expect(other.ar['assessment-results'].uuid).not.toBe(first.ar['assessment-results'].uuid);
    const itemUuids = (doc: Json) => doc['plan-of-action-and-milestones']['poam-items'].map((i: Json) => i.uuid);
    expect(itemUuids(other.poam)).toEqual(itemUuids(first.poam));
  });

  it('derives RFC 4122 version-5 UUIDs (known vector)', () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('streams 2,000 pools: writes before the pool stream ends, one pass per lazy array', async () => {
    const base = fixtureReportModel({ pools: 2000 });
    let passes = 0;
    let yielded = 0;
    let yieldedAtFirstWrite: number | null = null;
    const model: ReportModel = {
      header: base.header,
      pools: function* () {
        passes++;
        for (const pool of base.pools()) {
          yielded++;
          yield pool;
        }
      },
    };
    const chunks: Buffer[] = [];
    const out = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, done) {
        yieldedAtFirstWrite ??= yielded;
        chunks.push(chunk);
        setImmediate(done); // a slow consumer: the renderer must wait for 'drain'
      },
    });
    const started = performance.now();
    await renderOscalAssessmentResults(model, out);
    const elapsedMs = performance.now() - started;
    const text = Buffer.concat(chunks).toString('utf8');
    expect(passes).toBe(4); // inventory items, observations, risks, findings
    expect(yieldedAtFirstWrite).toBeLessThan(2000);
    const ar = JSON.parse(text) as Json;
    expectValid(validateAr, ar);
    expectReferentialIntegrity(ar);
    expect(ar['assessment-results'].results[0].findings).toHaveLength(expectedCounts(base).arFindings);

    const poamStarted = performance.now();
    const { poam } = await expectDocuments(base);
    const poamMs = performance.now() - poamStarted;
    console.info(
      `OSCAL, 2,000 pools: assessment-results ${(text.length / 1e6).toFixed(2)} MB in ${elapsedMs.toFixed(0)} ms (slow consumer); ` +
        `both documents rendered, parsed and validated in ${poamMs.toFixed(0)} ms; POA&M items ${poam['plan-of-action-and-milestones']['poam-items'].length}`,
    );
  });
});
