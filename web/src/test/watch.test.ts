import { afterEach, describe, expect, it } from 'vitest';
import { setFetch } from '../api/http';
import type { Dataflow, WatchEvent } from '../api/types';
import { LineSplitter, listAndWatch, NdjsonParser } from '../api/watch';
import { fakeFetch, json, status, stream } from './fakeFetch';

const df = (name: string, rv: string, phase = 'Running'): Dataflow => ({
  metadata: { name, namespace: 'default', resourceVersion: rv },
  spec: {},
  status: { phase },
});

describe('NdjsonParser', () => {
  it('joins events split across chunks, anywhere', () => {
    const text =
      JSON.stringify({ type: 'ADDED', object: df('a', '5') }) + '\n' +
      JSON.stringify({ type: 'MODIFIED', object: df('a', '6', 'Suspended') }) + '\n\n' +
      JSON.stringify({ type: 'DELETED', object: df('a', '7') }) + '\n';
    for (let cut = 1; cut < text.length; cut += 7) {
      const parser = new NdjsonParser<Dataflow>();
      const events = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut)), ...parser.end()];
      expect(events.map((e) => [e.type, e.object.metadata.resourceVersion])).toEqual([
        ['ADDED', '5'],
        ['MODIFIED', '6'],
        ['DELETED', '7'],
      ]);
    }
  });

  it('decodes a multi-byte character split between chunks', () => {
    const bytes = new TextEncoder().encode('{"type":"ADDED","object":{"metadata":{"name":"été"}}}\n');
    const splitter = new LineSplitter();
    const cut = bytes.indexOf(0xc3) + 1; // inside "é"
    const lines = [...splitter.push(bytes.slice(0, cut)), ...splitter.push(bytes.slice(cut)), ...splitter.end()];
    expect(JSON.parse(lines[0]).object.metadata.name).toBe('été');
  });

  it('takes a last line without a newline at the end, and skips bad lines', () => {
    const bad: string[] = [];
    const parser = new NdjsonParser<Dataflow>((line) => bad.push(line));
    expect(parser.push('not json\n{"type":"ADDED","object":{"metadata":{"name":"x"}}}')).toEqual([]);
    expect(parser.end()).toHaveLength(1);
    expect(bad).toEqual(['not json']);
  });
});

describe('listAndWatch', () => {
  afterEach(() => setFetch((...a) => globalThis.fetch(...a)));

  it('lists, watches, and reconnects from the last resourceVersion; lists again on 410', async () => {
    const controller = new AbortController();
    const watchRvs: string[] = [];
    let lists = 0;
    const { fetch } = fakeFetch([
      (call) => {
        const url = new URL(call.url, 'http://x');
        if (url.searchParams.get('watch') !== 'true') {
          lists++;
          return json({ metadata: { resourceVersion: lists === 1 ? '10' : '40' }, items: [df('a', '9')] });
        }
        const rv = url.searchParams.get('resourceVersion')!;
        watchRvs.push(rv);
        if (watchRvs.length === 1) {
          const line = JSON.stringify({ type: 'MODIFIED', object: df('a', '12') });
          // split in the middle of the line, then the stream ends (server restart)
          return stream([line.slice(0, 20), line.slice(20) + '\n' + JSON.stringify({ type: 'ADDED', object: df('b', '13') }).slice(0, 5)]);
        }
        if (watchRvs.length === 2) return status(410, 'Expired', 'too old resource version: 12 (30)');
        controller.abort();
        return stream([]);
      },
    ]);
    setFetch(fetch);
    const events: WatchEvent<Dataflow>[] = [];
    const listed: string[] = [];
    await listAndWatch<Dataflow>(
      '/api/v1/namespaces/default/dataflows',
      {
        onList: (_items, rv) => listed.push(rv),
        onEvent: (e) => events.push(e),
        onError: () => {},
      },
      { signal: controller.signal, sleep: async () => {} },
    );
    expect(watchRvs).toEqual(['10', '12', '40']);
    expect(listed).toEqual(['10', '40']);
    expect(events.map((e) => e.object.metadata.resourceVersion)).toEqual(['12']);
  });

  it('treats an ERROR event with code 410 as "list again"', async () => {
    const controller = new AbortController();
    let lists = 0;
    const { fetch } = fakeFetch([
      (call) => {
        if (!call.url.includes('watch=true')) {
          lists++;
          if (lists === 2) controller.abort();
          return json({ metadata: { resourceVersion: '1' }, items: [] });
        }
        return stream([JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, message: 'gone' } }) + '\n']);
      },
    ]);
    setFetch(fetch);
    await listAndWatch<Dataflow>('/api/v1/dataflows', { onList: () => {}, onEvent: () => {}, onError: () => {} }, {
      signal: controller.signal,
      sleep: async () => {},
    });
    expect(lists).toBe(2);
  });

  it('reports a 403 with the server message', async () => {
    const controller = new AbortController();
    const { fetch } = fakeFetch([() => status(403, 'Forbidden', 'dataflows is forbidden: User "ann" cannot list')]);
    setFetch(fetch);
    const errors: string[] = [];
    await listAndWatch<Dataflow>('/api/v1/dataflows', {
      onList: () => {},
      onEvent: () => {},
      onError: (e) => {
        errors.push(`${e.status} ${e.message}`);
        controller.abort();
      },
    }, { signal: controller.signal, sleep: async () => {} });
    expect(errors).toEqual(['403 dataflows is forbidden: User "ann" cannot list']);
  });
});
