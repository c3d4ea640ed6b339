// The running dataflow seen through its process: the graph (/graph) and the metrics (/metrics).

import { useEffect, useMemo, useState } from 'react';
import { getGraph, getMetricsText } from '../api/client';
import { ApiError, errorMessage } from '../api/http';
import { isRenderedDataflow, stepGraph, type RenderedDataflow } from '../lib/graph';
import { attribution, parsePrometheus, rateSeries, snapshotOf, type Snapshot } from '../lib/prometheus';
import { GraphView } from './GraphView';
import { LineChart } from './LineChart';

const POLL_MS = 5000;
const KEEP = 61;

function notRunningText(error: unknown): string {
  if (error instanceof ApiError && error.status === 503) {
    return `${error.message} It shows here once the process runs.`;
  }
  return errorMessage(error);
}

export function useGraph(namespace: string, name: string, process: number, running: boolean) {
  const [flow, setFlow] = useState<RenderedDataflow | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    setFlow(null);
    setError('');
  }, [namespace, name, process]);
  useEffect(() => {
    if (flow) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const body = await getGraph(namespace, name, process, controller.signal);
        if (!isRenderedDataflow(body)) throw new Error('The graph answer is not a bytewax dataflow structure.');
        setFlow(body);
        setError('');
      } catch (e) {
        if (controller.signal.aborted) return;
        setError(notRunningText(e));
        timer = setTimeout(load, 10000);
      }
    };
    load();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [namespace, name, process, flow, running]);
  return { flow, error };
}

export function GraphPanel(props: { flow: RenderedDataflow | null; error: string }) {
  if (!props.flow) {
    return <p className="muted" data-testid="graph-unavailable">{props.error || 'Loading the graph…'}</p>;
  }
  return <GraphView flow={props.flow} />;
}

export function MetricsPanel(props: {
  namespace: string;
  name: string;
  process: number;
  flow: RenderedDataflow | null;
}) {
  const [snapshots, setSnapshots] = useState<Snapshot[]>([]);
  const [error, setError] = useState('');
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
      } catch (e) {
        if (!controller.signal.aborted) setError(notRunningText(e));
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
      {error && <p className="muted" role="status">{error}</p>}
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
