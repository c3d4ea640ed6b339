// The Prometheus text exposition (format 0.0.4) of a bytewax process, and the rates the charts
// draw. Metric names seen from bytewax 0.21.1 (see lib/fixtures):
//   bytewax_item_inp_count_total{step_id,worker_index}   counter: items a step took in
//   bytewax_item_out_count_total{step_id,worker_index}   counter: items a step emitted
//   bytewax_*_duration_seconds_{bucket,sum,count}{step_id,worker_index}  histograms of the
//     Python callbacks (next_batch, write_batch, flat_map_batch mapper, on_batch, notify_at...)
// step_id is the innermost core operator (e.g. "flow.key.map.flat_map_batch").

import type { StepGraph } from './graph';

export type Sample = { name: string; labels: Record<string, string>; value: number };
export type Exposition = {
  samples: Sample[];
  types: Record<string, string>; // family -> counter | gauge | histogram | summary | untyped
  help: Record<string, string>;
};

function parseValue(text: string): number {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
    default:
      return Number(text);
  }
}

function unescapeLabel(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

// Parses `{a="x",b="y\"z"}` starting at text[start] === '{'; returns labels and the index after '}'.
function parseLabels(text: string, start: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  let i = start + 1;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === ',') i++;
    if (text[i] === '}') {
      return [labels, i + 1];
    }
    const eq = text.indexOf('=', i);
    if (eq < 0) break;
    const name = text.slice(i, eq).trim();
    i = eq + 1;
    if (text[i] !== '"') break;
    i++;
    let value = '';
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\' && i + 1 < text.length) {
        value += text[i] + text[i + 1];
        i += 2;
      } else {
        value += text[i++];
      }
    }
    labels[name] = unescapeLabel(value);
    i++; // closing quote
  }
  throw new Error(`malformed labels: ${text}`);
}

export function parsePrometheus(text: string): Exposition {
  const exposition: Exposition = { samples: [], types: {}, help: {} };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const match = /^#\s+(HELP|TYPE)\s+(\S+)\s*(.*)$/.exec(line);
      if (match) {
        if (match[1] === 'TYPE') exposition.types[match[2]] = match[3].trim();
        else exposition.help[match[2]] = match[3];
      }
      continue;
    }
    try {
      const nameEnd = line.search(/[{\s]/);
      if (nameEnd < 0) continue;
      const name = line.slice(0, nameEnd);
      let labels: Record<string, string> = {};
      let rest = nameEnd;
      if (line[nameEnd] === '{') {
        [labels, rest] = parseLabels(line, nameEnd);
      }
      const fields = line.slice(rest).trim().split(/\s+/);
      if (fields.length === 0 || fields[0] === '') continue;
      exposition.samples.push({ name, labels, value: parseValue(fields[0]) });
    } catch {
      // a line we cannot read is skipped, not fatal
    }
  }
  return exposition;
}

// Per step, summed over workers: what one scrape says.
export type StepTotals = {
  itemsIn: number;
  itemsOut: number;
  durationSum: number; // seconds spent in the step's callbacks
  durationCount: number; // callbacks (batches)
};
export type Snapshot = { time: number; steps: Record<string, StepTotals> };

const ITEM_IN = /^bytewax_item_inp_count(_total)?$/;
const ITEM_OUT = /^bytewax_item_out_count(_total)?$/;
const DURATION_SUM = /^bytewax_.*_duration_seconds_sum$/;
const DURATION_COUNT = /^bytewax_.*_duration_seconds_count$/;

// Which shown step a metric's (innermost) step_id belongs to. With the graph: items in count on
// the leaves that take the step's input, items out on those that feed its output ports, so that
// internal streams (e.g. a window's unwrapping) are not counted twice. Without: by prefix.
export type StepAttribution = {
  steps: string[];
  inLeaves: Record<string, string>; // leaf step_id -> shown step
  outLeaves: Record<string, string>;
  owner: (stepId: string) => string | null;
};

