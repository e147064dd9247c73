/** Schema 3: each batch's per-head cross-entropy beside the summed loss, for the live per-head curves. */
export default `
ALTER TABLE run_batches ADD COLUMN root_loss REAL;
ALTER TABLE run_batches ADD COLUMN vowel_loss REAL;
ALTER TABLE run_batches ADD COLUMN consonant_loss REAL;
`;
