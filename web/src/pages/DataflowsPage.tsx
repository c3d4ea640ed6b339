import { useEffect, useMemo, useReducer, useState } from 'react';
import { dataflowsUrl, listNamespaces } from '../api/client';
import { listAndWatch } from '../api/watch';
import type { Dataflow } from '../api/types';
import { PhaseBadge } from '../components/PhaseBadge';
import {
  ageText,
  filterDataflows,
  imageText,
  PHASES,
  phaseOf,
  processesText,
  sourceText,
  statusDetail,
} from '../lib/dataflow';
import { initialListState, listReducer, sortedItems } from '../lib/listReducer';
import { dataflowPath, Link } from '../lib/router';

// `onNamespace`: a user who may not list every namespace is moved to the first one they may.
export function DataflowsPage({
  namespace,
  onNamespace,
}: {
  namespace: string;
  onNamespace?: (ns: string) => void;
}) {
  const [state, dispatch] = useReducer(listReducer, initialListState);
  const [connected, setConnected] = useState(false);
  const [search, setSearch] = useState('');
  const [phase, setPhase] = useState('');
  const [forbidden, setForbidden] = useState(false);
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 10000);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    dispatch({ type: 'RESET' });
    setForbidden(false);
    const controller = new AbortController();
    listAndWatch<Dataflow>(
      dataflowsUrl(namespace),
      {
        onList: (items, resourceVersion) => {
          setForbidden(false);
          dispatch({ type: 'LIST', items, resourceVersion });
        },
        onEvent: (event) => dispatch({ type: 'EVENT', event }),
        onError: (error) => {
          setForbidden(error.status === 403);
          if (error.status === 403 && namespace === '' && onNamespace) {
            listNamespaces()
              .then((names) => names.length > 0 && onNamespace(names[0]))
              .catch(() => undefined);
          }
          dispatch({ type: 'ERROR', message: error.message });
        },
        onConnected: setConnected,
      },
      { signal: controller.signal },
    );
    return () => controller.abort();
  }, [namespace, onNamespace]);

  const all = useMemo(() => sortedItems(state), [state]);
  const shown = useMemo(() => filterDataflows(all, { search, phase }), [all, search, phase]);
  const where = namespace ? `namespace “${namespace}”` : 'any namespace';

  let body: React.ReactNode;
  if (!state.loaded) {
    body = <p className="muted">Loading dataflows…</p>;
  } else if (state.error && all.length === 0) {
    body = (
      <div className="notice error" role="alert" data-testid="list-error">
        <p>{state.error}</p>
        {forbidden && (
          <p>
            {namespace
              ? `You may not list dataflows in namespace “${namespace}”. Choose another namespace above, or ask an administrator for access.`
              : 'You may not list dataflows in every namespace. Choose a namespace above.'}
          </p>
        )}
      </div>
    );
  } else if (all.length === 0) {
    body = (
      <div className="notice" data-testid="list-empty">
        <p>
          No dataflows in {where} yet. <Link href="/ui/deploy">Deploy one</Link>, or run{' '}
          <code>waxctl dataflow deploy my_flow.py</code>.
        </p>
      </div>
    );
  } else if (shown.length === 0) {
    body = (
      <div className="notice" data-testid="list-no-match">
        No dataflow matches the search{phase ? ` in phase ${phase}` : ''}.{' '}
        <button className="link" onClick={() => { setSearch(''); setPhase(''); }}>
          Clear the filters
        </button>
      </div>
    );
  } else {
    body = (
      <table className="list" data-testid="dataflows-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Namespace</th>
            <th>Status</th>
            <th>Processes</th>
            <th>Image</th>
            <th>Source</th>
            <th>Age</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((d) => {
            const ns = d.metadata.namespace ?? '';
            const source = sourceText(d);
            const detail = statusDetail(d);
            return (
              <tr key={`${ns}/${d.metadata.name}`} data-testid={`row-${ns}-${d.metadata.name}`}>
                <td>
                  <Link href={dataflowPath(ns, d.metadata.name)} data-testid="dataflow-link">
                    {d.metadata.name}
                  </Link>
                </td>
                <td>{ns}</td>
                <td data-testid={`phase-${ns}-${d.metadata.name}`}>
                  <PhaseBadge phase={phaseOf(d)} />
                  {detail && <span className="muted small"> {detail}</span>}
                </td>
                <td data-testid="processes">{processesText(d)}</td>
                <td className="mono small">{imageText(d)}</td>
                <td className="small" title={source.text}>
                  <span className="tag">{source.kind === 'configmap' ? 'code' : source.kind}</span>{' '}
                  <span className="mono">{source.text}</span>
                </td>
                <td title={d.metadata.creationTimestamp}>{ageText(d.metadata.creationTimestamp, now)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    );
  }

  return (
    <section className="panel">
      <div className="toolbar">
        <h2>Dataflows</h2>
        <input
          type="search"
          placeholder="Search name, namespace, image…"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          data-testid="search"
          aria-label="Search"
        />
        <select value={phase} onChange={(e) => setPhase(e.target.value)} data-testid="phase-filter" aria-label="Phase">
          <option value="">any phase</option>
          {PHASES.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
        <span className={`live ${connected ? 'on' : ''}`} data-testid="live" title={connected ? 'live updates' : 'reconnecting'}>
          {connected ? '● live' : '○ connecting'}
        </span>
        <div className="spacer" />
        <Link href="/ui/deploy" className="button" data-testid="deploy-link">
          Deploy
        </Link>
      </div>
      {state.error && all.length > 0 && (
        <p className="error small" role="alert">{state.error}</p>
      )}
      {body}
    </section>
  );
}
