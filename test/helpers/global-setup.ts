import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureCertificateAuthority } from '../../src/emulator/certificate-authority.js';

/** Creates one CA for the whole run and makes every forked worker trust it, as NODE_EXTRA_CA_CERTS does in production. */
export default async function setup(): Promise<void> {
  const dir = join(process.cwd(), '.tmp', 'test-ca');
  mkdirSync(dir, { recursive: true });
  const ca = await ensureCertificateAuthority(dir);
  process.env.NODE_EXTRA_CA_CERTS = ca.caFile;
  process.env.IMAGEWARDEN_TEST_CA_DIR = dir;
}
