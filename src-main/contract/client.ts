/** The typed client every front end uses, whatever the transport. */
import type { Input, Method, Output } from './calls.js';
import { unwrap, type Envelope } from './envelope.js';
import type { EventName, Events } from './events.js';

export interface Transport {
  invoke(method: string, input: unknown): Promise<Envelope<unknown>>;
  on(listener: (event: string, payload: unknown) => void): () => void;
}

export interface Client {
  call<M extends Method>(method: M, input: Input<M>): Promise<Output<M>>;
  on<E extends EventName>(event: E, callback: (payload: Events[E]) => void): () => void;
}

export function createClient(transport: Transport): Client {
  return {
    async call(method, input) {
      return unwrap(await transport.invoke(method, input)) as never;
    },
    on(event, callback) {
      return transport.on((name, payload) => {
        if (name === event) callback(payload as never);
      });
    },
  };
}
