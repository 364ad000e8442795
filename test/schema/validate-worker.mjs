// Child-process half of test/schema/validate.ts. The kubernetes-models packages are
// ESM-only, so jest (CommonJS) runs this file with `node` and talks JSON over stdio:
// stdin = array of manifests, stdout = array of ValidationResult (see validate.ts).
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ObjectMeta } from '@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta';
import { formats } from '@kubernetes-models/validate';
import { parseAllDocuments } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const CRD_DIR = resolve(here, '../..', 'data/crds');

// Tried in order; each ships `<pkg>/<group>/<version>/<Kind>` modules exporting a model class
// whose `validate()` runs a precompiled ajv validator and throws an error carrying `errors`.
const PACKAGES = ['kubernetes-models', '@kubernetes-models/keda', '@kubernetes-models/prometheus-operator'];

const API_VERSION_RE = /^([a-z0-9]([a-z0-9.-]*[a-z0-9])?\/)?v[0-9]+((alpha|beta)[0-9]+)?$/;
const KIND_RE = /^[A-Za-z][A-Za-z0-9]*$/;

/** `apiVersion kind` -> { source, check(obj) => ajv-style errors[] }, or undefined when no schema */
const validators = new Map();

async function modelValidator(apiVersion, kind) {
  for (const pkg of PACKAGES) {
    let mod;
    try {
      mod = await import(`${pkg}/${apiVersion}/${kind}`);
    } catch (e) {
      if (e.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' || e.code === 'ERR_MODULE_NOT_FOUND') continue;
      throw e;
    }
    const Model = mod[kind];
    // Sub-types such as DeploymentSpec are exported too but carry no apiVersion/kind.
    if (Model?.apiVersion !== apiVersion || Model?.kind !== kind) continue;
    return {
      source: pkg,
      check: (obj) => {
        try {
          new Model(obj).validate();
          return [];
        } catch (e) {
          if (!Array.isArray(e.errors)) throw e;
          return e.errors;
        }
      },
    };
  }
  return undefined;
}

// ---- CRD openAPIV3Schema validation (for groups no npm package covers) ----

const crdTexts = new Map();
const parsedCrdFiles = new Set();
const crdIndex = new Map();

// Parsing every CRD is the slowest step here, so only files mentioning the group are parsed.
function crdSchema(apiVersion, kind) {
  const group = apiVersion.split('/')[0];
  if (crdTexts.size === 0) {
    for (const file of readdirSync(CRD_DIR).filter((f) => /\.ya?ml$/.test(f)).sort()) crdTexts.set(file, readFileSync(join(CRD_DIR, file), 'utf8'));
  }
  for (const [file, text] of crdTexts) {
    if (parsedCrdFiles.has(file) || !text.includes(group)) continue;
    parsedCrdFiles.add(file);
    for (const doc of parseAllDocuments(text)) {
      const crd = doc.toJS();
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      for (const v of crd.spec.versions ?? []) {
        if (!v.served || !v.schema?.openAPIV3Schema) continue;
        crdIndex.set(`${crd.spec.group}/${v.name} ${crd.spec.names.kind}`, { file, schema: v.schema.openAPIV3Schema });
      }
    }
  }
  return crdIndex.get(`${apiVersion} ${kind}`);
}

let ajvInstance;
function ajv() {
  if (ajvInstance) return ajvInstance;
  // The top-level `ajv` in node_modules is eslint's v6; take the v8 that @kubernetes-models/validate uses.
  const req = createRequire(import.meta.resolve('@kubernetes-models/validate'));
  const Ajv = req('ajv').default;
  if (!Ajv || !/^8\./.test(req('ajv/package.json').version)) throw new Error('expected ajv@8 next to @kubernetes-models/validate');
  ajvInstance = new Ajv({ allErrors: true, strict: false, formats });
  ajvInstance.addKeyword({ keyword: 'x-kubernetes-list-type', schemaType: 'string', validate: validateListType });
  ajvInstance.addKeyword({ keyword: 'x-kubernetes-validations', schemaType: 'array', validate: validateCel });
  return ajvInstance;
}

// Uniqueness the API server enforces for `x-kubernetes-list-type: set|map`.
function validateListType(listType, data, parentSchema) {
  if (!Array.isArray(data) || (listType !== 'set' && listType !== 'map')) return true;
  const keys = parentSchema['x-kubernetes-list-map-keys'] ?? [];
  const seen = new Set();
  for (const [i, item] of data.entries()) {
    const id = listType === 'set' ? JSON.stringify(item) : keys.map((k) => `${k}=${JSON.stringify(item?.[k])}`).join(', ');
    if (seen.has(id)) {
      validateListType.errors = [{ keyword: 'x-kubernetes-list-type', params: {}, message: `has duplicate entry [${i}] (${id})` }];
      return false;
    }
    seen.add(id);
  }
  return true;
}

// CEL rules can't be evaluated here; only the "exactly one of" idiom used by the shipped CRDs
// (`has(self.a) != has(self.b)`) is enforced, any other rule is skipped.
function validateCel(rules, data) {
  if (data === null || typeof data !== 'object') return true;
  const errors = [];
  for (const { rule, message } of rules) {
    const m = /^has\(self\.(\w+)\) != has\(self\.(\w+)\)$/.exec(rule?.trim() ?? '');
    if (m && (m[1] in data) === (m[2] in data)) {
      errors.push({ keyword: 'x-kubernetes-validations', params: { rule }, message: message ?? `failed rule: ${rule}` });
    }
  }
  validateCel.errors = errors;
  return errors.length === 0;
}

const KNOWN_FORMATS = new Set(Object.keys(formats));

/**
 * Rewrites a structural schema into plain JSON Schema with Kubernetes semantics:
 * - objects with `properties` reject unknown fields (as `kubectl apply`'s default strict
 *   field validation does) unless `x-kubernetes-preserve-unknown-fields` is set;
 * - `x-kubernetes-int-or-string` accepts integer or string; `nullable` adds null;
 * - `x-kubernetes-embedded-resource` implies apiVersion/kind/metadata;
 * - unknown `format`s are ignored, as the API server does.
 */
// Go's RE2 allows an inline `(?i)` flag group, which JavaScript does not: spell it out as letter classes
// (patterns with their own character classes cannot be rewritten that simply and are left unchecked).
function toJsRegExpSource(pattern) {
  if (!pattern.includes('(?i)')) return pattern;
  if (pattern.includes('[') || pattern.includes('\\')) return undefined;
  return pattern.replace('(?i)', '').replace(/[A-Za-z]/g, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`);
}

function toJsonSchema(node) {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'default' || k === 'enum' || k === 'example' || k === 'x-kubernetes-validations') out[k] = v;
    else if (k === 'properties' || k === 'patternProperties') out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, toJsonSchema(s)]));
    else out[k] = toJsonSchema(v);
  }
  if (out['x-kubernetes-int-or-string'] && !out.anyOf && !out.oneOf) out.type = ['integer', 'string'];
  if (out.nullable) {
    if (out.type) out.type = [...[out.type].flat(), 'null'];
    delete out.nullable;
  }
  if (out.format && !KNOWN_FORMATS.has(out.format)) delete out.format;
  if (typeof out.pattern === 'string') {
    const source = toJsRegExpSource(out.pattern);
    if (source === undefined) delete out.pattern;
    else out.pattern = source;
  }
  if (out['x-kubernetes-embedded-resource']) {
    out.properties = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...out.properties };
  }
  if (out.properties && out.additionalProperties === undefined && !out['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return out;
}

function crdValidator(apiVersion, kind) {
  const entry = crdSchema(apiVersion, kind);
  if (!entry) return undefined;
  const fn = ajv().compile(toJsonSchema(entry.schema));
  return {
    source: `crd:${entry.file}`,
    check: (obj) => {
      const errors = fn(obj) ? [] : [...fn.errors];
      // CRD schemas only say `metadata: {type: object}`; the server validates it as ObjectMeta.
      if (obj.metadata && typeof obj.metadata === 'object') {
        try {
          new ObjectMeta(obj.metadata).validate();
        } catch (e) {
          if (!Array.isArray(e.errors)) throw e;
          errors.push(...e.errors.map((err) => ({ ...err, instancePath: `/metadata${err.instancePath}` })));
        }
      }
      return errors;
    },
  };
}

// Custom resources are checked by their npm package and, strictly (unknown fields rejected), by the upstream CRD.
function combine(model, crd) {
  if (!model || !crd) return model ?? crd;
  return { source: `${model.source}+${crd.source}`, check: (obj) => [...model.check(obj), ...crd.check(obj)] };
}

async function validatorFor(apiVersion, kind) {
  const key = `${apiVersion} ${kind}`;
  if (!validators.has(key)) {
    const ok = typeof apiVersion === 'string' && typeof kind === 'string' && API_VERSION_RE.test(apiVersion) && KIND_RE.test(kind);
    validators.set(key, ok ? combine(await modelValidator(apiVersion, kind), crdValidator(apiVersion, kind)) : undefined);
  }
  return validators.get(key);
}

// ---- error formatting ----

// JSON pointer -> `spec.containers[0].ports[0]`, walking the object to tell arrays from maps.
function displayPath(obj, pointer) {
  if (!pointer) return '(root)';
  let cur = obj;
  let out = '';
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
    cur = cur?.[seg];
  }
  return out;
}

function describe(err) {
  const p = err.params ?? {};
  switch (err.keyword) {
    case 'additionalProperties': return `has unknown field "${p.additionalProperty}"`;
    case 'required': return `is missing required field "${p.missingProperty}"`;
    case 'enum': return `${err.message}: ${JSON.stringify(p.allowedValues)}`;
    default: return err.message ?? err.keyword;
  }
}

async function validateOne(obj, index) {
  const isObj = obj !== null && typeof obj === 'object' && !Array.isArray(obj);
  const { apiVersion, kind, metadata } = isObj ? obj : {};
  const base = { index, apiVersion, kind, name: metadata?.name };
  if (!isObj) return { ...base, valid: false, errors: [{ path: '(root)', message: 'is not an object' }] };
  const v = await validatorFor(apiVersion, kind);
  if (!v) return { ...base, valid: false, errors: [{ path: '(root)', message: `no schema for apiVersion=${apiVersion} kind=${kind}` }] };
  const errors = v.check(obj).map((e) => ({ path: displayPath(obj, e.instancePath), message: describe(e) }));
  // anyOf branches and shared sub-schemas can repeat the same complaint.
  const unique = [...new Map(errors.map((e) => [`${e.path} ${e.message}`, e])).values()];
  return { ...base, source: v.source, valid: unique.length === 0, errors: unique };
}

const input = JSON.parse(readFileSync(0, 'utf8'));
const results = [];
for (const [i, obj] of input.entries()) results.push(await validateOne(obj, i));
process.stdout.write(JSON.stringify(results));
