import { randomBytes } from 'crypto';
import { closeSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'fs';
import { basename, dirname, join, resolve } from 'path';
import { UsageError } from './cli-input';

/**
 * The command line's output files. A file is written to a new temporary file beside it (created exclusively, so a
 * symlink planted at that name is never followed) and renamed over the target: a symlink at the target is replaced,
 * never written through, and a failed write leaves the old file as it was.
 */

/** A name in `dir` that nothing holds yet, for the command's own scratch files. */
function scratchName(dir: string, stem: string): string {
  return join(dir, `.${stem}-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** Creates `path` exclusively (never through a symlink), writes `text` and closes it; removes it on failure. */
function writeExclusive(path: string, text: string): void {
  const fd = openSync(path, 'wx', 0o644);
  try {
    writeSync(fd, text);
  } catch (error) {
    closeSync(fd);
    unlinkSync(path);
    throw error;
  }
  closeSync(fd);
}

/** The nearest folder of `dir` (itself or an ancestor) that exists. */
function nearestExisting(dir: string): string {
  let current = resolve(dir);
  for (;;) {
    try {
      statSync(current);
      return current;
    } catch {
      const parent = dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

/**
 * Proves, before any replay runs, that `dir` can be created and written: its nearest existing folder must be a
 * directory that accepts a file (a probe, created exclusively and removed). Nothing is created, so a run refused
 * later leaves no folder behind; the folder is made when the output is written.
 */
export function writableDirectory(dir: string, flag: string): void {
  const existing = nearestExisting(dir);
  const fail = (why: string): never => {
    throw new UsageError(`${flag} '${dir}' is not a writable directory: ${why}`);
  };
  if (!statSync(existing).isDirectory()) fail(`'${existing}' is not a directory`);
  const probe = scratchName(existing, 'cdk8s-vllm-write-test');
  try {
    writeExclusive(probe, '');
    unlinkSync(probe);
  } catch (error) {
    fail((error as Error).message);
  }
}

/** The directory of an output file must be writable, and the file itself must not be a directory. */
export function writableFileDirectory(file: string, flag: string): void {
  let isDirectory = false;
  try {
    isDirectory = statSync(file).isDirectory();
  } catch {
    // Not there yet: it is created.
  }
  if (isDirectory) throw new UsageError(`${flag} '${file}' is a directory, not a file`);
  writableDirectory(dirname(file), flag);
}

/** Writes `text` to `file` through a temporary file and a rename, creating its folder; `flag` names it in errors. */
export function writeOutputFile(file: string, text: string, flag: string): void {
  const dir = dirname(file);
  const temporary = scratchName(dir, `${basename(file)}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    writeExclusive(temporary, text);
  } catch (error) {
    throw new UsageError(`${flag}: '${file}' cannot be written: ${(error as Error).message}`);
  }
  try {
    renameSync(temporary, file);
  } catch (error) {
    unlinkSync(temporary);
    throw new UsageError(`${flag}: '${file}' cannot be written: ${(error as Error).message}`);
  }
}
