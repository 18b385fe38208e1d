/**
 * Crash safety, tested by killing: `gru train forecast --resume` is run
 * again and again and killed (SIGKILL) at random moments — during start-up,
 * mid-epoch, and while a checkpoint or the model file is being written
 * (the process is frozen with SIGSTOP the moment a temporary file appears,
 * then killed). After every kill, every checkpoint and model file on disk
 * must load, and the history a checkpoint holds must be exactly the losses
 * of an uninterrupted run with the same settings: so every resumed run
 * reproduces the uninterrupted losses. Each chain of killed runs is then
 * finished by one last run, whose model file must equal the uninterrupted
 * run's, with no temporary or lock file left behind.
 *
 *   npm run kill-test                 (100 kills)
 *   node --import tsx scripts/kill-test.ts --kills 300 --seed 7 --keep
 *
 * It runs the built command (dist/cli/main.js): build first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseSafetensors } from '../src/io/safetensors.js';
import { Rng } from '../src/tensor/random.js';
import { TASKS } from '../src/tasks/index.js';
import { loadTaskModel } from '../src/tasks/registry.js';

export interface KillTestOptions {
  /** SIGKILLs to deliver (default 100). */
  kills?: number;
  /** Seeds the kill moments (default 1). */
  seed?: number;
  /** Epochs per training run (default 20). */
  epochs?: number;
  /** Keep the working directory (printed) instead of removing it. */
  keep?: boolean;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface KillTestReport {
  /** SIGKILLs delivered to running training processes. */
  kills: number;
  /** Of them, kills while a checkpoint or model file was being written (its temporary file existed when the process was frozen). */
  killsDuringWrite: number;
  /** Checkpoints and model files found after a kill, all loaded and checked. */
  filesChecked: number;
  /** Files that did not load, or a checkpoint whose history is not the uninterrupted run's: must be 0. */
  corrupt: number;
  /** Runs that resumed from a checkpoint and wrote further epochs before they were killed or finished. */
  resumedRuns: number;
  /** Of them, runs whose new epochs have exactly the uninterrupted run's losses. */
  resumedRunsReproducing: number;
  /** Chains of killed runs finished by a last run. */
  chains: number;
  /** Of them, chains whose final model file and history equal the uninterrupted run's. */
  chainsReproducing: number;
  /** Temporary (*.tmp-*) or lock files left after a chain's last run: must be 0. */
  leftovers: number;
  /** What went wrong, one line each. */
  failures: string[];
  seconds: number;
}

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

/** A daily series with a weekly pattern, a trend and deterministic noise. */
function seriesCsv(days: number): string {
  const week = [10, 12, 13, 12, 11, 6, 5];
  const rows = ['date,value'];
  for (let d = 0; d < days; d++) {
    const date = new Date(Date.UTC(2020, 0, 1) + d * 86_400_000).toISOString().slice(0, 10);
    rows.push(`${date},${(100 + 0.05 * d + 4 * week[d % 7] + 3 * Math.sin(d * 1.7) + 2 * Math.cos(d * 0.31)).toFixed(3)}`);
  }
  return rows.join('\n') + '\n';
}

interface History {
  epoch: number;
  trainLoss: number;
  valLoss?: number;
  lr: number;
}

/** The history a checkpoint holds (throws when it does not parse). */
function checkpointHistory(path: string): History[] {
  const file = parseSafetensors(readFileSync(path));
  const state = JSON.parse(file.metadata.checkpoint) as { history: History[] };
  return state.history;
}

/** Same epochs, same losses, bit for bit (the seconds aside). */
function sameLosses(a: History[], b: History[]): boolean {
  return a.every((h, i) => b[i] !== undefined && h.epoch === b[i].epoch && h.trainLoss === b[i].trainLoss && h.valLoss === b[i].valLoss && h.lr === b[i].lr);
}

