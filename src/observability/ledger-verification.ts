import type { VerifyResult } from '../evidence/verify-ledger.js';

interface Verifying {
  verify(...args: never[]): VerifyResult;
  verifyInBackground(): Promise<VerifyResult>;
}

/**
 * The evidence service with each verification's outcome also reported (`imagewarden_ledger_verified`): verifying
 * recomputes the whole ledger, so the gauge shows the last verification someone asked for rather than running one
 * per scrape.
 */
export function reportingVerification<Service extends Verifying>(service: Service, report: (intact: boolean) => void): Service {
  const verify = ((...args: Parameters<Service['verify']>) => {
    const result = service.verify(...args);
    report(result.intact);
    return result;
  }) as Service['verify'];
  const verifyInBackground = async () => {
    const result = await service.verifyInBackground();
    report(result.intact);
    return result;
  };
  return { ...service, verify, verifyInBackground };
}
