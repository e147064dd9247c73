/** macroRecall against scikit-learn itself, where a python with scikit-learn is at hand (skipped otherwise). */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { macroRecall } from '../../../src-main/train/metrics.js';
import { rng } from '../../../src-main/train/random.js';
import { ROOT } from '../../helpers.js';

const python = [process.env.SKLEARN_PYTHON, join(ROOT, '.cache', 'torch-venv', 'bin', 'python'), 'python3'].find(
  (py) => py && spawnSync(py, ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0,
);

it.runIf(python)('agrees with sklearn.metrics.recall_score(average="macro") on 200 random cases', () => {
  const random = rng(7);
  const cases = Array.from({ length: 200 }, () => {
    const n = 1 + Math.floor(random() * 60);
    const k = 1 + Math.floor(random() * 20);
    const t = Array.from({ length: n }, () => Math.floor(random() * k));
    // Half right, the rest random, sometimes classes that never occur in y_true.
    const p = t.map((v) => (random() < 0.5 ? v : Math.floor(random() * (k + 3))));
    return { t, p };
  });
  const script = [
    'import json, sys, warnings',
    "warnings.filterwarnings('ignore')",
    'from sklearn.metrics import recall_score',
    "print(json.dumps([recall_score(c['t'], c['p'], average='macro') for c in json.load(sys.stdin)]))",
  ].join('\n');
  const sk = JSON.parse(execFileSync(python!, ['-c', script], { input: JSON.stringify(cases) }).toString()) as number[];
  cases.forEach((c, i) => expect(macroRecall(c.t, c.p)).toBeCloseTo(sk[i]!, 12));
});
