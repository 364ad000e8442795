import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

/**
 * The shape of src/: imports run one way (no file reaches itself through its imports, type-only imports
 * included), and every folder below src/ stays small enough to read (src/ itself is flat, one construct per
 * file; the generated CRD types in src/imports are left out).
 */
const SRC = path.resolve(__dirname, '..', 'src');
const GENERATED = path.join(SRC, 'imports');
const MAX_FILES_PER_FOLDER = 12;

type ImportGraph = Map<string, string[]>;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return full === GENERATED ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every relative import, re-export and `import type` of each file, resolved to the file it names. */
function importGraph(files: string[], read: (file: string) => string): ImportGraph {
  const known = new Set(files);
  const graph: ImportGraph = new Map();
  for (const file of files) {
    const imported = ts.preProcessFile(read(file), true, true).importedFiles
      .map((i) => i.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => path.resolve(path.dirname(file), name))
      .map((base) => [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => known.has(candidate)))
      .filter((target): target is string => target !== undefined);
    graph.set(file, [...new Set(imported)]);
  }
  return graph;
}

/** The import circles: strongly connected components of more than one file, or a file that imports itself (Tarjan). */
function importCircles(graph: ImportGraph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) circles.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return circles;
}

describe('the cycle finder', () => {
  const files = ['/p/a.ts', '/p/b.ts', '/p/c.ts', '/p/d.ts', '/p/rooms/index.ts', '/p/rooms/e.ts'];
  const graphOf = (sources: Record<string, string>) => importGraph(files, (file) => sources[file] ?? '');

  test('finds a pair joined by a type-only import, a triangle, and a re-export through a folder index', () => {
    const graph = graphOf({
      '/p/a.ts': "import { B } from './b';",
      '/p/b.ts': "import type { A } from './a';",
      '/p/c.ts': "export * from './rooms';",
      '/p/rooms/index.ts': "export { E } from './e';",
      '/p/rooms/e.ts': "import { C } from '../c';",
    });
    expect(importCircles(graph).map((c) => c.map((f) => path.relative('/p', f)))).toEqual([
      ['a.ts', 'b.ts'],
      ['c.ts', 'rooms/e.ts', 'rooms/index.ts'],
    ]);
  });

  test('finds none where imports run one way, and ignores packages', () => {
    const graph = graphOf({
      '/p/a.ts': "import { B } from './b';\nimport { Construct } from 'constructs';",
      '/p/b.ts': "import { C } from './c';",
      '/p/d.ts': "import { A } from './a';\nimport { C } from './c';",
    });
    expect(importCircles(graph)).toEqual([]);
  });
});

describe('src/', () => {
  const files = sourceFiles(SRC);

  test('has no import circles', () => {
    const circles = importCircles(importGraph(files, (file) => fs.readFileSync(file, 'utf8')));
    expect(circles.map((circle) => circle.map((file) => path.relative(SRC, file)).join(' <-> '))).toEqual([]);
  });

  test(`has no folder below it with more than ${MAX_FILES_PER_FOLDER} source files directly in it`, () => {
    const perFolder = new Map<string, number>();
    for (const file of files) {
      const folder = path.dirname(file);
      if (folder !== SRC) perFolder.set(folder, (perFolder.get(folder) ?? 0) + 1);
    }
    const crowded = [...perFolder].filter(([, count]) => count > MAX_FILES_PER_FOLDER).map(([folder, count]) => `${path.relative(SRC, folder)}: ${count}`);
    expect(perFolder.size).toBeGreaterThan(5);
    expect(crowded).toEqual([]);
  });
});
