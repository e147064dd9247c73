/** Every name that crosses a process or network boundary, written once. */
export const CHANNELS = {
  /** Electron IPC: renderer -> main request/response. */
  invoke: 'grapheme-studio:invoke',
  /** Electron IPC: main -> renderer events. */
  event: 'grapheme-studio:event',
} as const;

export const HTTP = {
  /** POST {prefix}{method} with a JSON body. */
  apiPrefix: '/api/',
  /** Server-sent events stream. */
  events: '/events',
  /** GET {imagePrefix}{id} returns the stored original bytes. */
  imagePrefix: '/image/',
  /** POST {uploadPrefix}{batch}?path=REL with the file's bytes (application/octet-stream). */
  uploadPrefix: '/upload/',
  /** GET {downloadPrefix}run-{id}.zip?format=… (a run's export) or {downloadPrefix}labels.csv. */
  downloadPrefix: '/download/',
  tokenHeader: 'x-grapheme-token',
  tokenCookie: 'gs_token',
  tokenQuery: 'token',
} as const;
