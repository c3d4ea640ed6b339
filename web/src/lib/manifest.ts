// Dataflow manifests typed by hand (YAML or JSON) and the deploy form, turned into what the API
// takes. Parse errors carry the line and column, so the editor can point at them.

import { parseDocument } from 'yaml';
import type { DataflowSpec, EnvVar } from '../api/types';

export type ParseProblem = { line: number; column: number; message: string };

export type ParsedManifest = {
  manifest: {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; [key: string]: unknown };
    spec: DataflowSpec;
  } | null;
  problems: ParseProblem[];
};

// As many alias expansions as a manifest may make (the yaml library's default).
export const MAX_ALIAS_COUNT = 100;

const KNOWN_TOP_LEVEL = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];

const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function isDnsLabel(name: string): boolean {
  return name.length > 0 && name.length <= 63 && DNS1123.test(name);
}

// The line (1-based) of a key path in the document, for problems found after parsing.
function lineOf(doc: ReturnType<typeof parseDocument>, text: string, path: string[]): number {
  const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
  const offset = node?.range?.[0];
  if (offset === undefined) return 1;
  return text.slice(0, offset).split('\n').length;
}

export function parseManifest(text: string): ParsedManifest {
  if (text.trim() === '') {
    return { manifest: null, problems: [{ line: 1, column: 1, message: 'the manifest is empty' }] };
  }
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const problems: ParseProblem[] = doc.errors.map((error) => {
    // An error at the very end (an unclosed quote or bracket) points at the last line written.
    const end = text.trimEnd().length;
    const before = text.slice(0, Math.max(0, Math.min(error.pos[0], end)));
    const lines = before.split('\n');
    return {
      line: lines.length,
      column: lines[lines.length - 1].length + 1,
      message: error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''),
    };
  });
  if (problems.length) {
    return { manifest: null, problems };
  }
  let value: unknown;
  try {
    // Aliases expand here; the library stops past maxAliasCount (a "billion laughs" document).
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const message = /alias count/i.test(text)
      ? `too many aliases: the document expands its anchors more than ${MAX_ALIAS_COUNT} times ` +
        '(an alias bomb, "billion laughs"); write the values out instead'
      : `the YAML cannot be read: ${text}`;
    return { manifest: null, problems: [{ line: 1, column: 1, message }] };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return {
      manifest: null,
      problems: [{ line: 1, column: 1, message: 'a manifest is a mapping (apiVersion, kind, metadata, spec)' }],
    };
  }
  const object = value as Record<string, unknown>;
  const at = (path: string[], message: string) =>
    problems.push({ line: lineOf(doc, text, path), column: 1, message });
  for (const key of Object.keys(object)) {
    if (!KNOWN_TOP_LEVEL.includes(key)) {
      at([key], `unknown top-level key "${key}": a Dataflow has only ${KNOWN_TOP_LEVEL.join(', ')}`);
    }
  }
  if (object.kind !== undefined && object.kind !== 'Dataflow') {
    at(['kind'], `kind: must be "Dataflow", not ${JSON.stringify(object.kind)}`);
  }
  if (object.apiVersion !== undefined && object.apiVersion !== 'bytewax.io/v1alpha1') {
    at(['apiVersion'], `apiVersion: must be "bytewax.io/v1alpha1"`);
  }
  const metadata = object.metadata as Record<string, unknown> | undefined;
  if (!metadata || typeof metadata !== 'object') {
    at([], 'metadata: required, with metadata.name');
  } else if (typeof metadata.name !== 'string' || !isDnsLabel(metadata.name)) {
    at(['metadata', 'name'], 'metadata.name: required; lowercase letters, digits and "-"');
  } else if (metadata.namespace !== undefined && (typeof metadata.namespace !== 'string' || !isDnsLabel(metadata.namespace))) {
    at(['metadata', 'namespace'], 'metadata.namespace: lowercase letters, digits and "-"');
  }
  if (!object.spec || typeof object.spec !== 'object' || Array.isArray(object.spec)) {
    at(object.spec === undefined ? [] : ['spec'], 'spec: required, a mapping (pythonFileName, image...)');
  }
  if (problems.length) {
    return { manifest: null, problems };
  }
  return {
    manifest: {
      ...(object as Record<string, unknown>),
      apiVersion: 'bytewax.io/v1alpha1',
      kind: 'Dataflow',
      metadata: metadata as { name: string; namespace?: string },
      spec: object.spec as DataflowSpec,
    },
    problems,
  };
}

// --- The deploy form ------------------------------------------------------------------------

