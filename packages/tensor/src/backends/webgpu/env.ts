/**
 * Browser-safe access to environment variables: `process.env` in Node, nothing elsewhere. Deno
 * has a `process` whose env throws without --allow-env: that reads as unset too.
 */
export function readEnv(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  try {
    return proc?.env?.[name];
  } catch {
    return undefined;
  }
}

export function envFlag(name: string): boolean {
  const value = readEnv(name);
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
}
