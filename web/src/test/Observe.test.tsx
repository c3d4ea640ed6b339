import { act } from 'react';
import { describe, expect, it } from 'vitest';
import { setFetch } from '../api/http';
import { GraphPanel, MetricsPanel, useGraph } from '../components/Observe';
import flowJson from '../lib/fixtures/dataflow-ticks.json';
import { fakeFetch, json, status } from './fakeFetch';
import { mountPoint } from './mountPoint';

const mount = mountPoint();

const flush = async () => {
  for (let i = 0; i < 3; i++) await act(async () => { await new Promise((r) => setTimeout(r, 10)); });
};


describe('a stopped dataflow', () => {
  it('Metrics says it is not running instead of waiting for samples', async () => {
    setFetch(fakeFetch([() => status(404, 'NotFound', 'dataflow default/ticker has no process 0 running')]).fetch);
    await act(async () => mount.root.render(<MetricsPanel namespace="default" name="ticker" process={0} flow={null} />));
    await flush();
    const note = mount.container.querySelector('[data-testid="metrics-not-running"]');
    expect(note?.textContent).toContain('The dataflow is not running; metrics appear while it runs');
    expect(note?.textContent).toContain('has no process 0 running');
    expect(mount.container.textContent).not.toMatch(/Collecting samples|waiting for samples/i);
  });

  it('Metrics says so for a 503 "is not running" too', async () => {
    setFetch(fakeFetch([() => status(503, 'ServiceUnavailable', 'process 0 of dataflow default/ticker is not running')]).fetch);
    await act(async () => mount.root.render(<MetricsPanel namespace="default" name="ticker" process={0} flow={null} />));
    await flush();
    expect(mount.container.querySelector('[data-testid="metrics-not-running"]')).not.toBeNull();
  });

  function Graph(props: { running: boolean }) {
    const graph = useGraph('default', 'ticker', 0, props.running);
    return <GraphPanel flow={graph.flow} error={graph.error} notRunning={graph.notRunning} stale={graph.stale} stopped={graph.stopped} />;
  }

  it('Graph marks a graph from an earlier run once the dataflow stops', async () => {
    setFetch(fakeFetch([(c) => (c.url.includes('/graph') ? json(flowJson) : undefined)]).fetch);
    await act(async () => mount.root.render(<Graph running />));
    await flush();
    expect(mount.container.querySelector('[data-testid="graph-svg"]')).not.toBeNull();
    expect(mount.container.querySelector('[data-testid="graph-stale"]')).toBeNull();
    await act(async () => mount.root.render(<Graph running={false} />));
    await flush();
    expect(mount.container.querySelector('[data-testid="graph-stale"]')?.textContent).toContain('from an earlier run');
  });

  it('Graph says the dataflow is not running when there is no graph', async () => {
    setFetch(fakeFetch([() => status(404, 'NotFound', 'dataflow default/ticker has no process 0 running')]).fetch);
    await act(async () => mount.root.render(<Graph running={false} />));
    await flush();
    expect(mount.container.querySelector('[data-testid="graph-unavailable"]')?.textContent).toContain('The dataflow is not running');
  });
});
