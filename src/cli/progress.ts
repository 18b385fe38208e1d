/**
 * Shows training events: a progress bar with rate, ETA and loss on a
 * terminal (cli-progress), one plain line per epoch otherwise, nothing with
 * --json (scripts read the final object instead) but what a resumption
 * changed, which goes to stderr in every mode.
 */
import cliProgress from 'cli-progress';
import type { TrainEvent } from '../train/trainer.js';

export type Reporter = (e: TrainEvent) => void;

const fmt = (v: number | undefined, d = 4) => (v === undefined ? '—' : Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(d));

/** "resuming from k.ckpt.safetensors after epoch 4; changed: learning rate 0.003 → 0.001", or null when there is nothing to say. */
export function describeResume(e: TrainEvent): string | null {
  if (e.type !== 'resume') return null;
  if (!e.found) return `no checkpoint at ${e.path} to resume from; training from the start`;
  return `resuming from ${e.path} after epoch ${e.epoch + 1}${e.changes.length ? `; ${e.changes.join('; ')}` : ''}`;
}

export function progressReporter(mode: { json?: boolean; stream?: NodeJS.WriteStream }): Reporter {
  const stream = mode.stream ?? process.stderr;
  if (mode.json) {
    return (e) => {
      const r = describeResume(e);
      if (r) stream.write(`${r}\n`);
    };
  }
  if (!stream.isTTY) {
    return (e) => {
      const r = describeResume(e);
      if (r) stream.write(`${r}\n`);
      else if (e.type === 'epoch') {
        const val = e.valLoss !== undefined ? ` val ${fmt(e.valLoss)}${e.improved ? ' *' : ''}` : '';
        stream.write(`epoch ${e.epoch + 1}: train loss ${fmt(e.trainLoss)}${val} lr ${e.lr.toExponential(2)} (${e.seconds.toFixed(1)} s)\n`);
      } else if (e.type === 'stop' && e.reason === 'early-stopping') stream.write(`early stopping; best epoch ${e.bestEpoch + 1}\n`);
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'epoch {epoch}/{epochs} |{bar}| {percentage}% | {rate} steps/s | ETA {eta_formatted} | loss {loss} | val {val}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let epochs = 0;
  let val = '—';
  return (e) => {
    switch (e.type) {
      case 'resume':
        stream.write(`${describeResume(e)}\n`);
        break;
      case 'start':
        epochs = e.epochs;
        bar.start((e.epochs - e.startEpoch) * e.stepsPerEpoch, 0, { epoch: e.startEpoch + 1, epochs, rate: '—', loss: '—', val });
        break;
      case 'step':
        bar.increment(1, { epoch: e.epoch + 1, rate: e.stepsPerSecond.toFixed(1), loss: fmt(e.loss) });
        break;
      case 'epoch':
        val = e.valLoss !== undefined ? fmt(e.valLoss) + (e.improved ? '*' : '') : '—';
        bar.update({ val });
        break;
      case 'stop':
        bar.stop();
        if (e.reason === 'early-stopping') stream.write(`early stopping; best epoch ${e.bestEpoch + 1}\n`);
        break;
      default:
    }
  };
}
