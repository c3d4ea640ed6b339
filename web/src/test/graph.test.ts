import { describe, expect, it } from 'vitest';
import nyc from '../lib/fixtures/dataflow-nycflights.json';
import ticks from '../lib/fixtures/dataflow-ticks.json';
import { isRenderedDataflow, layoutGraph, stepGraph, type RenderedDataflow } from '../lib/graph';

const flow = nyc as RenderedDataflow;

describe('graph of the real nycflights dataflow', () => {
  it('is the bytewax RenderedDataflow shape', () => {
    expect(isRenderedDataflow(nyc)).toBe(true);
    expect(isRenderedDataflow({ error: 'x' })).toBe(false);
  });

  it('has the top-level steps and streams, with the side output named', () => {
    const g = stepGraph(flow);
    expect(g.steps.map((s) => s.name)).toEqual(['flights', 'by_origin', 'daily', 'late', 'to_json', 'out']);
    const edges = g.edges.map((e) => `${e.from.split('.').pop()}->${e.to.split('.').pop()}:${e.port}`).sort();
    expect(edges).toEqual([
      'by_origin->daily:down',
      'daily->late:late',
      'daily->to_json:down',
      'flights->by_origin:down',
      'to_json->out:down',
    ]);
    const daily = g.steps.find((s) => s.name === 'daily')!;
    expect(daily.hasSubsteps).toBe(true);
    expect(daily.inLeaves).toEqual(['flights_by_origin.daily.window.stateful_batch']);
    expect(daily.outLeaves.sort()).toEqual([
      'flights_by_origin.daily.window.unwrap_down.flat_map_value.flat_map.flat_map_batch',
      'flights_by_origin.daily.window.unwrap_late.flat_map_value.flat_map.flat_map_batch',
      'flights_by_origin.daily.window.unwrap_meta.flat_map_value.flat_map.flat_map_batch',
    ]);
  });

  it('lays out in layers along the streams, without overlaps', () => {
    const layout = layoutGraph(stepGraph(flow));
    const at = (name: string) => layout.nodes.find((n) => n.name === name)!;
    expect(['flights', 'by_origin', 'daily', 'late', 'to_json', 'out'].map((n) => at(n).layer)).toEqual([0, 1, 2, 3, 3, 4]);
    for (const e of layout.edges) {
      const a = layout.nodes.find((n) => n.id === e.from)!;
      const b = layout.nodes.find((n) => n.id === e.to)!;
      expect(b.y).toBeGreaterThan(a.y);
      expect(e.path).toMatch(/^M[\d.]+,[\d.]+ C/);
    }
    for (const a of layout.nodes) {
      for (const b of layout.nodes) {
        if (a === b) continue;
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect(overlap).toBe(false);
      }
      expect(a.x).toBeGreaterThanOrEqual(0);
      expect(a.x + a.w).toBeLessThanOrEqual(layout.width);
      expect(a.y + a.h).toBeLessThanOrEqual(layout.height);
    }
  });

  it('opens a step: its substeps between the parent ports', () => {
    const g = stepGraph(flow, 'flights_by_origin.daily.window');
    expect(g.nodes.filter((n) => n.kind === 'input-port').map((n) => n.name)).toEqual(['up']);
    expect(g.nodes.filter((n) => n.kind === 'output-port').map((n) => n.name)).toEqual(['down', 'late', 'meta']);
    const edges = g.edges.map((e) => `${e.from.split('.').pop()}->${e.to.split('.').pop()}`).sort();
    expect(edges).toEqual([
      'stateful_batch->unwrap_down',
      'stateful_batch->unwrap_late',
      'stateful_batch->unwrap_meta',
      'unwrap_down->down',
      'unwrap_late->late',
      'unwrap_meta->meta',
      'up->stateful_batch',
    ]);
    const layout = layoutGraph(g);
    const layerOf = (suffix: string) => layout.nodes.find((n) => n.id.endsWith(suffix))!.layer;
    expect(layerOf('window.up')).toBe(0);
    expect(layerOf('stateful_batch')).toBe(1);
    expect(layerOf('window.down')).toBe(3);
  });

  it('handles the ticks fixture (a plain chain)', () => {
    const layout = layoutGraph(stepGraph(ticks as RenderedDataflow));
    expect(layout.nodes.map((n) => n.layer)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(layout.edges).toHaveLength(5);
  });
});
