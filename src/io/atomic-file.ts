/** Node only: writing a file so that it is never seen half-written (model files, checkpoints, exports, pictures). */
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';

/**
 * Writes `data` to `${path}.tmp-<pid>-<random>` (the existing file's mode kept), fsyncs it and renames it
 * over `path`, so a reader sees the old file or the new one, never a part; the temporary file is removed on
 * any failure (and `removeStaleTemporaries` clears those of killed processes).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let mode: number | null = null;
  try {
    mode = statSync(path).mode & 0o7777;
  } catch {
    // no existing file: the default mode applies
  }
  let fd: number | null = openSync(tmp, 'wx'); // 'x': never follow or reuse an existing file
  try {
    if (mode !== null) fchmodSync(fd, mode);
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
  syncDirectory(dirname(path));
}

/** Makes the rename itself durable; best effort (not possible on every platform, e.g. Windows). */
function syncDirectory(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // ignore: the data are written; only durability across a power cut is weaker
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