export type DeployForm = {
  name: string;
  namespace: string;
  fileName: string; // the uploaded file's name
  isTar: boolean;
  pythonFileName: string; // inside the tarball, when isTar
  imageTag: string;
  processes: string;
  workers: string;
  env: EnvVar[];
  dependencies: string;
  recoveryEnabled: boolean;
  partsCount: string;
  snapshotInterval: string;
  backupInterval: string;
  s3Url: string;
  s3SecretName: string;
};

export const emptyForm: DeployForm = {
  name: '',
  namespace: 'default',
  fileName: '',
  isTar: false,
  pythonFileName: '',
  imageTag: '0.21.1-python3.11',
  processes: '1',
  workers: '1',
  env: [],
  dependencies: '',
  recoveryEnabled: false,
  partsCount: '1',
  snapshotInterval: '10',
  backupInterval: '10',
  s3Url: '',
  s3SecretName: '',
};

// A name for the dataflow from its file: "Flights_by origin.py" -> "flights-by-origin".
export function nameFromFile(fileName: string): string {
  return fileName
    .replace(/\.(py|tar|tar\.gz|tgz)$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}

export type FormErrors = Partial<Record<keyof DeployForm | 'file', string>>;

function positiveInt(text: string): number | null {
  if (!/^\d+$/.test(text.trim())) return null;
  const n = Number(text);
  return n >= 1 ? n : null;
}

function nonNegativeInt(text: string): number | null {
  if (!/^\d+$/.test(text.trim())) return null;
  return Number(text);
}

// Checks the form and builds the spec; errors name the form's fields.
export function specFromForm(form: DeployForm, hasFile: boolean): { spec: DataflowSpec | null; errors: FormErrors } {
  const errors: FormErrors = {};
  if (!hasFile) errors.file = 'choose a .py file (or a .tar with one)';
  if (!isDnsLabel(form.name)) errors.name = 'lowercase letters, digits and "-", at most 63';
  if (!isDnsLabel(form.namespace)) errors.namespace = 'lowercase letters, digits and "-"';
  const processes = positiveInt(form.processes);
  if (processes === null || processes > 1000) errors.processes = 'a whole number from 1 to 1000';
  const workers = positiveInt(form.workers);
  if (workers === null || workers > 1024) errors.workers = 'a whole number from 1 to 1024';
  if (form.imageTag.trim() === '' || /\s/.test(form.imageTag.trim())) errors.imageTag = 'required, without spaces';
  if (form.isTar && !form.pythonFileName.trim()) {
    errors.pythonFileName = 'the .py file inside the tarball to run';
  }
  const names = new Set<string>();
  for (const variable of form.env) {
    if (variable.name === '' && variable.value === '') continue;
    if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(variable.name)) {
      errors.env = `"${variable.name}" is not a valid variable name`;
    } else if (names.has(variable.name)) {
      errors.env = `${variable.name} is given twice`;
    }
    names.add(variable.name);
  }
  let parts = 1;
  let snapshot = 0;
  let backup = 0;
  if (form.recoveryEnabled) {
    const p = positiveInt(form.partsCount);
    if (p === null) errors.partsCount = 'a whole number, 1 or more';
    else parts = p;
    const s = positiveInt(form.snapshotInterval);
    if (s === null) errors.snapshotInterval = 'seconds, 1 or more';
    else snapshot = s;
    const b = nonNegativeInt(form.backupInterval);
    if (b === null) errors.backupInterval = 'seconds, 0 or more';
    else backup = b;
    if (form.s3Url.trim() && !/^s3:\/\/[^/\s]+/.test(form.s3Url.trim())) {
      errors.s3Url = 'an S3 URL such as s3://my-bucket/flows';
    }
    if (form.s3SecretName && !form.s3Url.trim()) {
      errors.s3Url = 'give the S3 URL the secret is for';
    }
  }
  if (Object.keys(errors).length) return { spec: null, errors };
  const env = form.env.filter((v) => v.name !== '');
  const dependencies = form.dependencies
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const spec: DataflowSpec = {
    image: { repository: 'bytewax/bytewax', tag: form.imageTag.trim() },
    pythonFileName: form.isTar ? form.pythonFileName.trim() : form.fileName,
    processesCount: processes!,
    workersPerProcess: workers!,
  };
  if (form.isTar) spec.tarName = form.fileName;
  if (env.length) spec.env = env;
  if (dependencies.length) spec.dependencies = dependencies;
  if (form.recoveryEnabled) {
    spec.recovery = {
      enabled: true,
      partsCount: parts,
      snapshotInterval: snapshot,
      backupInterval: backup,
    };
    if (form.s3Url.trim()) {
      spec.recovery.cloudBackup = {
        enabled: true,
        s3: { url: form.s3Url.trim(), ...(form.s3SecretName ? { secretName: form.s3SecretName } : {}) },
      };
    }
  }
  return { spec, errors };
}

// Base64 of bytes, for a tarball in a ConfigMap's binaryData.
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}
