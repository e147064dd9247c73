/**
 * The CLI's way to a project: it opens (and so creates) the project file only on
 * the first call whose input is valid. Every command checks its options before its
 * first call, so a mistyped command, option or value leaves no file behind.
 */
import { createClient, type Client, type Transport } from '../contract/client.js';
import { refusal } from '../contract/dispatcher.js';
import { inProcessTransport } from '../service/in-process.js';
import { Service } from '../service/service.js';
import { Project } from '../store/project.js';

export function lazyProject(db: string): { client: Client; close(): void } {
  let service: Service | undefined;
  let transport: Transport | undefined;
  // Subscriptions made before the project opens (to catch a run's end) are kept and fed once it does.
  const listeners = new Set<(event: string, payload: unknown) => void>();
  const open = (): Transport => {
    if (transport) return transport;
    service = new Service(new Project(db));
    transport = inProcessTransport(service);
    transport.on((event, payload) => {
      for (const l of listeners) l(event, payload);
    });
    return transport;
  };
  const lazy: Transport = {
    async invoke(method, input) {
      const refused = transport ? null : refusal(method, input);
      return refused ?? open().invoke(method, input);
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { client: createClient(lazy), close: () => service?.close() };
}
