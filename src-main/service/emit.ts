import type { EventName, Events } from '../contract/events.js';

/** How the service and its training supervisor push an event to every subscriber. */
export type Emit = <E extends EventName>(event: E, payload: Events[E]) => void;
