/** Internal errors go to stderr with their stack; users only ever see the envelope's message. */
export function logInternalError(method: string, err: unknown): void {
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`[grapheme-studio] ${method} failed: ${detail}\n`);
}
