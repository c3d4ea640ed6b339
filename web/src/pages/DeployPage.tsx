import { useEffect, useState } from 'react';
import {
  configMapsUrl,
  createObject,
  createOrReplace,
  dataflowExists,
  dataflowsUrl,
  deployDto,
  listSecrets,
  replaceObject,
} from '../api/client';
import { errorMessage } from '../api/http';
import type { EnvVar } from '../api/types';
import { NamespaceSelect } from '../components/Header';
import {
  emptyForm,
  nameFromFile,
  parseManifest,
  specFromForm,
  toBase64,
  type DeployForm,
  type FormErrors,
  type ParseProblem,
} from '../lib/manifest';
import { dataflowPath, navigate } from '../lib/router';

const EXAMPLE = `apiVersion: bytewax.io/v1alpha1
kind: Dataflow
metadata:
  name: my-flow
  namespace: default
spec:
  image:
    repository: bytewax/bytewax
    tag: 0.21.1-python3.11
  pythonFileName: my_flow.py
  processesCount: 1
  workersPerProcess: 1
`;

function isTar(fileName: string): boolean {
  return /\.(tar|tar\.gz|tgz)$/i.test(fileName);
}

function Field(props: { label: string; error?: string; children: React.ReactNode; hint?: string }) {
  return (
    <label className="field">
      <span className="label">{props.label}</span>
      {props.children}
      {props.hint && !props.error && <span className="hint">{props.hint}</span>}
      {props.error && <span className="error small" role="alert">{props.error}</span>}
    </label>
  );
}

// A deploy waiting for the user's word because a dataflow of that name exists already.
type PendingReplace = { namespace: string; name: string; run: () => Promise<void> };

function ReplaceDialog(props: { pending: PendingReplace; busy: boolean; onConfirm: () => void; onCancel: () => void }) {
  const { namespace, name } = props.pending;
  return (
    <div className="dialog" role="dialog" aria-label="Replace the dataflow" data-testid="deploy-replace-dialog">
      <p>
        Dataflow <strong>{namespace}/{name}</strong> already exists. Replace its code and spec?
      </p>
      <div className="buttons">
        <button type="button" className="danger" disabled={props.busy} onClick={props.onConfirm} data-testid="deploy-replace-confirm">
          Replace
        </button>
        <button type="button" className="secondary" onClick={props.onCancel} data-testid="deploy-replace-cancel">
          Cancel
        </button>
      </div>
    </div>
  );
}

