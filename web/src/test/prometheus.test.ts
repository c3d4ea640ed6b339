import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import ticks from '../lib/fixtures/dataflow-ticks.json';
import { stepGraph, type RenderedDataflow } from '../lib/graph';
import { attribution, counterRate, parsePrometheus, ratesBetween, snapshotOf } from '../lib/prometheus';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => readFileSync(join(here, '../lib/fixtures', name), 'utf8');

describe('parsePrometheus', () => {
  it('reads the real bytewax exposition', () => {
    const e = parsePrometheus(fixture('metrics-ticks-1.txt'));
    expect(e.types.bytewax_item_inp_count_total).toBe('counter');
    expect(e.types.bytewax_flat_map_batch_duration_seconds).toBe('histogram');
    const out = e.samples.filter((s) => s.name === 'bytewax_item_out_count_total' && s.labels.step_id === 'ticks.inp');
    expect(out.map((s) => [s.labels.worker_index, s.value])).toEqual([
      ['0', 119],
      ['1', 118],
    ]);
    const inf = e.samples.find((s) => s.name.endsWith('_bucket') && s.labels.le === '+Inf')!;
    expect(inf.labels.otel_scope_name).toBe('bytewax');
    expect(e.samples.find((s) => s.name === 'process_max_fds')!.value).toBe(20000);
  });

  it('handles escapes, special values and timestamps', () => {
    const e = parsePrometheus(
      '# TYPE m gauge\nm{a="x\\"y",b="1\\\\2\\n"} NaN\nm{a="z"} +Inf 1700000000000\nm -Inf\nbroken{a="x} 3\n',
    );
    expect(e.samples[0].labels).toEqual({ a: 'x"y', b: '1\\2\n' });
    expect(Number.isNaN(e.samples[0].value)).toBe(true);
    expect(e.samples[1].value).toBe(Infinity);
    expect(e.samples[2].value).toBe(-Infinity);
    expect(e.samples).toHaveLength(3);
  });
});

describe('rates per step', () => {
  const graph = stepGraph(ticks as RenderedDataflow);
  const attr = attribution(graph);
  const a = snapshotOf(parsePrometheus(fixture('metrics-ticks-1.txt')), 0, attr);
  const b = snapshotOf(parsePrometheus(fixture('metrics-ticks-2.txt')), 2500, attr);

  it('sums workers and attributes inner steps to the shown step', () => {
    expect(a.steps['ticks.inp'].itemsOut).toBe(237);
    expect(a.steps['ticks.key'].itemsIn).toBe(237);
    expect(a.steps['ticks.key'].itemsOut).toBe(237);
    expect(a.steps['ticks.out'].itemsIn).toBe(236);
    expect(a.steps['ticks.out'].itemsOut).toBe(0);
    expect(a.steps['ticks.key'].durationCount).toBe(119 + 118);
  });

  it('computes per-second rates between two scrapes', () => {
    const rates = ratesBetween(a, b);
    const inp = rates['ticks.inp'];
    const expected = (b.steps['ticks.inp'].itemsOut - a.steps['ticks.inp'].itemsOut) / 2.5;
    expect(expected).toBeGreaterThan(0);
    expect(inp.outPerSec).toBeCloseTo(expected);
    const key = rates['ticks.key'];
    expect(key.meanBatchSec).not.toBeNull();
    expect(key.meanBatchSec!).toBeGreaterThan(0);
    expect(key.meanBatchSec!).toBeLessThan(0.05);
  });

  it('treats a counter that went down as reset', () => {
    expect(counterRate(100, 130, 3)).toBe(10);
    expect(counterRate(100, 20, 2)).toBe(10);
    expect(counterRate(1, 2, 0)).toBe(0);
  });

  it('falls back to prefixes without a graph', () => {
    const s = snapshotOf(parsePrometheus(fixture('metrics-ticks-1.txt')), 0, attribution(null));
    expect(s.steps['ticks.inp'].itemsOut).toBe(237);
    expect(s.steps['ticks.keep_some'].itemsIn).toBe(236);
  });
});
