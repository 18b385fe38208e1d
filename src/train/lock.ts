/**
 * One writer per output file: a training run holds `${path}.lock` while it
 * writes `path` (the model file and its checkpoint), so a second run given
 * the same `--out` is refused at once instead of both exiting 0 with one
 * run's file silently replaced by the other's.
 *
 * The lock file is created exclusively and records the holder (process id,
 * thread, host, start time). A lock whose process no longer runs on this
 * host (a run that was killed) is stale and taken over.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { GruError } from '../errors.js';
import { processAlive } from '../io/safetensors-file.js';

/** What a lock file holds. */
export interface LockOwner {
  pid: number;
  thread: number;
  host: string;
  started: string;
  token: string;
}

/** A held lock; `release()` removes the lock file (only if it is still ours). */
export interface FileLock {
  path: string;
  token: string;
  release(): void;
}

const held = new Map<string, FileLock>();
let listener: ((lock: { path: string; token: string; acquired: boolean }) => void) | null = null;

/** Called whenever this thread takes or releases a lock (the worker runner uses it to clean up after a terminated worker). */
export function onLockChange(fn: ((lock: { path: string; token: string; acquired: boolean }) => void) | null): void {
  listener = fn;
}

/**
 * Takes the lock for writing `path` (`${path}.lock`), or throws a
 * {@link GruError} ('INVALID_ARGUMENT') naming the run that holds it.
 * `what` names the file in the message (e.g. "--out").
 */
export function lockForWriting(path: string, what = path): FileLock {
  const lockPath = `${path}.lock`;
  const token = randomBytes(8).toString('hex');
  const owner: LockOwner = { pid: process.pid, thread: threadId, host: hostname(), started: new Date().toISOString(), token };
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(lockPath, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const other = readOwner(lockPath);
      // Unreadable: being written this instant (busy), or left half-written long ago (stale).
      const stale = other ? other.host === owner.host && !processAlive(other.pid) : ageMs(lockPath) > 10_000;
      if (!stale || attempt > 0) throw busy(lockPath, what, other);
      try {
        unlinkSync(lockPath);
      } catch {
        // removed meanwhile: try again
      }
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(owner));
    } finally {
      closeSync(fd);
    }
    const lock: FileLock = {
      path: lockPath,
      token,
      release() {
        if (held.get(lockPath) !== lock) return;
        held.delete(lockPath);
        releaseLockFile(lockPath, token);
        listener?.({ path: lockPath, token, acquired: false });
      },
    };
    held.set(lockPath, lock);
    listener?.({ path: lockPath, token, acquired: true });
    return lock;
  }
}

/** Removes a lock file if it still holds `token` (someone may have taken over a lock they judged stale). */
export function releaseLockFile(lockPath: string, token: string): void {
  try {
    if (readOwner(lockPath)?.token === token) unlinkSync(lockPath);
  } catch {
    // already gone
  }
}

/** Releases every lock this thread holds (at exit, or when a run fails). */
export function releaseAllLocks(): void {
  for (const lock of [...held.values()]) lock.release();
}

function readOwner(lockPath: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(lockPath, 'utf8')) as LockOwner;
    return typeof o === 'object' && o !== null && Number.isInteger(o.pid) ? o : null;
  } catch {
    return null;
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return Infinity;
  }
}

function busy(lockPath: string, what: string, other: LockOwner | null): GruError {
  const who = other ? `another training run (process ${other.pid}${other.thread ? `, thread ${other.thread}` : ''}${other.host !== hostname() ? ` on ${other.host}` : ''}, started ${other.started})` : 'another training run';
  return new GruError('INVALID_ARGUMENT', `${who} is writing ${what}; wait for it to finish or choose another output file (if no such run exists, delete ${lockPath})`);
}

// A process that exits normally (an error included) leaves no lock behind; a killed one leaves a stale lock, which the next run takes over.
process.once('exit', releaseAllLocks);
