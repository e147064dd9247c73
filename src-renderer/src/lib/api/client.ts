/**
 * The renderer's only way to the service: the contract's typed client over
 * Electron IPC (preload bridge) when present, else HTTP + server-sent events.
 */
import { createClient, type Client, type Transport } from '$contract/client';
import { HTTP } from '$contract/channels';
import { EVENT_NAMES } from '$contract/events';
import { fail, type Envelope } from '$contract/envelope';

/** What the desktop preload exposes: the contract's transport, plus the path of a dropped File. */
type Bridge = Transport & { pathForFile?(file: File): string };

declare global {
  interface Window {
    graphemeStudio?: Bridge;
  }
}

function httpTransport(): Transport {
  const listeners = new Set<Parameters<Transport['on']>[0]>();
  let source: EventSource | null = null;
  const connect = () => {
    source = new EventSource(HTTP.events);
    for (const name of EVENT_NAMES) {
      source.addEventListener(name, (e) => {
        const payload = JSON.parse((e as MessageEvent<string>).data) as unknown;
        for (const l of listeners) l(name, payload);
      });
    }
  };
  return {
    async invoke(method, input) {
      try {
        const res = await fetch(HTTP.apiPrefix + method, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(input ?? {}),
          credentials: 'same-origin',
        });
        const body = (await res.json().catch(() => null)) as Envelope<unknown> | null;
        return body ?? fail('unavailable', `The server answered ${res.status} without a result.`);
      } catch {
        return fail('unavailable', 'Cannot reach Grapheme Studio. Is it still running?');
      }
    },
    on(listener) {
      listeners.add(listener);
      if (!source) connect();
      return () => listeners.delete(listener);
    },
  };
}

export const api: Client = createClient(window.graphemeStudio ?? httpTransport());

/** File-system paths of dropped files, where the desktop app can tell them; null in browser mode. */
export function droppedPaths(files: FileList | File[]): string[] | null {
  const bridge = window.graphemeStudio;
  if (!bridge?.pathForFile) return null;
  return Array.from(files, (f) => bridge.pathForFile!(f)).filter((p) => p !== '');
}
