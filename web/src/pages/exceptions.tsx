import type { PageProps } from '../page.js';
import { Placeholder } from './placeholder.js';

export function ExceptionsPage({ headingRef }: PageProps) {
  return <Placeholder label="Exceptions" api="GET /api/v1/exceptions" headingRef={headingRef} />;
}
