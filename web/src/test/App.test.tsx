import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';
import { setFetch } from '../api/http';
import { fakeFetch, json } from './fakeFetch';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
const branding = { title: 'Wax', faviconUrl: '', themeUrl: '' };

afterEach(() => setFetch((...a) => globalThis.fetch(...a)));

async function renderApp() {
  const { App } = await import('../App');
  const container = document.createElement('div');
  document.body.appendChild(container);
  const root = createRoot(container);
  await act(async () => root.render(<App />));
  await act(async () => { await new Promise((r) => setTimeout(r, 30)); });
  return { container, unmount: () => act(() => root.unmount()) };
}

describe('App', () => {
  it('signed in: header with the user, sign-out button, dataflows page', async () => {
    window.history.replaceState(null, '', '/ui');
    setFetch(fakeFetch([
      (c) => (c.url === '/auth/session' ? json({ authenticated: true, signIn: 'link', user: 'owner', csrfToken: 'x', branding }) : undefined),
      (c) => (c.url === '/api/v1/namespaces' ? json({ items: [{ metadata: { name: 'team' } }] }) : undefined),
      (c) => (c.url.includes('watch=true') ? new Response(new ReadableStream()) : json({ metadata: { resourceVersion: '1' }, items: [] })),
    ]).fetch);
    const { container, unmount } = await renderApp();
    expect(container.querySelector('[data-testid="user-name"]')!.textContent).toBe('owner');
    expect(container.querySelector('[data-testid="logout-button"]')).not.toBeNull();
    expect(window.location.pathname).toBe('/ui/dataflows');
    const options = [...container.querySelectorAll('[data-testid="namespace-select"] option')].map((o) => o.textContent);
    // Only what the server lists: a user limited to "team" is not offered "default".
    expect(options).toEqual(['all namespaces', 'team']);
    unmount();
  });
});
