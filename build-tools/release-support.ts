import { spawnSync, SpawnSyncOptions } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** The repository root. */
export const ROOT = path.resolve(__dirname, '..');

/** Runs a command without a shell; throws with its output when it fails. Returns its standard output. */
export function run(command: string, args: string[], options: SpawnSyncOptions = {}): string {
  const proc = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options });
  if (proc.error) throw proc.error;
  if (proc.status !== 0) {
    throw new Error(`${[command, ...args].join(' ')} failed (exit ${proc.status ?? proc.signal}):\n${proc.stdout}\n${proc.stderr}`);
  }
  return String(proc.stdout);
}

/** Collects failed expectations and reports them all at once. */
export class Findings {
  private readonly problems: string[] = [];
  constructor(private readonly title: string) {}
  expect(ok: boolean, problem: string): void {
    if (!ok) this.problems.push(problem);
  }
  /** Prints the findings and sets the exit code; `passed` is printed when there are none. */
  report(passed: string): void {
    if (this.problems.length > 0) {
      console.error(`${this.title}: ${this.problems.length} problem(s)\n  ${this.problems.join('\n  ')}`);
      process.exitCode = 1;
    } else {
      console.log(`${this.title}: ${passed}`);
    }
  }
}

/** The text of the README section under `## <heading>`, up to the next `## ` heading. */
export function readmeSection(heading: string): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${heading}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The packages each language's install line in the README names. */
export interface InstallLines {
  /** The `npm install` line as written. */
  readonly npmLine: string;
  readonly npm: string[];
  readonly pip: string[];
  /** `groupId:artifactId` of each Maven dependency, with its version as written. */
  readonly maven: Map<string, string>;
  readonly nuget: string[];
  readonly go: string[];
}

/** Reads the install line of every language from the README's Install section. */
export function readmeInstallLines(): InstallLines {
  const section = readmeSection('Install');
  const line = (prefix: string): string => {
    const found = section.split('\n').filter((l) => l.startsWith(prefix));
    if (found.length !== 1) throw new Error(`README Install section: expected one line starting '${prefix}', found ${found.length}`);
    return found[0];
  };
  const words = (l: string, prefix: string) => l.slice(prefix.length).trim().split(/\s+/);
  const maven = new Map<string, string>();
  for (const m of section.matchAll(/<groupId>([^<]+)<\/groupId>\s*<artifactId>([^<]+)<\/artifactId>\s*<version>([^<]+)<\/version>/g)) {
    maven.set(`${m[1]}:${m[2]}`, m[3]);
  }
  const npmLine = line('npm install ');
  return {
    npmLine,
    npm: words(npmLine, 'npm install '),
    pip: words(line('pip install '), 'pip install '),
    maven,
    nuget: section.split('\n').filter((l) => l.startsWith('dotnet add package ')).map((l) => words(l, 'dotnet add package ')[0]),
    go: words(line('go get '), 'go get '),
  };
}

/** Sorted copy, for comparing sets of names. */
export function sorted(values: Iterable<string>): string[] {
  return [...values].sort();
}
