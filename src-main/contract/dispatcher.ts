import { AppError, fail, ok, type Envelope } from './envelope.js';
import { callSchemas, inputErrorMessages, isMethod, type Handlers, type Method } from './calls.js';

export type Dispatch = (method: string, input: unknown) => Promise<Envelope<unknown>>;

function invalid(method: Method, zodIssues: readonly { path: readonly PropertyKey[]; message: string }[]) {
  const issues = zodIssues.map((i) => ({ path: i.path.length ? i.path.join('.') : '(input)', message: i.message }));
  const first = issues[0]!;
  const own = inputErrorMessages[method];
  const message = own
    ? own(issues.map((i) => i.message))
    : `Invalid input for ${method}: ${first.path}: ${first.message}`;
  return fail('bad_input', message, issues);
}

/** The envelope a call's input would be refused with, or null when it is valid: a check without a service. */
export function refusal(method: string, input: unknown): Envelope<never> | null {
  if (!isMethod(method)) return fail('unknown_call', `Unknown call "${method}".`);
  const parsed = callSchemas[method].safeParse(input ?? {});
  return parsed.success ? null : invalid(method, parsed.error.issues);
}

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
    if (!parsed.success) return invalid(method, parsed.error.issues);
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
