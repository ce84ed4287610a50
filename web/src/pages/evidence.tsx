import type { PageProps } from '../page.js';
import { Placeholder } from './placeholder.js';

export function EvidencePage({ headingRef }: PageProps) {
  return <Placeholder label="Evidence" api="GET /api/v1/evidence/verify" headingRef={headingRef} />;
}
