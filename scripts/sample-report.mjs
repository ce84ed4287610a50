// Writes a sample audit-report PDF from the renderer in dist/ and the test fixture model (compiled by
// scripts/render-report-pngs.sh into .tmp/report-fixture/). Dev aid only: not part of npm test.
// Usage: node scripts/sample-report.mjs OUT.pdf [pools] [outOfPolicy] [demo]
import { createWriteStream } from 'node:fs';
import { renderPdf } from '../dist/reports/render-pdf.js';
import { fixtureReportModel } from '../.tmp/report-fixture/test/helpers/report-fixture.js';

const [out = '.tmp/sample-report.pdf', pools = '12000', nonCompliant = '10000', demo = ''] = process.argv.slice(2);
const model = fixtureReportModel({ pools: Number(pools), nonCompliant: Number(nonCompliant), firstClusterName: 'aks-payments-prod-westeurope-001-with-a-long-name' });
const { header } = model;
header.dataSource.demo = demo === 'demo';
header.dataSource.requiredSubscriptions = Array.from({ length: 7 }, (_, i) => `00000000-0000-0000-0000-0000000000${(0xa1 + i).toString(16)}`);
// A few rows the fixture lacks, so that every table of the layout has something to show.
header.upgrades = [
  { id: 'upg_01JDEMO00000000000000001', status: 'succeeded', clusterId: header.clusters[0].clusterId, pools: [{ poolName: 'pool0' }, { poolName: 'pool1' }], requestedBy: 'alice', finishedAt: '2024-11-21T10:12:00.000Z' },
];
header.coverage.gaps.push({ ...header.coverage.gaps[0], id: 'fnd_gap2', closedAt: null, subscriptionId: '00000000-0000-0000-0000-0000000000b2', detail: { reason: 'subscription_unreadable: AuthorizationFailed' } });
header.controls = [
  { framework: 'PCI DSS v4.0.1', control: '6.3.3', title: 'Security patches installed within one month of release', requirement: '', sections: ['executive_summary', 'attention', 'exceptions', 'findings', 'methodology'] },
  { framework: 'SOC 2 (2017 TSC)', control: 'CC7.1', title: 'Detection and monitoring of vulnerabilities', requirement: '', sections: ['coverage', 'trend', 'findings', 'executive_summary'] },
];
const artifacts = [
  { format: 'json', fileName: `${header.reportId}.json`, sha256: '3f'.repeat(32), bytes: 48_211_330 },
  { format: 'csv', fileName: `${header.reportId}-population.csv`, sha256: 'a7'.repeat(32), bytes: 20_113_004 },
  { format: 'oscal-ar', fileName: `${header.reportId}-oscal-ar.json`, sha256: '0c'.repeat(32), bytes: 1_204_551 },
];

const started = performance.now();
let peakHeap = 0;
const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 10);
const { pages } = await renderPdf(model, artifacts, createWriteStream(out));
clearInterval(sampler);
const ms = Math.round(performance.now() - started);
console.log(`${out}: ${pages} pages in ${ms} ms, peak heap ${Math.round(peakHeap / 1e6)} MB`);