/** The float tensors of a model file, for comparison. */
function tensorsOf(path: string): Map<string, string> {
  const file = parseSafetensors(readFileSync(path));
  return new Map([...file.tensors].map(([k, t]) => [k, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64')]));
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

export async function killTest(o: KillTestOptions = {}): Promise<KillTestReport> {
  const t0 = performance.now();
  const kills = o.kills ?? 100;
  const rng = new Rng(o.seed ?? 1); // the kill moments, reproducible from the seed
  const rand = () => rng.uniform();
  const log = o.log ?? (() => {});
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (npx tsc -p tsconfig.build.json)`);
  const root = mkdtempSync(join(tmpdir(), 'gru-kill-'));
  const data = join(root, 'series.csv');
  writeFileSync(data, seriesCsv(240));
  const epochs = o.epochs ?? 20;
  const args = (out: string) => [
    cli,
    'train',
    'forecast',
    '--data',
    data,
    '--column',
    'value',
    '--lookback',
    '14',
    '--horizon',
    '3',
    '--test-size',
    '28',
    '--hidden',
    '48',
    '--epochs',
    String(epochs),
    '--patience',
    String(epochs),
    '--seed',
    '3',
    '--out',
    out,
    '--resume',
  ];
  const report: KillTestReport = { kills: 0, killsDuringWrite: 0, filesChecked: 0, corrupt: 0, resumedRuns: 0, resumedRunsReproducing: 0, chains: 0, chainsReproducing: 0, leftovers: 0, failures: [], seconds: 0 };
  const fail = (line: string) => {
    report.failures.push(line);
    log(`FAIL ${line}`);
  };

  try {
    // The uninterrupted run.
    const refDir = join(root, 'reference');
    mkdirSync(refDir);
    const refOut = join(refDir, 'model.safetensors');
    const refStart = performance.now();
    const ref = spawn(process.execPath, args(refOut), { cwd: refDir, stdio: ['ignore', 'ignore', 'pipe'] });
    let refErr = '';
    ref.stderr!.on('data', (d) => (refErr += d));
    // When the first epoch ends (its checkpoint appears): start-up and data loading take the time before.
    let firstMs = 0;
    const w = watch(refDir, (_event, name) => {
      if (!firstMs && name === 'model.ckpt.safetensors') firstMs = performance.now() - refStart;
    });
    const r = await exited(ref);
    w.close();
    if (r.code !== 0) throw new Error(`the uninterrupted run failed (exit ${r.code}): ${refErr.trim().split('\n').pop()}`);
    const runMs = performance.now() - refStart;
    firstMs ||= runMs / 2;
    const reference = checkpointHistory(join(refDir, 'model.ckpt.safetensors'));
    const referenceModel = tensorsOf(refOut);
    log(`uninterrupted run: ${reference.length} epochs in ${(runMs / 1000).toFixed(1)} s`);

    let chainDir = '';
    const newChain = () => {
      chainDir = join(root, `chain-${report.chains + 1}`);
      mkdirSync(chainDir);
    };
    const out = () => join(chainDir, 'model.safetensors');
    const ckpt = () => join(chainDir, 'model.ckpt.safetensors');
    const epochsOnDisk = () => (existsSync(ckpt()) ? checkpointHistory(ckpt()).length : 0);

    /** After a kill or a finished run: every file loads; the checkpoint's history is the uninterrupted run's. */
    const inspect = (startedAt: number, when: string) => {
      let now = startedAt;
      for (const path of [ckpt(), out()]) {
        if (!existsSync(path)) continue;
        report.filesChecked++;
        try {
          loadTaskModel(TASKS, path);
          if (path === ckpt()) {
            const h = checkpointHistory(path);
            now = h.length;
            if (!sameLosses(h, reference)) {
              report.corrupt++;
              fail(`${when}: the checkpoint's ${h.length} epochs differ from the uninterrupted run's`);
            }
          }
        } catch (e) {
          report.corrupt++;
          fail(`${when}: ${path} does not load: ${(e as Error).message}`);
        }
      }
      if (startedAt > 0 && now > startedAt) {
        report.resumedRuns++;
        if (sameLosses(checkpointHistory(ckpt()), reference)) report.resumedRunsReproducing++;
      }
    };

    /** The last run of a chain: it must finish and leave the uninterrupted run's files, nothing else. */
    const finishChain = async () => {
      const startedAt = epochsOnDisk();
      const child = spawn(process.execPath, args(out()), { cwd: chainDir, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (d) => (err += d));
      const e = await exited(child);
      report.chains++;
      if (e.code !== 0) {
        fail(`chain ${report.chains}: the last run failed (exit ${e.code}): ${err.trim().split('\n').pop()}`);
        return;
      }
      inspect(startedAt, `chain ${report.chains}, last run`);
      const h = checkpointHistory(ckpt());
      const model = tensorsOf(out());
      const sameModel = model.size === referenceModel.size && [...model].every(([k, v]) => referenceModel.get(k) === v);
      if (h.length === reference.length && sameLosses(h, reference) && sameModel) report.chainsReproducing++;
      else fail(`chain ${report.chains}: the finished run differs from the uninterrupted one (${h.length} vs ${reference.length} epochs${sameModel ? '' : ', other weights'})`);
      const left = readdirSync(chainDir).filter((f) => f.includes('.tmp-') || f.endsWith('.lock'));
      report.leftovers += left.length;
      if (left.length) fail(`chain ${report.chains}: left behind: ${left.join(', ')}`);
      log(`chain ${report.chains} finished: ${h.length} epochs, ${sameModel ? 'the same model' : 'ANOTHER MODEL'}`);
    };

    newChain();
    while (report.kills < kills) {
      const startedAt = epochsOnDisk();
      const child = spawn(process.execPath, args(out()), { cwd: chainDir, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (d) => (err += d));
      // A third of the kills the moment a file write starts (the k-th write of the run); a third at any
      // moment of the run (start-up included); a third at a moment while it trains.
      const mode = report.kills % 3;
      const atWrite = mode === 0;
      let duringWrite = false;
      let killed = false;
      const kill = () => {
        if (killed || child.exitCode !== null) return;
        killed = true;
        child.kill('SIGKILL');
      };
      let watcher: ReturnType<typeof watch> | null = null;
      let timer: ReturnType<typeof setTimeout> | undefined;
      if (atWrite) {
        let writesLeft = 1 + Math.floor(rand() * 4);
        watcher = watch(chainDir, (_event, name) => {
          if (killed || !name || !name.includes('.tmp-') || --writesLeft > 0) return;
          child.kill('SIGSTOP'); // frozen mid-write, or just after it
          duringWrite = readdirSync(chainDir).some((f) => f.includes('.tmp-'));
          kill();
        });
        timer = setTimeout(kill, runMs * 1.5); // no write came: kill anyway
      } else {
        timer = setTimeout(kill, 0.9 * (mode === 1 ? rand() * runMs : firstMs + rand() * (runMs - firstMs)));
      }
      const e = await exited(child);
      clearTimeout(timer);
      watcher?.close();
      if (killed) {
        report.kills++;
        if (duringWrite) report.killsDuringWrite++;
        inspect(startedAt, `kill ${report.kills}`);
        log(`kill ${report.kills}: ${atWrite ? (duringWrite ? 'during a write' : 'just after a write') : mode === 1 ? 'at any moment' : 'while training'}, ${epochsOnDisk()} epochs on disk`);
      } else if (e.code === 0) {
        // It finished before the kill: check it as a chain's end and start a new chain.
        report.chains++;
        inspect(startedAt, `chain ${report.chains}, finished early`);
        const h = checkpointHistory(ckpt());
        if (h.length === reference.length && sameLosses(h, reference)) report.chainsReproducing++;
        else fail(`chain ${report.chains}: finished with ${h.length} epochs differing from the uninterrupted run's`);
        newChain();
      } else {
        fail(`a run failed on its own (exit ${e.code}${e.signal ? `, ${e.signal}` : ''}): ${err.trim().split('\n').pop()}`);
        if (report.failures.length > 5) break;
      }
      if (epochsOnDisk() >= reference.length) {
        await finishChain();
        newChain();
      }
    }
    if (epochsOnDisk() === 0 && !existsSync(out())) {
      // Every kill came before a checkpoint (a slow, loaded machine): stop one run just after its first
      // checkpoint, so that the last run below resumes from one (not counted as a kill).
      const child = spawn(process.execPath, args(out()), { cwd: chainDir, stdio: 'ignore' });
      const watcher = watch(chainDir, (_event, name) => {
        if (name === 'model.ckpt.safetensors' && existsSync(ckpt())) child.kill('SIGKILL');
      });
      await exited(child);
      watcher.close();
      inspect(0, 'a run stopped after its first checkpoint');
    }
    if (epochsOnDisk() > 0 || existsSync(out())) await finishChain();
  } finally {
    report.seconds = (performance.now() - t0) / 1000;
    if (o.keep) log(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
  return report;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const flag = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const r = await killTest({
    kills: Number(flag('--kills') ?? 100),
    seed: Number(flag('--seed') ?? 1),
    epochs: flag('--epochs') ? Number(flag('--epochs')) : undefined,
    keep: process.argv.includes('--keep'),
    log: (line) => console.error(line),
  });
  console.log(
    `kills ${r.kills} (during a file write: ${r.killsDuringWrite}); files checked ${r.filesChecked}, corrupt ${r.corrupt}; ` +
      `resumed runs ${r.resumedRuns}, reproducing the uninterrupted losses ${r.resumedRunsReproducing}; chains finished ${r.chains}, reproducing the uninterrupted model ${r.chainsReproducing}; leftover files ${r.leftovers}; ${r.seconds.toFixed(0)} s`,
  );
  console.log(JSON.stringify(r));
  const ok = r.corrupt === 0 && r.failures.length === 0 && r.leftovers === 0 && r.resumedRuns === r.resumedRunsReproducing && r.chains === r.chainsReproducing;
  process.exitCode = ok ? 0 : 1;
}
