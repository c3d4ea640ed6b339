import { useCallback, useEffect, useState } from 'react';
import { createSecret, deleteSecret, getSecretValues, listSecrets, replaceSecret } from '../api/client';
import { errorMessage } from '../api/http';
import type { Secret, SecretEntry } from '../api/types';
import { NamespaceSelect } from '../components/Header';
import { isDnsLabel } from '../lib/manifest';

type Editing = { mode: 'create' | 'replace'; name: string; data: SecretEntry[] };

export function SecretsPage(props: { namespace: string; setNamespace: (ns: string) => void }) {
  const namespace = props.namespace || 'default';
  const [secrets, setSecrets] = useState<Secret[] | null>(null);
  const [error, setError] = useState('');
  const [editing, setEditing] = useState<Editing | null>(null);
  const [editError, setEditError] = useState('');
  const [revealed, setRevealed] = useState<Record<string, SecretEntry[]>>({});
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      setSecrets(await listSecrets(namespace));
      setError('');
    } catch (e) {
      setSecrets([]);
      setError(errorMessage(e));
    }
  }, [namespace]);

  useEffect(() => {
    setSecrets(null);
    setRevealed({});
    setEditing(null);
    load();
  }, [load]);

  const save = async () => {
    if (!editing) return;
    setEditError('');
    const name = editing.name.trim();
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
      setEditError('name: lowercase letters, digits, "-" and "."');
      return;
    }
    const data = editing.data.filter((d) => d.key !== '' || d.value !== '');
    const secret: Secret = { name, namespace, data };
    setBusy(true);
    try {
      if (editing.mode === 'create') await createSecret(secret);
      else await replaceSecret(secret);
      setEditing(null);
      setRevealed((r) => {
        const next = { ...r };
        delete next[name];
        return next;
      });
      await load();
    } catch (e) {
      setEditError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const reveal = async (name: string) => {
    if (revealed[name]) {
      setRevealed((r) => {
        const next = { ...r };
        delete next[name];
        return next;
      });
      return;
    }
    try {
      const secret = await getSecretValues(namespace, name);
      setRevealed((r) => ({ ...r, [name]: secret.data }));
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const remove = async (name: string) => {
    setBusy(true);
    try {
      await deleteSecret(namespace, name);
      setConfirmDelete(null);
      await load();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const setEntry = (i: number, patch: Partial<SecretEntry>) =>
    editing && setEditing({ ...editing, data: editing.data.map((d, j) => (j === i ? { ...d, ...patch } : d)) });

  return (
    <section className="panel">
      <div className="toolbar">
        <h2>Secrets</h2>
        <label className="inline">
          in{' '}
          <NamespaceSelect value={namespace} onChange={props.setNamespace} allowAll={false} testId="secrets-namespace" />
        </label>
        <div className="spacer" />
        <button onClick={() => { setEditError(''); setEditing({ mode: 'create', name: '', data: [{ key: '', value: '' }] }); }} data-testid="secret-new">
          New secret
        </button>
      </div>
      {!isDnsLabel(namespace) && <p className="error">Choose a namespace.</p>}
      {error && <p className="notice error" role="alert" data-testid="secrets-error">{error}</p>}

      {editing && (
        <div className="dialog" role="dialog" aria-label="Secret" data-testid="secret-editor">
          <h3>{editing.mode === 'create' ? 'New secret' : `Replace the values of ${editing.name}`}</h3>
          {editing.mode === 'create' && (
            <label className="field">
              <span className="label">Name</span>
              <input value={editing.name} onChange={(e) => setEditing({ ...editing, name: e.target.value })} data-testid="secret-name" />
            </label>
          )}
          {editing.data.map((d, i) => (
            <div className="row" key={i}>
              <input placeholder="KEY" aria-label="Key" value={d.key} onChange={(e) => setEntry(i, { key: e.target.value })} data-testid={`secret-key-${i}`} />
              <input type="password" autoComplete="off" placeholder="value" aria-label="Value" value={d.value} onChange={(e) => setEntry(i, { value: e.target.value })} data-testid={`secret-value-${i}`} />
              <button type="button" className="secondary" aria-label="Remove" onClick={() => setEditing({ ...editing, data: editing.data.filter((_, j) => j !== i) })}>
                ×
              </button>
            </div>
          ))}
          <button type="button" className="secondary" onClick={() => setEditing({ ...editing, data: [...editing.data, { key: '', value: '' }] })} data-testid="secret-add-key">
            Add key
          </button>
          {editing.mode === 'replace' && <p className="small muted">Saving replaces all of the secret's keys with these.</p>}
          {editError && <p className="error" role="alert" data-testid="secret-error">{editError}</p>}
          <div className="buttons">
            <button onClick={save} disabled={busy} data-testid="secret-save">Save</button>
            <button className="secondary" onClick={() => setEditing(null)}>Cancel</button>
          </div>
        </div>
      )}

      {secrets === null ? (
        <p className="muted">Loading…</p>
      ) : secrets.length === 0 && !error ? (
        <p className="notice" data-testid="secrets-empty">No secrets in namespace “{namespace}”. Create one with “New secret”.</p>
      ) : (
        <table className="list" data-testid="secrets-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Keys</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {secrets.map((s) => (
              <tr key={s.name} data-testid={`secret-row-${s.name}`}>
                <td>{s.name}</td>
                <td>
                  {revealed[s.name] ? (
                    <dl className="values" data-testid={`secret-values-${s.name}`}>
                      {revealed[s.name].map((d) => (
                        <div key={d.key}>
                          <dt className="mono">{d.key}</dt>
                          <dd className="mono">{d.value}</dd>
                        </div>
                      ))}
                    </dl>
                  ) : (
                    <span className="mono">{s.data.map((d) => d.key).join(', ')}</span>
                  )}
                </td>
                <td className="actions">
                  <button className="secondary" onClick={() => reveal(s.name)} data-testid={`secret-reveal-${s.name}`}>
                    {revealed[s.name] ? 'Hide values' : 'Show values'}
                  </button>
                  <button
                    className="secondary"
                    onClick={() => { setEditError(''); setEditing({ mode: 'replace', name: s.name, data: s.data.map((d) => ({ key: d.key, value: '' })) }); }}
                    data-testid={`secret-replace-${s.name}`}
                  >
                    Replace values
                  </button>
                  {confirmDelete === s.name ? (
                    <>
                      <button className="danger" disabled={busy} onClick={() => remove(s.name)} data-testid={`secret-delete-confirm-${s.name}`}>
                        Delete {s.name}
                      </button>
                      <button className="secondary" onClick={() => setConfirmDelete(null)}>Cancel</button>
                    </>
                  ) : (
                    <button className="danger" onClick={() => setConfirmDelete(s.name)} data-testid={`secret-delete-${s.name}`}>
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
