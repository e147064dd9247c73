/** Moved to shared/ so the renderer (synth/) can draw from the same generator; re-exported for the trainer. */
export { rng, shuffle } from '../shared/random.js';
