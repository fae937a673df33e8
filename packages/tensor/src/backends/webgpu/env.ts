/** Browser-safe access to environment variables: `process.env` in Node, nothing elsewhere. */
export function readEnv(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env?.[name];
}

export function envFlag(name: string): boolean {
  const value = readEnv(name);
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
}
