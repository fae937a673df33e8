/** One line of a run's metrics log (metrics.jsonl): a training step or an evaluation. */
export interface MetricsRecord {
  kind: 'train' | 'eval';
  step: number;
  epoch?: number;
  lr?: number;
  puzzle_emb_lr?: number;
  loss?: number;
  lm_loss?: number;
  q_halt_loss?: number;
  q_continue_loss?: number;
  accuracy: number;
  exact_accuracy: number;
  q_halt_accuracy: number;
  /** Mean segments used by the halted (or evaluated) sequences. */
  steps: number;
  /** Sequences the metrics average over (halted slots in training, examples in evaluation); a
   * training step where no slot halted has count 0 and its accuracy fields are 0. */
  count: number;
  /** Training: the norm of the step's gradient (of loss / global batch, puzzle rows included). */
  grad_norm?: number;
  /** Training: the step's update was skipped because its loss or gradient norm was not finite. */
  skipped?: boolean;
  /** Seconds since the run started, excluding time before a resume's checkpoint. */
  time: number;
}
