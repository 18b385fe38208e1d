/** What every benchmarked engine provides: a prepared, timed function per workload. */
import type { Workload } from '../workloads.js';

export type Step = () => unknown | Promise<unknown>;

export interface Engine {
  /** Name as printed, e.g. "gru-ts native ×2". */
  name: string;
  /** Short label of the family, for ratios ("onnxruntime", "tfjs-wasm", …). */
  family: string;
  /** Prepares the workload and returns the function whose time is measured, or a reason it does not run it. */
  prepare(w: Workload): Promise<Step | string>;
  /** Frees what prepare made. */
  release?(): void;
  /** A caveat printed under the table. */
  note?: string;
}
