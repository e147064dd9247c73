import { createClient, type Client, type Transport } from '../contract/client.js';
import { createDispatcher } from '../contract/dispatcher.js';
import type { Service } from './service.js';

/** The transport for the CLI and tests: same dispatcher, no wire. */
export function inProcessTransport(
  service: Service,
  onInternalError?: (method: string, err: unknown) => void,
): Transport {
  const dispatch = createDispatcher(service.handlers, onInternalError);
  return {
    invoke: (method, input) => dispatch(method, structuredClone(input)),
    on: (listener) => service.subscribe((event, payload) => listener(event, payload)),
  };
}

export function inProcessClient(service: Service): Client {
  return createClient(inProcessTransport(service));
}
