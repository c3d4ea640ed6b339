import { describe, expect, it } from 'vitest';
import type { Dataflow } from '../api/types';
import { ageText, filterDataflows, phaseOf, processesText, sourceText } from '../lib/dataflow';

const make = (name: string, ns: string, phase: string, spec: Dataflow['spec'] = {}): Dataflow => ({
  metadata: { name, namespace: ns },
  spec: { image: { repository: 'bytewax/bytewax', tag: '0.21.1' }, pythonFileName: 'f.py', ...spec },
  status: { phase, processesReady: 1, processesDesired: 2 },
});

const items = [
  make('flights-by-origin', 'default', 'Running'),
  make('clicks', 'team-a', 'Suspended', { tarName: 'code.tar' }),
  make('orders', 'team-a', 'CrashLoopBackOff', { artifactsDownload: { url: 'https://x/code.tar' } }),
];

describe('search and filter', () => {
  it('matches words in name, namespace, image or source', () => {
    expect(filterDataflows(items, { search: '', phase: '' })).toHaveLength(3);
    expect(filterDataflows(items, { search: 'team-a', phase: '' }).map((d) => d.metadata.name)).toEqual(['clicks', 'orders']);
    expect(filterDataflows(items, { search: 'TEAM code.tar', phase: '' }).map((d) => d.metadata.name)).toEqual(['clicks', 'orders']);
    expect(filterDataflows(items, { search: 'flights', phase: '' }).map((d) => d.metadata.name)).toEqual(['flights-by-origin']);
    expect(filterDataflows(items, { search: 'nothing-like-it', phase: '' })).toEqual([]);
  });

  it('filters by phase, with the search', () => {
    expect(filterDataflows(items, { search: '', phase: 'Suspended' }).map((d) => d.metadata.name)).toEqual(['clicks']);
    expect(filterDataflows(items, { search: 'orders', phase: 'Running' })).toEqual([]);
  });
});

describe('row texts', () => {
  it('phase, counts, source, age', () => {
    expect(phaseOf({ metadata: { name: 'x' }, spec: {} })).toBe('Pending');
    expect(phaseOf({ metadata: { name: 'x', deletionTimestamp: '2026-01-01T00:00:00Z' }, spec: {}, status: { phase: 'Running' } })).toBe('Terminating');
    expect(processesText(items[0])).toBe('1/2');
    expect(sourceText(items[0])).toEqual({ kind: 'configmap', text: 'flights-by-origin/f.py' });
    expect(sourceText(items[1]).kind).toBe('tar');
    expect(sourceText(items[2])).toEqual({ kind: 'url', text: 'https://x/code.tar' });
    const now = Date.parse('2026-01-02T00:00:00Z');
    expect(ageText('2026-01-01T23:59:30Z', now)).toBe('30s');
    expect(ageText('2026-01-01T21:30:00Z', now)).toBe('2h30m');
    expect(ageText('2025-12-20T00:00:00Z', now)).toBe('13d');
    expect(ageText(undefined, now)).toBe('');
  });
});
