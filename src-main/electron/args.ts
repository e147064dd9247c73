import { resolve } from 'node:path';

const PROJECT_EXTENSIONS = /\.(sqlite|sqlite3|db|gsproj)$/i;

/**
 * The project file named on a command line (first launch or a second
 * instance's argv), if any: the first argument that is not a flag and looks
 * like a project file. Electron's own executable and the app path come
 * first in argv and never match.
 */
export function projectFromArgv(argv: readonly string[], cwd: string): string | null {
  for (const arg of argv.slice(1)) {
    if (arg.startsWith('-')) continue;
    if (PROJECT_EXTENSIONS.test(arg)) return resolve(cwd, arg);
  }
  return null;
}
