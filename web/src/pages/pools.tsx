import type { PageProps } from '../page.js';
import { Placeholder } from './placeholder.js';

export function PoolsPage({ headingRef }: PageProps) {
  return <Placeholder label="Pools" api="GET /api/v1/pools" headingRef={headingRef} />;
}
