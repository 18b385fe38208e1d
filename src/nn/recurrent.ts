/** The recurrent layer a task model runs: the GRU, or the attention GRU in one of its forms. */
import type { DType } from '../tensor/tensor.js';
import { GRU, type GRUOptions } from './gru.js';
import { AttentionGRUStack } from './attention-gru-stack.js';
import { SEED_003_FORM } from './attention-gru.js';
import { GruError } from '../errors.js';

/**
 * A task model's cell, as saved in its model file (absent: the GRU).
 * - `gru`: PyTorch's nn.GRU.
 * - `attention-gru`: {@link AttentionGRU}, attention over its own earlier states.
 * - `seed-003`: the attention GRU exactly as seed 003 writes it (no biases, no
 *   reset gate on the context, memory h_1 … h_{t−1}, z weighing the candidate).
 * The attention cells attend to all earlier states, to the last `window`, or
 * (`local` = D) to Luong's predicted window of 2D + 1.
 */
export interface CellConfig {
  kind: 'gru' | 'attention-gru' | 'seed-003';
  /** Attention cells: attend to the last `window` states (0 or absent: all). */
  window?: number;
  /** Attention cells: Luong local-p with half width D (0 or absent: off). Not with `window`. */
  local?: number;
}

export const CELL_KINDS = ['gru', 'attention-gru', 'seed-003'] as const;

/** What every recurrent layer built here offers a task model. */
export type RecurrentLayer = GRU | AttentionGRUStack;

/** What a task model sets on its recurrent layer, whichever the cell (as {@link GRUOptions}). */
export interface RecurrentLayerOptions {
  inputSize: number;
  hiddenSize: number;
  numLayers?: number;
  bidirectional?: boolean;
  dropout?: number;
  batchFirst?: boolean;
  seed?: number;
  dtype?: DType;
}

/** Checks a cell config (from options or a model file); errors name `who`. */
export function checkCell(cell: CellConfig, who = 'cell'): void {
  if (!(CELL_KINDS as readonly string[]).includes(cell.kind)) throw new GruError('INVALID_ARGUMENT', `${who}: kind must be one of ${CELL_KINDS.join(', ')}, got ${JSON.stringify(cell.kind)}`);
  const w = cell.window ?? 0,
    d = cell.local ?? 0;
  if (!Number.isInteger(w) || w < 0) throw new GruError('INVALID_ARGUMENT', `${who}: window must be a non-negative integer, got ${cell.window}`);
  if (!Number.isInteger(d) || d < 0) throw new GruError('INVALID_ARGUMENT', `${who}: local must be a non-negative integer, got ${cell.local}`);
  if (cell.kind === 'gru' && (w > 0 || d > 0)) throw new GruError('INVALID_ARGUMENT', `${who}: window and local apply to the attention cells (attention-gru, seed-003), not the GRU`);
  if (w > 0 && d > 0) throw new GruError('INVALID_ARGUMENT', `${who}: window and local are two kinds of local attention; give one, got window ${w} and local ${d}`);
}

/** The recurrent layer for `cell` (the GRU when absent), with the GRU's interface. */
export function recurrentLayer(cell: CellConfig | undefined, o: RecurrentLayerOptions): RecurrentLayer {
  if (!cell || cell.kind === 'gru') {
    if (cell) checkCell(cell);
    return new GRU(o);
  }
  checkCell(cell);
  const local = cell.local ? { kind: 'predictive' as const, halfWidth: cell.local } : undefined;
  const form = cell.kind === 'seed-003' ? { ...SEED_003_FORM, bias: false } : {};
  return new AttentionGRUStack({ ...o, ...form, window: cell.window ?? 0, local });
}

/** A short name for messages and `gru info`: "gru", "attention-gru (window 32)", "seed-003 (local-p D 8)". */
export function describeCell(cell: CellConfig | undefined): string {
  if (!cell) return 'gru';
  const extra = cell.window ? ` (window ${cell.window})` : cell.local ? ` (local-p D ${cell.local})` : '';
  return cell.kind + extra;
}