export function attribution(graph: StepGraph | null, fallbackSteps: string[] = []): StepAttribution {
  const steps = graph ? graph.steps.map((s) => s.id) : fallbackSteps;
  const inLeaves: Record<string, string> = {};
  const outLeaves: Record<string, string> = {};
  if (graph) {
    for (const step of graph.steps) {
      for (const leaf of step.inLeaves) inLeaves[leaf] = step.id;
      for (const leaf of step.outLeaves) outLeaves[leaf] = step.id;
    }
  }
  const sortedSteps = [...steps].sort((a, b) => b.length - a.length);
  const owner = (stepId: string): string | null => {
    for (const step of sortedSteps) {
      if (stepId === step || stepId.startsWith(step + '.')) return step;
    }
    if (graph) return null;
    // No graph: the first two parts ("flow.step") name the top-level step.
    const parts = stepId.split('.');
    return parts.length >= 2 ? parts.slice(0, 2).join('.') : stepId;
  };
  return { steps, inLeaves, outLeaves, owner };
}

export function snapshotOf(exposition: Exposition, time: number, attr: StepAttribution): Snapshot {
  const steps: Record<string, StepTotals> = {};
  const totals = (step: string): StepTotals =>
    (steps[step] ??= { itemsIn: 0, itemsOut: 0, durationSum: 0, durationCount: 0 });
  const hasLeaves = Object.keys(attr.inLeaves).length + Object.keys(attr.outLeaves).length > 0;
  for (const step of attr.steps) totals(step);
  for (const sample of exposition.samples) {
    const stepId = sample.labels.step_id;
    if (stepId === undefined || !Number.isFinite(sample.value)) continue;
    if (ITEM_IN.test(sample.name)) {
      const step = hasLeaves ? attr.inLeaves[stepId] : attr.owner(stepId);
      if (step) totals(step).itemsIn += sample.value;
    } else if (ITEM_OUT.test(sample.name)) {
      const step = hasLeaves ? attr.outLeaves[stepId] : attr.owner(stepId);
      if (step) totals(step).itemsOut += sample.value;
    } else if (DURATION_SUM.test(sample.name)) {
      const step = attr.owner(stepId);
      if (step) totals(step).durationSum += sample.value;
    } else if (DURATION_COUNT.test(sample.name)) {
      const step = attr.owner(stepId);
      if (step) totals(step).durationCount += sample.value;
    }
  }
  return { time, steps };
}

// Per-second increase of a counter; a counter that went down was reset (process restart), so
// its new value is all increase.
export function counterRate(before: number, after: number, seconds: number): number {
  if (seconds <= 0) return 0;
  const delta = after >= before ? after - before : after;
  return delta / seconds;
}

export type StepRates = {
  time: number;
  inPerSec: number;
  outPerSec: number;
  meanBatchSec: number | null; // mean callback duration over the interval; null: no batches
  busy: number; // seconds in callbacks per second (can exceed 1 with several workers)
};

export function ratesBetween(a: Snapshot, b: Snapshot): Record<string, StepRates> {
  const seconds = (b.time - a.time) / 1000;
  const out: Record<string, StepRates> = {};
  for (const [step, after] of Object.entries(b.steps)) {
    const before = a.steps[step] ?? { itemsIn: 0, itemsOut: 0, durationSum: 0, durationCount: 0 };
    const reset = after.durationCount < before.durationCount;
    const dCount = reset ? after.durationCount : after.durationCount - before.durationCount;
    const dSum = reset ? after.durationSum : after.durationSum - before.durationSum;
    out[step] = {
      time: b.time,
      inPerSec: counterRate(before.itemsIn, after.itemsIn, seconds),
      outPerSec: counterRate(before.itemsOut, after.itemsOut, seconds),
      meanBatchSec: dCount > 0 ? Math.max(0, dSum) / dCount : null,
      busy: seconds > 0 ? Math.max(0, dSum) / seconds : 0,
    };
  }
  return out;
}

// Series of rates from a list of snapshots (oldest first).
export function rateSeries(snapshots: Snapshot[]): Record<string, StepRates[]> {
  const series: Record<string, StepRates[]> = {};
  for (let i = 1; i < snapshots.length; i++) {
    for (const [step, rates] of Object.entries(ratesBetween(snapshots[i - 1], snapshots[i]))) {
      (series[step] ??= []).push(rates);
    }
  }
  return series;
}
