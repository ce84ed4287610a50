/** A tenant's OpenID configuration document (`…/v2.0/.well-known/openid-configuration`), read once with a timeout. */
export async function readOpenIdConfiguration(discoveryUrl: string, timeoutInMs: number): Promise<Record<string, unknown>> {
  const response = await fetch(discoveryUrl, { redirect: 'error', signal: AbortSignal.timeout(timeoutInMs), headers: { accept: 'application/json' } });
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`HTTP ${response.status}`);
  }
  return ((await response.json()) as Record<string, unknown> | null) ?? {};
}

/** The document's https:// URLs under `names`, or an error naming what is missing. */
export function httpsEndpoints<Name extends string>(document: Record<string, unknown>, ...names: Name[]): Record<Name, string> {
  const https = (value: unknown): value is string => typeof value === 'string' && URL.canParse(value) && new URL(value).protocol === 'https:';
  if (!names.every((name) => https(document[name]))) throw new Error(`it names no https:// ${names.join(' and ')}`);
  return Object.fromEntries(names.map((name) => [name, document[name]])) as Record<Name, string>;
}

/** An error's message with its cause's, as the service reports a failed read of the authority. */
export function messageOf(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return error instanceof Error ? `${error.message}${cause}` : String(error);
}
