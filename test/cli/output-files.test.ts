import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { main } from '../../src/cli/cli';
import { UsageError } from '../../src/cli/cli-input';
import { writableDirectory, writableFileDirectory, writeOutputFile } from '../../src/cli/output-files';

// The command line writes only what it is asked to: through a temporary file and a rename, never through a symlink.

describe('output files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'output-files-'));

  test('a symlink at the target is replaced, and the file it pointed to is left as it was', () => {
    // GIVEN a file outside the output folder and a symlink to it planted at the output's name
    const outside = join(dir, 'precious.txt');
    writeFileSync(outside, 'keep me');
    const out = join(dir, 'charts');
    mkdirSync(out);
    symlinkSync(outside, join(out, 'cost-vs-slo.svg'));
    // WHEN the output is written
    writeOutputFile(join(out, 'cost-vs-slo.svg'), '<svg/>', '--svg');
    // THEN the symlink is gone, the output is a plain file, and the outside file is untouched
    expect(lstatSync(join(out, 'cost-vs-slo.svg')).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(out, 'cost-vs-slo.svg'), 'utf8')).toBe('<svg/>');
    expect(readFileSync(outside, 'utf8')).toBe('keep me');
    expect(readdirSync(out)).toEqual(['cost-vs-slo.svg']);
  });

  test('the write probe never follows a planted symlink and leaves nothing behind', () => {
    const outside = join(dir, 'victim.txt');
    writeFileSync(outside, 'intact');
    const out = join(dir, 'probe');
    mkdirSync(out);
    symlinkSync(outside, join(out, `.cdk8s-vllm-write-test-${process.pid}`));
    writableDirectory(out, '--svg');
    expect(readFileSync(outside, 'utf8')).toBe('intact');
    expect(readdirSync(out)).toEqual([`.cdk8s-vllm-write-test-${process.pid}`]);
  });

  test('checking a folder creates nothing', () => {
    const missing = join(dir, 'not', 'yet');
    writableFileDirectory(join(missing, 'bench.md'), '--markdown');
    expect(existsSync(join(dir, 'not'))).toBe(false);
  });

  test('a folder under a file, and a directory given as a file, are refused with the reason', () => {
    const file = join(dir, 'plain.txt');
    writeFileSync(file, '');
    expect(() => writableDirectory(join(file, 'charts'), '--svg')).toThrow(new UsageError(`--svg '${join(file, 'charts')}' is not a writable directory: '${file}' is not a directory`));
    expect(() => writableFileDirectory(dir, '--markdown')).toThrow(new UsageError(`--markdown '${dir}' is a directory, not a file`));
  });

  test('a refused run leaves no --markdown or --svg folder behind', () => {
    const trace = join(dir, 'zero.csv');
    writeFileSync(trace, 'TIMESTAMP,ContextTokens,GeneratedTokens\n0,0,0\n');
    const code = main(['bench', '--trace', trace, '--markdown', join(dir, 'md', 'bench.md'), '--svg', join(dir, 'svg-out')], () => undefined, () => undefined);
    expect(code).toBe(1);
    expect(existsSync(join(dir, 'md'))).toBe(false);
    expect(existsSync(join(dir, 'svg-out'))).toBe(false);
  });
});
