import { useCallback, useEffect, useState } from 'react';
import { stringify } from 'yaml';
import { deleteDataflow, getDataflow, listProcesses, resetState, setSuspended } from '../api/client';
import { ApiError, errorMessage } from '../api/http';
import type { Dataflow, Process } from '../api/types';
import { GraphPanel, MetricsPanel, useGraph } from '../components/Observe';
import { LogView } from '../components/LogView';
import { PhaseBadge } from '../components/PhaseBadge';
import { ageText, imageText, phaseOf, processesText, sourceText } from '../lib/dataflow';
import { Link, navigate } from '../lib/router';

const POLL_MS = 3000;

function SpecSummary({ dataflow }: { dataflow: Dataflow }) {
  const spec = dataflow.spec;
  const source = sourceText(dataflow);
  const recovery = spec.recovery;
  const rows: [string, React.ReactNode][] = [
    ['Image', <span className="mono">{imageText(dataflow)}</span>],
    ['Code', <span className="mono">{source.kind === 'url' ? `download ${source.text}` : source.text}</span>],
    ['Processes × workers', `${spec.processesCount ?? 1} × ${spec.workersPerProcess ?? 1}`],
    ['Mode', spec.schedule ? `scheduled (${spec.schedule})` : spec.jobMode ? 'job' : 'continuous'],
    [
      'Recovery',
      recovery?.enabled
        ? `on: ${recovery.partsCount ?? 1} parts, snapshot every ${recovery.snapshotInterval ?? 1} s, backup ${recovery.backupInterval ?? 1} s` +
          (recovery.cloudBackup?.enabled ? `, S3 ${recovery.cloudBackup.s3?.url ?? ''}` : '')
        : 'off',
    ],
    ['Suspended', spec.suspend ? 'yes' : 'no'],
  ];
  if (spec.dependencies?.length) rows.push(['Dependencies', <span className="mono">{spec.dependencies.join(', ')}</span>]);
  if (spec.env?.length) rows.push(['Environment', <span className="mono">{spec.env.map((e) => e.name).join(', ')}</span>]);
  return (
    <dl className="summary" data-testid="spec-summary">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

function Conditions({ dataflow }: { dataflow: Dataflow }) {
  const conditions = dataflow.status?.conditions ?? [];
  if (!conditions.length) return <p className="muted">No conditions reported yet.</p>;
  return (
    <table className="list" data-testid="conditions">
      <thead>
        <tr>
          <th>Type</th>
          <th>Status</th>
          <th>Reason</th>
          <th>Message</th>
          <th>Last transition</th>
        </tr>
      </thead>
      <tbody>
        {conditions.map((c) => (
          <tr key={c.type} data-testid={`condition-${c.type}`}>
            <td>{c.type}</td>
            <td>{c.status}</td>
            <td>{c.reason}</td>
            <td className="wrap">{c.message}</td>
            <td title={c.lastTransitionTime}>{c.lastTransitionTime ? `${ageText(c.lastTransitionTime)} ago` : ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Processes({ processes, restarts }: { processes: Process[]; restarts?: number }) {
  return (
    <>
      {restarts !== undefined && <p className="small muted">Restarts after failures: {restarts}</p>}
      {processes.length === 0 ? (
        <p className="muted">No process runs now.</p>
      ) : (
        <table className="list" data-testid="processes-table">
          <thead>
            <tr>
              <th>Process</th>
              <th>State</th>
              <th>PID</th>
              <th>Last exit</th>
              <th>Restarts</th>
            </tr>
          </thead>
          <tbody>
            {processes.map((p) => (
              <tr key={p.index} data-testid={`process-${p.index}`}>
                <td>{p.name}</td>
                <td>{p.ready ? 'ready' : p.running ? 'running, not ready' : 'stopped'}</td>
                <td>{p.pid || ''}</td>
                <td>{p.lastExitCode ?? ''}</td>
                <td>{p.restarts ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

type Dialog = null | 'reset' | 'delete';

export function DataflowPage({ namespace, name }: { namespace: string; name: string }) {
  const [dataflow, setDataflow] = useState<Dataflow | null>(null);
  const [processes, setProcesses] = useState<Process[]>([]);
  const [loadError, setLoadError] = useState<{ status: number; message: string } | null>(null);
  const [actionError, setActionError] = useState('');
  const [busy, setBusy] = useState(false);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [typed, setTyped] = useState('');
  const [force, setForce] = useState(false);
  const [tab, setTab] = useState<'overview' | 'logs' | 'graph' | 'metrics' | 'yaml'>('overview');
  const [process, setProcess] = useState(0);

  const refresh = useCallback(
    async (signal?: AbortSignal) => {
      try {
        const [d, p] = await Promise.all([
          getDataflow(namespace, name, signal),
          listProcesses(namespace, name, signal).catch(() => [] as Process[]),
        ]);
        setDataflow(d);
        setProcesses(p);
        setLoadError(null);
      } catch (e) {
        if (signal?.aborted) return;
        setLoadError({ status: e instanceof ApiError ? e.status : 0, message: errorMessage(e) });
      }
    },
    [namespace, name],
  );

  useEffect(() => {
    const controller = new AbortController();
    refresh(controller.signal);
    const timer = setInterval(() => refresh(controller.signal), POLL_MS);
    return () => {
      controller.abort();
      clearInterval(timer);
    };
  }, [refresh]);

  const running = processes.some((p) => p.running);
  const graph = useGraph(namespace, name, process, running);

  const act = async (what: () => Promise<unknown>, after?: () => void) => {
    setBusy(true);
    setActionError('');
    try {
      await what();
      setDialog(null);
      after?.();
      await refresh();
    } catch (e) {
      setActionError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  if (!dataflow) {
    if (loadError) {
      return (
        <section className="panel">
          <p>
            <Link href="/ui/dataflows">← Dataflows</Link>
          </p>
          <div className="notice error" role="alert" data-testid="dataflow-error">
            <p>{loadError.message}</p>
            {loadError.status === 404 && (
              <p>
                Dataflow “{namespace}/{name}” does not exist (or was deleted).{' '}
                <Link href="/ui/dataflows">See the list</Link>.
              </p>
            )}
          </div>
        </section>
      );
    }
    return <p className="muted panel">Loading…</p>;
  }

  const phase = phaseOf(dataflow);
  const suspended = !!dataflow.spec.suspend;
  const processCount = dataflow.spec.processesCount ?? 1;
  const lastError = dataflow.status?.lastError;

  return (
    <section className="panel" data-testid="dataflow-page">
      <p className="small">
        <Link href="/ui/dataflows">← Dataflows</Link>
      </p>
      <div className="toolbar">
        <h2>
          <span className="muted">{namespace}/</span>
          <span data-testid="dataflow-name">{name}</span>
        </h2>
        <span data-testid="dataflow-phase">
          <PhaseBadge phase={phase} />
        </span>
        <span className="muted small">
          processes {processesText(dataflow)} · age {ageText(dataflow.metadata.creationTimestamp)}
        </span>
        <div className="spacer" />
        {suspended ? (
          <button disabled={busy} onClick={() => act(() => setSuspended(namespace, name, false))} data-testid="action-start">
            Start
          </button>
        ) : (
          <button disabled={busy} onClick={() => act(() => setSuspended(namespace, name, true))} data-testid="action-stop">
            Stop
          </button>
        )}
        <button className="secondary" disabled={busy} onClick={() => { setForce(!suspended); setDialog('reset'); }} data-testid="action-reset">
          Reset state
        </button>
        <button className="danger" disabled={busy} onClick={() => { setTyped(''); setDialog('delete'); }} data-testid="action-delete">
          Delete
        </button>
      </div>
      {actionError && !dialog && (
        <p className="error" role="alert" data-testid="action-error">
          {actionError}
        </p>
      )}
      {lastError && (
        <div className="notice error" data-testid="last-error">
          <strong>Last error:</strong> {lastError}
        </div>
      )}
      {loadError && <p className="error small">{loadError.message}</p>}

      {dialog === 'reset' && (
        <div className="dialog" role="dialog" aria-label="Reset state" data-testid="reset-dialog">
          <p>
            Reset the recovery state of <strong>{name}</strong>? The dataflow starts again from the beginning of its
            input. This cannot be undone.
          </p>
          {!suspended && (
            <label className="inline">
              <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} data-testid="reset-force" />
              It is running: stop it, reset, and start it again (force)
            </label>
          )}
          {actionError && <p className="error" role="alert">{actionError}</p>}
          <div className="buttons">
            <button className="danger" disabled={busy} onClick={() => act(() => resetState(namespace, name, force))} data-testid="reset-confirm">
              Reset state
            </button>
            <button className="secondary" onClick={() => { setDialog(null); setActionError(''); }}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {dialog === 'delete' && (
        <div className="dialog" role="dialog" aria-label="Delete" data-testid="delete-dialog">
          <p>
            Delete <strong>{namespace}/{name}</strong>? Its processes stop and its state is removed. Type the name to
            confirm.
          </p>
          <input value={typed} onChange={(e) => setTyped(e.target.value)} placeholder={name} data-testid="delete-confirm-name" aria-label="Dataflow name" />
          {actionError && <p className="error" role="alert">{actionError}</p>}
          <div className="buttons">
            <button
              className="danger"
              disabled={busy || typed !== name}
              onClick={() => act(() => deleteDataflow(namespace, name), () => navigate('/ui/dataflows'))}
              data-testid="delete-confirm"
            >
              Delete
            </button>
            <button className="secondary" onClick={() => { setDialog(null); setActionError(''); }}>
              Cancel
            </button>
          </div>
        </div>
      )}

      <div className="tabs" role="tablist">
        {(['overview', 'logs', 'graph', 'metrics', 'yaml'] as const).map((t) => (
          <button key={t} role="tab" aria-selected={tab === t} className={tab === t ? 'active' : ''} onClick={() => setTab(t)} data-testid={`tab-${t}`}>
            {t === 'yaml' ? 'YAML' : t[0].toUpperCase() + t.slice(1)}
          </button>
        ))}
        {(tab === 'graph' || tab === 'metrics') && processCount > 1 && (
          <label className="inline small">
            process{' '}
            <select value={process} onChange={(e) => setProcess(Number(e.target.value))} data-testid="observe-process">
              {Array.from({ length: processCount }, (_, i) => (
                <option key={i} value={i}>{i}</option>
              ))}
            </select>
          </label>
        )}
      </div>

      {tab === 'overview' && (
        <div className="grid2">
          <div>
            <h3>Spec</h3>
            <SpecSummary dataflow={dataflow} />
          </div>
          <div>
            <h3>Conditions</h3>
            <Conditions dataflow={dataflow} />
            <h3>Processes</h3>
            <Processes processes={processes} restarts={dataflow.status?.restarts} />
          </div>
        </div>
      )}
      {tab === 'logs' && (
        <LogView namespace={namespace} name={name} processes={processCount} phase={phase} suspended={suspended} />
      )}
      {tab === 'graph' && (
        <GraphPanel flow={graph.flow} error={graph.error} notRunning={graph.notRunning} stale={graph.stale} stopped={graph.stopped} />
      )}
      {tab === 'metrics' && <MetricsPanel namespace={namespace} name={name} process={process} flow={graph.flow} />}
      {tab === 'yaml' && (
        <pre className="yaml" data-testid="spec-yaml">
          {stringify({ apiVersion: dataflow.apiVersion, kind: dataflow.kind, metadata: dataflow.metadata, spec: dataflow.spec, status: dataflow.status })}
        </pre>
      )}
    </section>
  );
}
