// The running dataflow seen through its process: the graph (/graph) and the metrics (/metrics).

import { useEffect, useMemo, useRef, useState } from 'react';
import { getGraph, getMetricsText } from '../api/client';
import { ApiError, errorMessage } from '../api/http';
import { isRenderedDataflow, stepGraph, type RenderedDataflow } from '../lib/graph';
import { attribution, parsePrometheus, rateSeries, snapshotOf, type Snapshot } from '../lib/prometheus';
import { GraphView } from './GraphView';
import { LineChart } from './LineChart';

const POLL_MS = 5000;
const KEEP = 61;

// The API's answer when the process is not there: 404 "dataflow NS/NAME has no process 0
// running", or 503 "process 0 of dataflow NS/NAME is not running".
export function isNotRunning(error: unknown): boolean {
  return (
    error instanceof ApiError &&
    (error.status === 404 || error.status === 503) &&
    /not running|no process/i.test(error.message)
  );
}

function notRunningText(error: unknown): string {
  if (error instanceof ApiError && error.status === 503) {
    return `${error.message} It shows here once the process runs.`;
  }
  return errorMessage(error);
}

export const GRAPH_NOT_RUNNING = 'The dataflow is not running; its graph appears while it runs.';
export const METRICS_NOT_RUNNING = 'The dataflow is not running; metrics appear while it runs.';

export type GraphState = {
  flow: RenderedDataflow | null;
  error: string;
  notRunning: boolean; // the last try found no running process
  stale: boolean; // `flow` is from an earlier run (the dataflow stopped or started again since)
  stopped: boolean; // no process runs now (as far as the page knows)
};

export function useGraph(namespace: string, name: string, process: number, running: boolean): GraphState {
  const [flow, setFlow] = useState<RenderedDataflow | null>(null);
  const [error, setError] = useState('');
  const [notRunning, setNotRunning] = useState(false);
  // Counts the runs seen: one more each time the dataflow goes from not running to running.
  const [run, setRun] = useState(0);
  const [flowRun, setFlowRun] = useState(-1);
  const wasRunning = useRef(running);
  useEffect(() => {
    if (running && !wasRunning.current) setRun((r) => r + 1);
    wasRunning.current = running;
  }, [running]);
  useEffect(() => {
    setFlow(null);
    setError('');
    setNotRunning(false);
    setFlowRun(-1);
  }, [namespace, name, process]);
  const current = flow !== null && flowRun === run;
  useEffect(() => {
    if (current) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const body = await getGraph(namespace, name, process, controller.signal);
        if (!isRenderedDataflow(body)) throw new Error('The graph answer is not a bytewax dataflow structure.');
        setFlow(body);
        setFlowRun(run);
        setError('');
        setNotRunning(false);
      } catch (e) {
        if (controller.signal.aborted) return;
        setNotRunning(isNotRunning(e));
        setError(isNotRunning(e) ? errorMessage(e) : notRunningText(e));
        timer = setTimeout(load, 10000);
      }
    };
    load();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [namespace, name, process, current, run]);
  return {
    flow,
    error,
    notRunning,
    stale: flow !== null && (!running || notRunning || !current),
    stopped: !running || notRunning,
  };
}

export function GraphPanel(props: {
  flow: RenderedDataflow | null;
  error: string;
  notRunning?: boolean;
  stale?: boolean;
  stopped?: boolean;
}) {
  if (!props.flow) {
    if (props.notRunning) {
      return (
        <div data-testid="graph-unavailable">
          <p className="muted" role="status">{GRAPH_NOT_RUNNING}</p>
          <p className="muted small">{props.error}</p>
        </div>
      );
    }
    return <p className="muted" data-testid="graph-unavailable">{props.error || 'Loading the graph…'}</p>;
  }
  return (
    <>
      {props.stale && (
        <p className="notice" role="status" data-testid="graph-stale">
          {props.stopped
            ? 'The dataflow is not running: this graph is from an earlier run.'
            : 'This graph is from an earlier run; loading the current one…'}
        </p>
      )}
      <GraphView flow={props.flow} />
    </>
  );
}

export function MetricsPanel(props: {
  namespace: string;
  name: string;
  process: number;
  flow: RenderedDataflow | null;
}) {
  const [snapshots, setSnapshots] = useState<Snapshot[]>([]);
  const [error, setError] = useState('');
  const [notRunning, setNotRunning] = useState(false);
  const graph = useMemo(() => (props.flow ? stepGraph(props.flow) : null), [props.flow]);
  const attr = useMemo(() => attribution(graph), [graph]);

  useEffect(() => {
    setSnapshots([]);
  }, [props.namespace, props.name, props.process, attr]);

  useEffect(() => {
    const controller = new AbortController();
    const poll = async () => {
      try {
        const text = await getMetricsText(props.namespace, props.name, props.process, controller.signal);
        const snap = snapshotOf(parsePrometheus(text), Date.now(), attr);
        setSnapshots((list) => [...list, snap].slice(-KEEP));
        setError('');
        setNotRunning(false);
      } catch (e) {
        if (controller.signal.aborted) return;
        setNotRunning(isNotRunning(e));
        setError(isNotRunning(e) ? errorMessage(e) : notRunningText(e));
      }
    };
    poll();
    const timer = setInterval(poll, POLL_MS);
    return () => {
      controller.abort();
      clearInterval(timer);
    };
  }, [props.namespace, props.name, props.process, attr]);

  const series = useMemo(() => rateSeries(snapshots), [snapshots]);
  const steps = graph ? graph.steps.map((s) => s.id) : Object.keys(snapshots[snapshots.length - 1]?.steps ?? {});
  const label = (id: string) => id.slice(id.indexOf('.') + 1);

  return (
    <div data-testid="metrics">
      {notRunning ? (
        <div data-testid="metrics-not-running">
          <p className="muted" role="status">{METRICS_NOT_RUNNING}</p>
          <p className="muted small">{error}</p>
        </div>
      ) : (
        error && <p className="muted" role="status">{error}</p>
      )}
      {!error && snapshots.length < 2 && <p className="muted small">Collecting samples (every {POLL_MS / 1000} s)…</p>}
      <div className="charts">
        {steps.map((step) => {
          const points = series[step] ?? [];
          return (
            <div className="chart-pair" key={step} data-testid={`metrics-step-${step}`}>
              <LineChart
                testId={`chart-items-${step}`}
                title={label(step)}
                unit="/s"
                series={[
                  { label: 'in', className: 's-in', points: points.map((p) => ({ t: p.time, v: p.inPerSec })) },
                  { label: 'out', className: 's-out', points: points.map((p) => ({ t: p.time, v: p.outPerSec })) },
                ]}
              />
              <LineChart
                testId={`chart-duration-${step}`}
                title="mean batch"
                unit="ms"
                series={[
                  {
                    label: 'batch',
                    className: 's-dur',
                    points: points
                      .filter((p) => p.meanBatchSec !== null)
                      .map((p) => ({ t: p.time, v: (p.meanBatchSec ?? 0) * 1000 })),
                  },
                ]}
              />
            </div>
          );
        })}
      </div>
    </div>
  );
}
