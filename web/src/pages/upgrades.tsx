import type { PageProps } from '../page.js';
import { Placeholder } from './placeholder.js';

export function UpgradesPage({ headingRef }: PageProps) {
  return <Placeholder label="Upgrades" api="GET /api/v1/upgrades" headingRef={headingRef} />;
}
