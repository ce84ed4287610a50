import type { ReportHeader, ReportModel, ReportPool } from '../report-schema.js';
import { createOscalContext, type OscalContext, poolArmId, poolIssueKey, toolOrigin } from './context.js';
import { failedControlProps } from './controls.js';
import { assessmentAssets, backMatter, metadata } from './document-parts.js';
import { EXCEPTION_ROLES, exceptionParties, exceptionRisk, exceptionRiskUuid } from './exceptions.js';
import { concatIterables, mapIterable } from './iterate.js';
import { lazyArray } from './json-stream.js';
import { findingObservation, findingPoamItem, findingRisk } from './open-findings.js';
import { poolDescription, poolInventoryItem, poolObservation, poolObservationUuid, poolRisk, poolRiskUuid, poolTitle } from './pools.js';
import { nonEmpty, OSCAL_NS, oscalString, prop } from './text.js';

type Finding = ReportHeader['findings']['opened'][number];
type Json = Record<string, unknown>;

/** One POA&M item's subject: a pool out of policy, or an open finding no such pool stands for. */
type PoamSubject = { readonly kind: 'pool'; readonly pool: ReportPool } | { readonly kind: 'finding'; readonly finding: Finding };

/**
 * Every open item, one pass over the pools. A non-compliant or excepted pool is an item; an open (or
 * risk-accepted) finding of the header is one too unless a pool already carries it. Only findings in the header are
 * remembered, so memory stays bounded by the header, not by the number of pools.
 */
function* poamSubjects(ctx: OscalContext, model: ReportModel): Generator<PoamSubject> {
  const carried = new Set<string>();
  for (const pool of model.pools()) {
    if (pool.status !== 'non_compliant' && pool.status !== 'excepted') continue;
    if (pool.findingId && ctx.openedFindingsById.has(pool.findingId)) carried.add(pool.findingId);
    yield { kind: 'pool', pool };
  }
  for (const finding of ctx.header.findings.opened) {
    if ((finding.state === 'open' || finding.state === 'risk_accepted') && !carried.has(finding.id)) yield { kind: 'finding', finding };
  }
}

function poolPoamItem(ctx: OscalContext, pool: ReportPool): Json {
  const exceptionRisk = pool.exceptionId && ctx.exceptionsById.has(pool.exceptionId) ? exceptionRiskUuid(ctx, pool.exceptionId) : undefined;
  return {
    uuid: ctx.uuids.subject('poam-item', ...poolIssueKey(pool)),
    title: poolTitle(pool),
    description: poolDescription(ctx, pool),
    props: nonEmpty([
      prop('item-kind', 'pool'),
      prop('report-id', ctx.header.reportId),
      prop('arm-id', poolArmId(pool)),
      prop('pool-status', pool.status),
      prop('finding-id', pool.findingId),
      prop('exception-id', pool.exceptionId),
      ...failedControlProps(ctx.poolTarget.failed),
    ]),
    origins: toolOrigin(ctx),
    'related-observations': [{ 'observation-uuid': poolObservationUuid(ctx, pool) }],
    'related-risks': nonEmpty([{ 'risk-uuid': poolRiskUuid(ctx, pool) }, exceptionRisk && { 'risk-uuid': exceptionRisk }]),
  };
}

/** OSCAL requires at least one POA&M item; with nothing open, this one says so (item-kind `none-open`). */
function noOpenItem(ctx: OscalContext): Json {
  return {
    uuid: ctx.uuids.report('poam-item', 'none-open'),
    title: 'No open items',
    description: `No open finding, no non-compliant pool and no pool under exception at ${ctx.header.summary.asOf}. This item only records that; it tracks nothing.`,
    props: nonEmpty([prop('item-kind', 'none-open'), prop('report-id', ctx.header.reportId)]),
  };
}

function* itemsOrPlaceholder(ctx: OscalContext, items: Iterable<Json>): Generator<Json> {
  let any = false;
  for (const item of items) {
    any = true;
    yield item;
  }
  if (!any) yield noOpenItem(ctx);
}

/**
 * The system the POA&M is about: imagewarden's installation (its ledger origin) and the report's scope, in an
 * imagewarden identifier namespace.
 */
function systemId(ctx: OscalContext): Json {
  const { scope, ledgerHead } = ctx.header;
  const id = [ledgerHead.keyName, scope.kind, scope.name].filter((part) => part !== null && part !== '').join('/');
  return { 'identifier-type': `${OSCAL_NS}/system-id`, id: oscalString(id) };
}

/**
 * The OSCAL 1.1.2 plan-of-action-and-milestones of a report: open findings, pools out of policy and exceptions in
 * force, with per-pool arrays left lazy (one pass over `model.pools()` each when written).
 */
export function poamDocument(model: ReportModel): Json {
  const ctx = createOscalContext(model.header);
  const { header } = model;
  const subjects = () => poamSubjects(ctx, model);
  const observation = (s: PoamSubject) => (s.kind === 'pool' ? poolObservation(ctx, s.pool) : findingObservation(ctx, s.finding));
  const risk = (s: PoamSubject) => (s.kind === 'pool' ? poolRisk(ctx, s.pool) : findingRisk(ctx, s.finding));
  const item = (s: PoamSubject) => (s.kind === 'pool' ? poolPoamItem(ctx, s.pool) : findingPoamItem(ctx, s.finding));
  return {
    'plan-of-action-and-milestones': {
      uuid: ctx.uuids.report('poam'),
      metadata: metadata(ctx, `${header.title}: plan of action and milestones, ${header.period.label}`, {
        roles: header.exceptions.length > 0 ? EXCEPTION_ROLES : [],
        parties: exceptionParties(ctx),
      }),
      'system-id': systemId(ctx),
      'local-definitions': {
        'inventory-items': lazyArray(function* () {
          for (const s of subjects()) if (s.kind === 'pool') yield poolInventoryItem(ctx, s.pool);
        }),
        'assessment-assets': assessmentAssets(ctx),
      },
      observations: lazyArray(() => mapIterable(subjects(), observation)),
      risks: lazyArray(() => concatIterables(header.exceptions.map((e) => exceptionRisk(ctx, e)), mapIterable(subjects(), risk))),
      'poam-items': lazyArray(() => itemsOrPlaceholder(ctx, mapIterable(subjects(), item))),
      'back-matter': backMatter(ctx),
    },
  };
}
