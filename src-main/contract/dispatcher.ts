import { AppError, fail, ok, type Envelope } from './envelope.js';
import { callSchemas, inputErrorMessages, isMethod, type Handlers, type Method } from './calls.js';

export type Dispatch = (method: string, input: unknown) => Promise<Envelope<unknown>>;

/**
 * Validates input against the call's schema, runs the handler, and always
 * settles with an envelope: unknown calls, bad input and thrown errors all
 * become typed errors, never a rejected promise or a hang.
 */
export function createDispatcher(
  handlers: Handlers,
  onInternalError?: (method: string, err: unknown) => void,
): Dispatch {
  return async (method, input) => {
    if (typeof method !== 'string' || !isMethod(method)) {
      return fail('unknown_call', `Unknown call "${String(method)}".`);
    }
    const parsed = callSchemas[method].safeParse(input ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({
        path: i.path.length ? i.path.join('.') : '(input)',
        message: i.message,
      }));
      const first = issues[0]!;
      const own = inputErrorMessages[method];
      const message = own
        ? own(issues.map((i) => i.message))
        : `Invalid input for ${method}: ${first.path}: ${first.message}`;
      return fail('bad_input', message, issues);
    }
    try {
      const handler = handlers[method] as (input: unknown) => unknown;
      return ok(await handler(parsed.data));
    } catch (err) {
      if (err instanceof AppError) return fail(err.code, err.message, err.issues);
      onInternalError?.(method, err);
      return fail('internal', `${method} failed unexpectedly. The details were logged.`);
    }
  };
}

export type { Method };
