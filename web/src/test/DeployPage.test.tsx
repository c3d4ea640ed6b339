import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setFetch } from '../api/http';
import { DeployPage } from '../pages/DeployPage';
import { fakeFetch, json, status, type Call } from './fakeFetch';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let root: Root;
let container: HTMLDivElement;
beforeEach(() => {
  window.history.replaceState(null, '', '/ui/deploy');
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
const q = (id: string) => container.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const click = (id: string) => act(async () => { q(id)!.click(); });

const ITEM = '/api/v1/namespaces/default/dataflows/ticker';
const stored = { metadata: { name: 'ticker', namespace: 'default', resourceVersion: '7' }, spec: {} };

// The API with or without a dataflow default/ticker; every call is recorded.
function api(exists: boolean) {
  return fakeFetch([
    (c) => (c.url === '/api/v1/namespaces' ? json({ items: [{ metadata: { name: 'default' } }] }) : undefined),
    (c) => (c.url === ITEM && c.method === 'GET' ? (exists ? json(stored) : status(404, 'NotFound', 'dataflows "ticker" not found')) : undefined),
    (c) => (c.method !== 'GET' ? json({}) : undefined),
  ]);
}
const changes = (calls: Call[]) => calls.filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.url}`);

async function chooseFile() {
  const input = q('deploy-file') as HTMLInputElement;
  const file = new File(['print("tick")\n'], 'ticker.py', { type: 'text/x-python' });
  // jsdom's File has no text().
  Object.defineProperty(file, 'text', { value: async () => 'print("tick")\n' });
  Object.defineProperty(input, 'files', { value: [file], configurable: true });
  await act(async () => { input.dispatchEvent(new Event('change', { bubbles: true })); });
}

async function submitForm() {
  await act(async () => { (q('deploy-form') as HTMLFormElement).requestSubmit(); });
  await flush();
}

describe('the Upload form', () => {
  it('creates a dataflow whose name is free without asking', async () => {
    const { fetch, calls } = api(false);
    setFetch(fetch);
    await act(async () => root.render(<DeployPage namespace="default" />));
    await chooseFile();
    await submitForm();
    expect(q('deploy-error')?.textContent ?? '').toBe('');
    expect(q('deploy-replace-dialog')).toBeNull();
    expect(calls.some((c) => c.method === 'GET' && c.url === ITEM)).toBe(true);
    expect(changes(calls)).toEqual(['POST /dataflows']);
    expect(window.location.pathname).toBe('/ui/namespaces/default/dataflows/ticker');
  });

  it('asks before replacing an existing dataflow; Cancel sends nothing', async () => {
    const { fetch, calls } = api(true);
    setFetch(fetch);
    await act(async () => root.render(<DeployPage namespace="default" />));
    await chooseFile();
    await submitForm();
    expect(q('deploy-replace-dialog')!.textContent).toContain(
      'Dataflow default/ticker already exists. Replace its code and spec?',
    );
    expect(changes(calls)).toEqual([]);
    await click('deploy-replace-cancel');
    await flush();
    expect(q('deploy-replace-dialog')).toBeNull();
    expect(changes(calls)).toEqual([]);
    expect(window.location.pathname).toBe('/ui/deploy');
  });

  it('replaces it once confirmed', async () => {
    const { fetch, calls } = api(true);
    setFetch(fetch);
    await act(async () => root.render(<DeployPage namespace="default" />));
    await chooseFile();
    await submitForm();
    await click('deploy-replace-confirm');
    await flush();
    expect(changes(calls)).toEqual(['POST /dataflows']);
    expect(JSON.parse(calls.find((c) => c.method === 'POST')!.body!)).toMatchObject({ name: 'ticker', namespace: 'default' });
    expect(window.location.pathname).toBe('/ui/namespaces/default/dataflows/ticker');
  });
});

const MANIFEST = `apiVersion: bytewax.io/v1alpha1
kind: Dataflow
metadata:
  name: ticker
  namespace: default
spec:
  pythonFileName: ticker.py
`;

async function applyManifest(text: string) {
  await click('deploy-tab-manifest');
  const editor = q('manifest-editor') as HTMLTextAreaElement;
  await act(async () => {
    const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!;
    setter.call(editor, text);
    editor.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await click('manifest-submit');
  await flush();
}

describe('the Manifest tab', () => {
  it('creates with POST when the name is free (a 409 is not turned into a PUT)', async () => {
    const { fetch, calls } = api(false);
    setFetch(fetch);
    await act(async () => root.render(<DeployPage namespace="default" />));
    await applyManifest(MANIFEST);
    expect(q('deploy-replace-dialog')).toBeNull();
    expect(changes(calls)).toEqual(['POST /api/v1/namespaces/default/dataflows']);
  });

  it('asks before replacing; PUTs at the current resourceVersion once confirmed', async () => {
    const { fetch, calls } = api(true);
    setFetch(fetch);
    await act(async () => root.render(<DeployPage namespace="default" />));
    await applyManifest(MANIFEST);
    expect(q('deploy-replace-dialog')!.textContent).toContain('Dataflow default/ticker already exists. Replace its code and spec?');
    expect(changes(calls)).toEqual([]);
    await click('deploy-replace-confirm');
    await flush();
    expect(changes(calls)).toEqual([`PUT ${ITEM}`]);
    expect(JSON.parse(calls.find((c) => c.method === 'PUT')!.body!).metadata.resourceVersion).toBe('7');
  });

  it('shows a parse error for an alias bomb instead of doing nothing', async () => {
    const { fetch, calls } = api(false);
    setFetch(fetch);
    await act(async () => root.render(<DeployPage namespace="default" />));
    const bomb = [
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
      '',
    ].join('\n');
    await applyManifest(bomb);
    expect(q('manifest-problems')!.textContent).toMatch(/too many aliases/);
    expect(calls.filter((c) => c.url.includes('/dataflows'))).toEqual([]);
  });
});
