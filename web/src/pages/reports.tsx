import type { PageProps } from '../page.js';
import { Placeholder } from './placeholder.js';

export function ReportsPage({ headingRef }: PageProps) {
  return <Placeholder label="Reports" api="GET /api/v1/reports" headingRef={headingRef} />;
}
