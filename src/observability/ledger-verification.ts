/**
 * The evidence service with each verification's outcome also reported (`imagewarden_ledger_verified`): verifying
 * recomputes the whole ledger, so the gauge shows the last verification someone asked for rather than running one
 * per scrape.
 */
export function reportingVerification<Service extends { verify(...args: never[]): { intact: boolean } }>(
  service: Service,
  report: (intact: boolean) => void,
): Service {
  const verify = ((...args: Parameters<Service['verify']>) => {
    const result = service.verify(...args);
    report(result.intact);
    return result;
  }) as Service['verify'];
  return { ...service, verify };
}
