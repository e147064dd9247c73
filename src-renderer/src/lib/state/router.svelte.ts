/** Hash routes (#/label, #/browse, ...) with query parameters, as reactive state. */

export const ROUTES = ['label', 'browse', 'coverage', 'train', 'runs'] as const;
/** Old names of routes, still followed: #/models was the runs page's first name. */
const RENAMED: Record<string, Route> = { models: 'runs' };
export type Route = (typeof ROUTES)[number];

function parse(hash: string): { route: Route; params: URLSearchParams } {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const known = RENAMED[path] ?? path;
  const route = (ROUTES as readonly string[]).includes(known) ? (known as Route) : 'label';
  return { route, params: new URLSearchParams(query) };
}

class Router {
  #current = $state.raw(parse(location.hash));

  constructor() {
    window.addEventListener('hashchange', () => (this.#current = parse(location.hash)));
  }

  get route(): Route {
    return this.#current.route;
  }

  get params(): URLSearchParams {
    return this.#current.params;
  }

  go(route: Route, params?: Record<string, string | number | undefined>): void {
    // Built once and turned into the hash, never kept: no reactivity needed.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined && v !== '') query.set(k, String(v));
    const text = query.toString();
    location.hash = `#/${route}${text ? `?${text}` : ''}`;
  }
}

export const router = new Router();
