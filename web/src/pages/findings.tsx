import type { PageProps } from '../page.js';
import { Placeholder } from './placeholder.js';

export function FindingsPage({ headingRef }: PageProps) {
  return <Placeholder label="Findings" api="GET /api/v1/findings" headingRef={headingRef} />;
}
