import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');

/** The jsii assembly, compiled first when it is missing or older than a source file. */
function assembly(): any {
  const file = path.join(ROOT, '.jsii');
  const newestSource = Math.max(...fs.readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => fs.statSync(path.join(ROOT, 'src', f)).mtimeMs));
  if (!fs.existsSync(file) || fs.statSync(file).mtimeMs < newestSource) {
    execFileSync(process.execPath, [require.resolve('jsii/bin/jsii'), '--silence-warnings=reserved-word'], { cwd: ROOT, stdio: 'pipe' });
  }
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

test('every optional property of the public API documents its @default', () => {
  const missing: string[] = [];
  for (const type of Object.values<any>(assembly().types)) {
    for (const property of type.properties ?? []) {
      const isInput = type.kind === 'interface' && type.datatype;
      if (isInput && property.optional && property.docs?.default === undefined) missing.push(`${type.fqn}.${property.name}`);
    }
  }
  expect(missing).toEqual([]);
});

test('every public type and member is documented', () => {
  const undocumented: string[] = [];
  for (const type of Object.values<any>(assembly().types)) {
    if (!type.docs?.summary) undocumented.push(type.fqn);
    for (const member of [...(type.properties ?? []), ...(type.methods ?? [])]) {
      if (!member.docs?.summary) undocumented.push(`${type.fqn}.${member.name}`);
    }
  }
  expect(undocumented).toEqual([]);
});

test('every optional method parameter documents its default', () => {
  const missing: string[] = [];
  for (const type of Object.values<any>(assembly().types)) {
    for (const method of [...(type.methods ?? []), ...(type.initializer ? [type.initializer] : [])]) {
      for (const parameter of method.parameters ?? []) {
        const docs = `${parameter.docs?.summary ?? ''} ${parameter.docs?.remarks ?? ''}`;
        if (parameter.optional && !/default/i.test(docs)) missing.push(`${type.fqn}.${method.name ?? 'constructor'}(${parameter.name})`);
      }
    }
  }
  expect(missing).toEqual([]);
});
