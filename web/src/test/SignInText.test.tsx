import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';
import { setFetch } from '../api/http';
import { fakeFetch, json, status } from './fakeFetch';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
const branding = { title: 'Wax', faviconUrl: '', themeUrl: '' };

afterEach(() => setFetch((...a) => globalThis.fetch(...a)));

describe('a sign-in link used twice', () => {
  it('says so once, with the command as code and no backticks', async () => {
    window.history.replaceState(null, '', '/ui/dataflows#sign-in=used');
    setFetch(fakeFetch([
      // The server's words (src/dashboard/dashboard.cc).
      (c) => (c.url === '/auth/session/sign-in'
        ? status(401, 'Unauthorized', 'this sign-in link was used already or has ended; run `waxctl local dashboard` for a new one')
        : undefined),
      (c) => (c.url === '/auth/session' ? json({ authenticated: false, signIn: 'link', branding }) : undefined),
    ]).fetch);
    const { App } = await import('../App');
    const container = document.createElement('div');
    document.body.appendChild(container);
    const root = createRoot(container);
    await act(async () => root.render(<App />));
    await act(async () => { await new Promise((r) => setTimeout(r, 30)); });
    const error = container.querySelector('[data-testid="sign-in-error"]')!;
    expect(error.textContent).toMatch(/used already|ended/i);
    expect(container.querySelector('[data-testid="link-needed"]')).not.toBeNull();
    expect(container.textContent).not.toContain('`');
    expect(container.textContent!.split('waxctl local dashboard').length - 1).toBe(1);
    expect(container.querySelector('[data-testid="link-needed"] code')?.textContent).toBe('waxctl local dashboard');
    act(() => root.unmount());
  });
});
