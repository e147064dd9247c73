/**
 * The open project as the header and the import dialog show it: its name, its
 * file, whether it can be written, and the labels CSV written beside it.
 */
import { api } from '../api/client';
import type { ProjectInfo } from '$contract/calls';

class ProjectState {
  info = $state.raw<ProjectInfo | null>(null);
  #loading: Promise<ProjectInfo | null> | null = null;

  /** Asks once; later calls share the answer. */
  load(): Promise<ProjectInfo | null> {
    this.#loading ??= api.call('project.info', {}).then(
      (p) => (this.info = p),
      () => null,
    );
    return this.#loading;
  }

  /** Where the labels CSV goes by default: beside the project file, named after it. */
  get labelsCsvPath(): string {
    return this.info ? this.info.path.replace(/\.[^./\\]+$/, '') + '-labels.csv' : '';
  }

  /** Writes the labels as train.csv on the machine that runs Grapheme Studio. */
  exportLabels(out: string): Promise<{ rows: number; path: string }> {
    return api.call('export.labels', { out });
  }
}

export const project = new ProjectState();