// Runs `deploy` at once when no dataflow `namespace/name` exists (404), else asks first: the API's
// POST /dataflows would silently replace it.
function useGuardedDeploy(setServerError: (message: string) => void) {
  const [busy, setBusy] = useState(false);
  const [pending, setPending] = useState<PendingReplace | null>(null);

  const run = async (what: () => Promise<void>) => {
    setBusy(true);
    try {
      await what();
    } catch (e) {
      setServerError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  // `create` runs when the name is free, `replace` once the user confirms.
  const start = (namespace: string, name: string, create: () => Promise<void>, replace = create) =>
    run(async () => {
      setPending(null);
      if (await dataflowExists(namespace, name)) {
        setPending({ namespace, name, run: replace });
        return;
      }
      await create();
    });

  const confirm = () => {
    const current = pending;
    if (!current) return;
    setPending(null);
    return run(current.run);
  };

  const dialog = pending && (
    <ReplaceDialog pending={pending} busy={busy} onConfirm={confirm} onCancel={() => setPending(null)} />
  );
  return { busy, start, dialog, cancel: () => setPending(null) };
}

function FormTab({ initialNamespace }: { initialNamespace: string }) {
  const [form, setForm] = useState<DeployForm>({ ...emptyForm, namespace: initialNamespace || 'default' });
  const [file, setFile] = useState<File | null>(null);
  const [errors, setErrors] = useState<FormErrors>({});
  const [serverError, setServerError] = useState('');
  const guard = useGuardedDeploy(setServerError);
  const busy = guard.busy;
  const [secrets, setSecrets] = useState<string[]>([]);
  const [nameTouched, setNameTouched] = useState(false);

  const set = <K extends keyof DeployForm>(key: K, value: DeployForm[K]) => setForm((f) => ({ ...f, [key]: value }));

  useEffect(() => {
    if (!form.recoveryEnabled) return;
    let live = true;
    listSecrets(form.namespace)
      .then((list) => live && setSecrets(list.map((s) => s.name)))
      .catch(() => live && setSecrets([]));
    return () => {
      live = false;
    };
  }, [form.namespace, form.recoveryEnabled]);

  const chooseFile = (f: File | null) => {
    setFile(f);
    if (!f) return;
    setForm((current) => ({
      ...current,
      fileName: f.name,
      isTar: isTar(f.name),
      name: nameTouched && current.name ? current.name : nameFromFile(f.name),
    }));
  };

  const setEnv = (i: number, patch: Partial<EnvVar>) =>
    set('env', form.env.map((v, j) => (j === i ? { ...v, ...patch } : v)));

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setServerError('');
    guard.cancel();
    const { spec, errors: found } = specFromForm(form, !!file);
    setErrors(found);
    if (!spec || !file) return;
    const target = { ...form };
    const chosen = file;
    const deploy = async () => {
      if (target.isTar) {
        const bytes = new Uint8Array(await chosen.arrayBuffer());
        await createOrReplace(configMapsUrl(target.namespace), {
          metadata: { name: target.name, namespace: target.namespace, labels: { 'bytewax.io/dataflow': target.name } },
          binaryData: { [target.fileName]: toBase64(bytes) },
        });
        await deployDto({ name: target.name, namespace: target.namespace, spec: { ...spec, configMapName: target.name } });
      } else {
        await deployDto({ name: target.name, namespace: target.namespace, fileContent: await chosen.text(), spec });
      }
      navigate(dataflowPath(target.namespace, target.name));
    };
    await guard.start(target.namespace, target.name, deploy);
  };

  return (
    <form onSubmit={submit} className="deploy-form" data-testid="deploy-form" noValidate>
      <div className="grid2">
        <div>
          <Field label="Code (.py, or .tar with the code)" error={errors.file}>
            <input type="file" accept=".py,.tar,.tar.gz,.tgz" onChange={(e) => chooseFile(e.target.files?.[0] ?? null)} data-testid="deploy-file" />
          </Field>
          {form.isTar && (
            <Field label="Python file inside the tarball" error={errors.pythonFileName}>
              <input value={form.pythonFileName} onChange={(e) => set('pythonFileName', e.target.value)} placeholder="flow.py" data-testid="deploy-python-file" />
            </Field>
          )}
          <Field label="Name" error={errors.name}>
            <input value={form.name} onChange={(e) => { setNameTouched(true); set('name', e.target.value); }} placeholder="my-flow" data-testid="deploy-name" />
          </Field>
          <Field label="Namespace" error={errors.namespace}>
            <NamespaceSelect value={form.namespace} onChange={(ns) => set('namespace', ns)} allowAll={false} testId="deploy-namespace" />
          </Field>
          <div className="row">
            <Field label="Processes" error={errors.processes}>
              <input type="number" min={1} value={form.processes} onChange={(e) => set('processes', e.target.value)} data-testid="deploy-processes" />
            </Field>
            <Field label="Workers per process" error={errors.workers}>
              <input type="number" min={1} value={form.workers} onChange={(e) => set('workers', e.target.value)} data-testid="deploy-workers" />
            </Field>
          </div>
          <Field label="Image tag (bytewax/bytewax)" error={errors.imageTag}>
            <input value={form.imageTag} onChange={(e) => set('imageTag', e.target.value)} data-testid="deploy-image-tag" />
          </Field>
          <Field label="Dependencies (pip requirements, one per line)" error={errors.dependencies}>
            <textarea rows={3} value={form.dependencies} onChange={(e) => set('dependencies', e.target.value)} placeholder="requests==2.32.3" data-testid="deploy-dependencies" />
          </Field>
        </div>
        <div>
          <fieldset>
            <legend>Environment</legend>
            {form.env.map((v, i) => (
              <div className="row" key={i} data-testid={`deploy-env-${i}`}>
                <input aria-label="Variable name" placeholder="NAME" value={v.name} onChange={(e) => setEnv(i, { name: e.target.value })} data-testid={`deploy-env-name-${i}`} />
                <input aria-label="Value" placeholder="value" value={v.value} onChange={(e) => setEnv(i, { value: e.target.value })} data-testid={`deploy-env-value-${i}`} />
                <button type="button" className="secondary" onClick={() => set('env', form.env.filter((_, j) => j !== i))} aria-label="Remove">
                  ×
                </button>
              </div>
            ))}
            {errors.env && <p className="error small" role="alert">{errors.env}</p>}
            <button type="button" className="secondary" onClick={() => set('env', [...form.env, { name: '', value: '' }])} data-testid="deploy-env-add">
              Add variable
            </button>
          </fieldset>
          <fieldset>
            <legend>
              <label className="inline">
                <input type="checkbox" checked={form.recoveryEnabled} onChange={(e) => set('recoveryEnabled', e.target.checked)} data-testid="deploy-recovery" /> Recovery
              </label>
            </legend>
            {form.recoveryEnabled && (
              <>
                <div className="row">
                  <Field label="Parts" error={errors.partsCount} hint="fixed for the life of the state">
                    <input type="number" min={1} value={form.partsCount} onChange={(e) => set('partsCount', e.target.value)} data-testid="deploy-parts" />
                  </Field>
                  <Field label="Snapshot every (s)" error={errors.snapshotInterval}>
                    <input type="number" min={1} value={form.snapshotInterval} onChange={(e) => set('snapshotInterval', e.target.value)} data-testid="deploy-snapshot" />
                  </Field>
                  <Field label="Keep backups (s)" error={errors.backupInterval}>
                    <input type="number" min={0} value={form.backupInterval} onChange={(e) => set('backupInterval', e.target.value)} data-testid="deploy-backup" />
                  </Field>
                </div>
                <Field label="S3 backup URL (optional)" error={errors.s3Url}>
                  <input value={form.s3Url} onChange={(e) => set('s3Url', e.target.value)} placeholder="s3://my-bucket/flows" data-testid="deploy-s3-url" />
                </Field>
                <Field label="Secret with the S3 keys" hint={secrets.length ? '' : `no secrets in ${form.namespace}; create one under Secrets`}>
                  <select value={form.s3SecretName} onChange={(e) => set('s3SecretName', e.target.value)} data-testid="deploy-s3-secret">
                    <option value="">none</option>
                    {secrets.map((s) => (
                      <option key={s} value={s}>{s}</option>
                    ))}
                  </select>
                </Field>
              </>
            )}
          </fieldset>
        </div>
      </div>
      {serverError && (
        <div className="notice error" role="alert" data-testid="deploy-error">
          {serverError}
        </div>
      )}
      {guard.dialog}
      <button type="submit" disabled={busy} data-testid="deploy-submit">
        {busy ? 'Deploying…' : 'Deploy'}
      </button>
    </form>
  );
}

function ManifestTab({ initialNamespace }: { initialNamespace: string }) {
  const [text, setText] = useState(EXAMPLE.replace('namespace: default', `namespace: ${initialNamespace || 'default'}`));
  const [file, setFile] = useState<File | null>(null);
  const [problems, setProblems] = useState<ParseProblem[]>([]);
  const [serverError, setServerError] = useState('');
  const guard = useGuardedDeploy(setServerError);
  const busy = guard.busy;

  const submit = async () => {
    setServerError('');
    guard.cancel();
    let parsed: ReturnType<typeof parseManifest>;
    try {
      parsed = parseManifest(text);
    } catch (e) {
      parsed = { manifest: null, problems: [{ line: 1, column: 1, message: errorMessage(e) }] };
    }
    setProblems(parsed.problems);
    if (!parsed.manifest) return;
    const manifest = parsed.manifest;
    const name = manifest.metadata.name;
    const namespace = manifest.metadata.namespace || initialNamespace || 'default';
    const object = { ...manifest, metadata: { ...manifest.metadata, namespace } };
    const chosen = file;
    const deploy = (replace: boolean) => async () => {
      if (chosen) {
        await deployDto({ name, namespace, fileContent: await chosen.text(), spec: manifest.spec });
      } else if (replace) {
        await replaceObject(dataflowsUrl(namespace), object);
      } else {
        await createObject(dataflowsUrl(namespace), object);
      }
      navigate(dataflowPath(namespace, name));
    };
    await guard.start(namespace, name, deploy(false), deploy(true));
  };

  const lines = text.split('\n').length;
  const bad = new Set(problems.map((p) => p.line));
  return (
    <div className="manifest">
      <p className="small muted">
        A Dataflow in YAML or JSON. Its code must already be in the namespace (a ConfigMap named by
        spec.configMapName, or the dataflow's name), or attach the .py file here.
      </p>
      <div className="editor">
        <div className="gutter" aria-hidden="true">
          {Array.from({ length: lines }, (_, i) => (
            <div key={i} className={bad.has(i + 1) ? 'bad' : ''}>{i + 1}</div>
          ))}
        </div>
        <textarea
          value={text}
          onChange={(e) => { setText(e.target.value); setProblems([]); }}
          spellCheck={false}
          rows={Math.max(16, lines + 1)}
          data-testid="manifest-editor"
          aria-label="Dataflow manifest"
        />
      </div>
      {problems.length > 0 && (
        <ul className="problems error" role="alert" data-testid="manifest-problems">
          {problems.map((p, i) => (
            <li key={i}>
              line {p.line}, column {p.column}: {p.message}
            </li>
          ))}
        </ul>
      )}
      {serverError && (
        <div className="notice error" role="alert" data-testid="manifest-server-error">
          {serverError}
        </div>
      )}
      {guard.dialog}
      <div className="toolbar">
        <label className="inline">
          Code (optional): <input type="file" accept=".py" onChange={(e) => setFile(e.target.files?.[0] ?? null)} data-testid="manifest-file" />
        </label>
        <button onClick={submit} disabled={busy} data-testid="manifest-submit">
          {busy ? 'Sending…' : 'Apply'}
        </button>
      </div>
    </div>
  );
}

export function DeployPage({ namespace }: { namespace: string }) {
  const [tab, setTab] = useState<'form' | 'manifest'>('form');
  return (
    <section className="panel">
      <h2>Deploy a dataflow</h2>
      <div className="tabs" role="tablist">
        <button role="tab" aria-selected={tab === 'form'} className={tab === 'form' ? 'active' : ''} onClick={() => setTab('form')} data-testid="deploy-tab-form">
          Upload code
        </button>
        <button role="tab" aria-selected={tab === 'manifest'} className={tab === 'manifest' ? 'active' : ''} onClick={() => setTab('manifest')} data-testid="deploy-tab-manifest">
          Manifest
        </button>
      </div>
      {tab === 'form' ? <FormTab initialNamespace={namespace} /> : <ManifestTab initialNamespace={namespace} />}
    </section>
  );
}
