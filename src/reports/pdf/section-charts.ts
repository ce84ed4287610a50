import { drawBarChart, drawPercentLineChart } from './charts.js';
import { templateText, type SectionContext } from './context.js';
import { COLOR, heading, paragraph } from './layout.js';

export function drawTrend(context: SectionContext): void {
  const { doc, header, section } = context;
  heading(doc, context.number, section.title, 230);
  templateText(context, 'intro');
  if (header.trend.length === 0) {
    paragraph(doc, 'No daily figures were recorded in the period.', { color: COLOR.muted });
    return;
  }
  drawPercentLineChart(
    doc,
    header.trend.map((day) => day.date),
    [
      { label: 'Current or within policy', values: header.trend.map((d) => d.compliancePercent), dashed: false, color: COLOR.accent },
      { label: 'Approved exceptions counted as compliant', values: header.trend.map((d) => d.compliancePercentWithExceptions), dashed: true, color: COLOR.series2 },
    ],
  );
}

export function drawImageAge(context: SectionContext): void {
  const { doc, header, section } = context;
  heading(doc, context.number, section.title, 200);
  templateText(context, 'intro');
  if (header.imageAge.length === 0) {
    paragraph(doc, 'No image ages were recorded at period end.', { color: COLOR.muted });
    return;
  }
  // The bucket without bounds holds pools whose image age is not known: drawn grey, it is not an age.
  const bars = header.imageAge.map((bucket) => ({ label: bucket.label, value: bucket.pools, muted: bucket.minDays === null && bucket.maxDays === null }));
  drawBarChart(doc, bars, 'Pools');
}
