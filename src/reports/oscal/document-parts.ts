import type { OscalContext } from './context.js';
import { OSCAL_VERSION } from './context.js';
import { NIST_CATALOG_HREF } from './controls.js';
import { code, nonEmpty, OSCAL_NS, oscalString, plain, prop } from './text.js';

type Json = Record<string, unknown>;

export interface MetadataExtras {
  readonly roles?: Json[];
  readonly parties?: Json[];
}

/** `metadata` of either document: imagewarden prepared it; the report's identity and data source are properties. */
export function metadata(ctx: OscalContext, title: string, extras: MetadataExtras = {}): Json {
  const h = ctx.header;
  return {
    title: plain(title),
    published: h.generatedAt,
    'last-modified': h.generatedAt,
    version: oscalString(h.reportId),
    'oscal-version': OSCAL_VERSION,
    'document-ids': [{ scheme: `${OSCAL_NS}/report-id`, identifier: oscalString(h.reportId) }],
    props: nonEmpty([
      prop('report-id', h.reportId),
      prop('report-schema-version', h.schemaVersion),
      prop('software-version', h.software.version),
      prop('generated-by', h.generatedBy),
      prop('period-label', h.period.label),
      prop('scope-kind', h.scope.kind),
      prop('scope-name', h.scope.name),
      prop('arm-endpoint', h.dataSource.armEndpoint),
      prop('azure-cloud', h.dataSource.azureCloud),
      ...(h.dataSource.requiredSubscriptions ?? []).map((id) => prop('required-subscription', id)),
      prop('demo-data', h.dataSource.demo),
    ]),
    roles: [{ id: 'prepared-by', title: 'Prepared By', description: 'Produced this document.' }, ...(extras.roles ?? [])],
    parties: [
      {
        uuid: ctx.toolPartyUuid,
        type: 'organization',
        name: 'imagewarden',
        props: nonEmpty([prop('party-kind', 'automated-tool')]),
        remarks: 'The automated evidence service that produced this document, not a person or company. As the tool that made each observation it is the `assessment-assets` component named in every origin.',
      },
      ...(extras.parties ?? []),
    ],
    'responsible-parties': [{ 'role-id': 'prepared-by', 'party-uuids': [ctx.toolPartyUuid] }],
    remarks: h.dataSource.demo ? 'Demo data: every figure comes from the built-in demo fleet, not from Azure.' : undefined,
  };
}

/** imagewarden as the assessment tool: the component every origin's actor-uuid points at. */
export function assessmentAssets(ctx: OscalContext): Json {
  return {
    components: [
      {
        uuid: ctx.toolComponentUuid,
        type: 'software',
        title: 'imagewarden',
        description: 'Node image compliance evidence service for Azure Kubernetes Service. It reads every node pool from Azure Resource Graph and the AKS API on a schedule, judges it against the patch policy and records each fact in a signed, append-only ledger.',
        props: nonEmpty([prop('software-version', ctx.header.software.version)]),
        status: { state: 'operational' },
      },
    ],
    'assessment-platforms': [
      { uuid: ctx.uuids.subject('assessment-platform', 'imagewarden'), title: 'imagewarden', 'uses-components': [{ 'component-uuid': ctx.toolComponentUuid }] },
    ],
  };
}

export function backMatter(ctx: OscalContext): Json {
  return { resources: nonEmpty([methodResource(ctx), ledgerHeadResource(ctx), populationResource(ctx), nistCatalogResource(ctx)]) };
}

/** imagewarden publishes no OSCAL assessment plan; import-ap points at this description of the method instead. */
function methodResource(ctx: OscalContext): Json {
  const m = ctx.header.methodology;
  return {
    uuid: ctx.resources.method,
    title: 'imagewarden assessment method',
    description: 'How imagewarden collects and judges the evidence in this document (the methodology section of the report).',
    props: nonEmpty([
      prop('snapshot-schedule', m.snapshotSchedule),
      prop('default-sla-days', m.defaultSlaDays),
      ...m.policyVersions.map((p) =>
        prop('policy-sha256', p.contentHash, { remarks: `Policy in force from ${p.effectiveFrom}${p.source ? `, source ${code(p.source)}` : ''}.` }),
      ),
    ]),
    remarks: nonEmpty(m.statements.map((s) => `**${plain(s.title)}.** ${plain(s.text)}`))?.join('\n\n'),
  };
}

/** The ledger head, with the signed checkpoint note byte for byte (base64) so its signature can be checked. */
function ledgerHeadResource(ctx: OscalContext): Json {
  const { ledgerHead: head, evidence } = ctx.header;
  const fence = '`'.repeat(Math.max(3, ...(head.checkpoint.match(/`+/g) ?? []).map((r) => r.length + 1)));
  return {
    uuid: ctx.resources.ledgerHead,
    title: 'Evidence ledger head at generation',
    description: 'The signed checkpoint of imagewarden\'s append-only evidence ledger when this report was generated. `imagewarden verify` detects any later truncation or rewrite of the ledger against it: keep a copy.',
    props: nonEmpty([
      prop('ledger-size', head.size),
      prop('ledger-last-sequence', head.lastSequence),
      prop('ledger-entry-sha256', head.entryHash),
      prop('ledger-root-sha256', head.rootHash, { remarks: 'RFC 9162 Merkle tree root over all ledger entries.' }),
      prop('checkpoint-key-name', head.keyName),
      prop('checkpoint-key-id', head.keyId),
      prop('checkpoint-signature', head.signature),
      ...evidence.entries.map((e) =>
        prop('cited-entry-sha256', e.entryHash, { remarks: `Ledger entry ${e.sequence} (${code(e.kind)}${e.subject ? ` on ${code(e.subject)}` : ''}) at ${e.at}.` }),
      ),
    ]),
    base64: head.checkpoint === '' ? undefined : { filename: 'ledger-head.checkpoint', 'media-type': 'text/plain; charset=utf-8', value: Buffer.from(head.checkpoint, 'utf8').toString('base64') },
    remarks: `${plain(evidence.limitation)}\n\n${fence}text\n${head.checkpoint.replace(/\n$/, '')}\n${fence}`,
  };
}

/**
 * The population (pool × day rows) an auditor samples from, by its SHA-256. The href is the API path that serves it
 * (CONTRACT.md: GET /api/v1/reports/{id}/population), relative to the imagewarden service.
 */
function populationResource(ctx: OscalContext): Json {
  const { reportId, population } = ctx.header;
  return {
    uuid: ctx.resources.population,
    title: 'Report population (one row per pool and day)',
    description: `The full population of the period: ${population.rows} rows with columns ${population.columns.map(code).join(', ')}. Samples are drawn from it reproducibly (see the method resource).`,
    props: nonEmpty([prop('population-rows', population.rows), prop('population-sha256', population.sha256)]),
    rlinks: [
      {
        href: `/api/v1/reports/${encodeURIComponent(reportId)}/population`,
        'media-type': 'text/csv',
        hashes: [{ algorithm: 'SHA-256', value: population.sha256 }],
      },
    ],
  };
}

function nistCatalogResource(ctx: OscalContext): Json | undefined {
  if (!ctx.resources.nistCatalog) return undefined;
  return {
    uuid: ctx.resources.nistCatalog,
    title: 'NIST SP 800-53 Rev. 5 catalog (OSCAL)',
    description: 'The catalog that NIST control ids in this document resolve against.',
    rlinks: [{ href: NIST_CATALOG_HREF, 'media-type': 'application/oscal.catalog+json' }],
  };
}
