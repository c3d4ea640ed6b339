import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setFetch } from '../api/http';
import type { Dataflow } from '../api/types';
import { DataflowsPage } from '../pages/DataflowsPage';
import { fakeFetch, json, status } from './fakeFetch';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const df = (name: string, rv: string, phase: string): Dataflow => ({
  metadata: { name, namespace: 'default', resourceVersion: rv, creationTimestamp: new Date().toISOString() },
  spec: { image: { repository: 'bytewax/bytewax', tag: '0.21.1' }, pythonFileName: `${name}.py`, processesCount: 2 },
  status: { phase, processesReady: 2, processesDesired: 2 },
});

// A watch stream that stays open; push() sends an event line.
function openStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  return {
    response: new Response(body),
    push: (event: unknown) => controller.enqueue(new TextEncoder().encode(JSON.stringify(event) + '\n')),
  };
}

let root: Root;
let container: HTMLDivElement;
beforeEach(() => {
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
});
afterEach(() => {
  act(() => root.unmount());
  container.remove();
  setFetch((...a) => globalThis.fetch(...a));
});

const flush = () => act(async () => { await new Promise((r) => setTimeout(r, 20)); });

describe('DataflowsPage', () => {
  it('lists the dataflows and follows the watch', async () => {
    const watch = openStream();
    const { fetch, calls } = fakeFetch([
      (c) => (c.url.includes('watch=true') ? watch.response : undefined),
      (c) => (c.url === '/api/v1/namespaces/default/dataflows' ? json({ metadata: { resourceVersion: '7' }, items: [df('flow-a', '5', 'Running')] }) : undefined),
    ]);
    setFetch(fetch);
    await act(async () => root.render(<DataflowsPage namespace="default" />));
    await flush();
    const row = container.querySelector('[data-testid="row-default-flow-a"]');
    expect(row).not.toBeNull();
    expect(container.querySelector('[data-testid="phase-default-flow-a"]')!.textContent).toContain('Running');
    expect(row!.textContent).toContain('2/2');
    expect(calls.some((c) => c.url.includes('watch=true&resourceVersion=7'))).toBe(true);

    await act(async () => watch.push({ type: 'MODIFIED', object: df('flow-a', '8', 'Suspended') }));
    await act(async () => watch.push({ type: 'ADDED', object: df('flow-b', '9', 'Pending') }));
    await flush();
    expect(container.querySelector('[data-testid="phase-default-flow-a"]')!.textContent).toContain('Suspended');
    expect(container.querySelector('[data-testid="row-default-flow-b"]')).not.toBeNull();

    await act(async () => watch.push({ type: 'DELETED', object: df('flow-a', '10', 'Suspended') }));
    await flush();
    expect(container.querySelector('[data-testid="row-default-flow-a"]')).toBeNull();
  });

  it('says what to do when the list is forbidden', async () => {
    setFetch(fakeFetch([() => status(403, 'Forbidden', 'dataflows.bytewax.io is forbidden: User "ann" cannot list resource "dataflows" in the namespace "team"')]).fetch);
    await act(async () => root.render(<DataflowsPage namespace="team" />));
    await flush();
    const error = container.querySelector('[data-testid="list-error"]')!;
    expect(error.textContent).toContain('User "ann" cannot list');
    expect(error.textContent).toContain('Choose another namespace');
  });

  it('moves a user who may not list every namespace to the first one they may', async () => {
    setFetch(
      fakeFetch([
        (c) =>
          c.url.includes('/api/v1/namespaces') && !c.url.includes('/dataflows')
            ? json({ items: [{ metadata: { name: 'team-a' } }] })
            : status(403, 'Forbidden', 'cannot list resource "dataflows" at the cluster scope'),
      ]).fetch,
    );
    const chosen: string[] = [];
    await act(async () =>
      root.render(<DataflowsPage namespace="" onNamespace={(ns) => chosen.push(ns)} />),
    );
    await flush();
    await flush();
    expect(chosen).toEqual(['team-a']);
  });

  it('says how to deploy when the list is empty', async () => {
    const watch = openStream();
    setFetch(fakeFetch([(c) => (c.url.includes('watch=true') ? watch.response : json({ metadata: { resourceVersion: '1' }, items: [] }))]).fetch);
    await act(async () => root.render(<DataflowsPage namespace="" />));
    await flush();
    expect(container.querySelector('[data-testid="list-empty"]')!.textContent).toContain('No dataflows in any namespace');
  });
});
