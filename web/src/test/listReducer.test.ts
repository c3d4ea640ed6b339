import { describe, expect, it } from 'vitest';
import type { Dataflow } from '../api/types';
import { initialListState, listReducer, sortedItems } from '../lib/listReducer';

const df = (name: string, rv: string, ns = 'default', phase = 'Running'): Dataflow => ({
  metadata: { name, namespace: ns, resourceVersion: rv },
  spec: {},
  status: { phase },
});

describe('listReducer', () => {
  it('applies ADDED, MODIFIED and DELETED', () => {
    let s = listReducer(initialListState, { type: 'LIST', items: [df('a', '1')], resourceVersion: '3' });
    expect(s.loaded).toBe(true);
    s = listReducer(s, { type: 'EVENT', event: { type: 'ADDED', object: df('b', '4', 'team') } });
    s = listReducer(s, { type: 'EVENT', event: { type: 'MODIFIED', object: df('a', '5', 'default', 'Suspended') } });
    expect(sortedItems(s).map((d) => [d.metadata.namespace, d.metadata.name, d.status?.phase])).toEqual([
      ['default', 'a', 'Suspended'],
      ['team', 'b', 'Running'],
    ]);
    expect(s.resourceVersion).toBe('5');
    s = listReducer(s, { type: 'EVENT', event: { type: 'DELETED', object: df('a', '6') } });
    expect(Object.keys(s.items)).toEqual(['team/b']);
    expect(s.resourceVersion).toBe('6');
  });

  it('keys by namespace: the same name in two namespaces is two rows', () => {
    let s = listReducer(initialListState, { type: 'LIST', items: [df('a', '1', 'x'), df('a', '2', 'y')], resourceVersion: '2' });
    s = listReducer(s, { type: 'EVENT', event: { type: 'DELETED', object: df('a', '3', 'x') } });
    expect(Object.keys(s.items)).toEqual(['y/a']);
  });

  it('ignores an older replayed event', () => {
    let s = listReducer(initialListState, { type: 'LIST', items: [df('a', '9', 'default', 'Running')], resourceVersion: '9' });
    s = listReducer(s, { type: 'EVENT', event: { type: 'MODIFIED', object: df('a', '7', 'default', 'Pending') } });
    expect(s.items['default/a'].status?.phase).toBe('Running');
  });

  it('replaces everything on a new list (after a 410), dropping what was deleted meanwhile', () => {
    let s = listReducer(initialListState, { type: 'LIST', items: [df('a', '1'), df('b', '2')], resourceVersion: '2' });
    s = listReducer(s, { type: 'LIST', items: [df('b', '8')], resourceVersion: '20' });
    expect(Object.keys(s.items)).toEqual(['default/b']);
    expect(s.resourceVersion).toBe('20');
  });

  it('keeps the rows and records an error', () => {
    let s = listReducer(initialListState, { type: 'LIST', items: [df('a', '1')], resourceVersion: '1' });
    s = listReducer(s, { type: 'ERROR', message: 'forbidden' });
    expect(s.error).toBe('forbidden');
    expect(Object.keys(s.items)).toHaveLength(1);
  });
});
