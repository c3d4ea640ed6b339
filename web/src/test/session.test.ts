import { afterEach, describe, expect, it, vi } from 'vitest';
import { request, setCsrfToken, setFetch } from '../api/http';
import { applyBranding, describeLoginError, signInCode, signOut, startSession, type WindowLike } from '../api/session';
import { fakeFetch, json, status } from './fakeFetch';

const branding = { title: 'Acme Flows', faviconUrl: '/brand.ico', themeUrl: 'https://cdn.example.com/theme.css' };

function fakeWindow(path: string, search = '', hash = '') {
  const location = { pathname: path, search, hash, assign: vi.fn() };
  const history = {
    replaceState: vi.fn((_d: unknown, _u: string, url?: string) => {
      location.hash = '';
      location.search = url && url.includes('?') ? url.slice(url.indexOf('?')) : '';
    }),
  };
  return { location, history, document } satisfies WindowLike & { location: typeof location };
}

afterEach(() => {
  setFetch((...a) => globalThis.fetch(...a));
  setCsrfToken('');
});

describe('link sign-in', () => {
  it('removes the fragment before the request finishes and posts the code', async () => {
    const win = fakeWindow('/ui/dataflows', '', '#sign-in=abc123');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let signedIn = false;
    const { fetch, calls } = fakeFetch([
      async (call) => {
        if (call.url !== '/auth/session/sign-in') return undefined;
        // The address bar is clean while the request is still in flight.
        expect(win.history.replaceState).toHaveBeenCalledWith(null, '', '/ui/dataflows');
        expect(win.location.hash).toBe('');
        await gate;
        signedIn = true;
        return json({ authenticated: true });
      },
      (call) =>
        call.url === '/auth/session'
          ? json({ authenticated: signedIn, signIn: 'link', user: 'owner', csrfToken: 't0k', branding })
          : undefined,
    ]);
    setFetch(fetch);
    const started = startSession(win);
    await Promise.resolve();
    expect(win.history.replaceState).toHaveBeenCalledTimes(1);
    release();
    const state = await started;
    expect(state.kind).toBe('signed-in');
    const post = calls.find((c) => c.url === '/auth/session/sign-in')!;
    expect(post.method).toBe('POST');
    expect(JSON.parse(post.body!)).toEqual({ code: 'abc123' });
    expect(document.title).toBe('Acme Flows');
  });

  it('shows the server message on 401 and the waxctl hint', async () => {
    const win = fakeWindow('/ui/dataflows', '', '#sign-in=used');
    const { fetch } = fakeFetch([
      (c) => (c.url === '/auth/session/sign-in' ? status(401, 'Unauthorized', 'this sign-in link was used already or has ended') : undefined),
      (c) => (c.url === '/auth/session' ? json({ authenticated: false, signIn: 'link', branding }) : undefined),
    ]);
    setFetch(fetch);
    const state = await startSession(win);
    expect(state).toMatchObject({ kind: 'link-needed', message: 'this sign-in link was used already or has ended' });
    expect(win.location.assign).not.toHaveBeenCalled();
  });

  it('reads the code from the fragment', () => {
    expect(signInCode('#sign-in=x1')).toBe('x1');
    expect(signInCode('#other=1&sign-in=x2')).toBe('x2');
    expect(signInCode('')).toBeNull();
  });
});

describe('OpenID Connect sign-in', () => {
  it('sends the browser to /login with return_to', async () => {
    const win = fakeWindow('/ui/namespaces/team/dataflows/a', '?tab=logs');
    setFetch(fakeFetch([() => json({ authenticated: false, signIn: 'oidc', branding })]).fetch);
    const state = await startSession(win);
    expect(state.kind).toBe('redirecting');
    expect(win.location.assign).toHaveBeenCalledWith(
      '/login?return_to=' + encodeURIComponent('/ui/namespaces/team/dataflows/a?tab=logs'),
    );
  });

  it('shows a login error instead of redirecting again', async () => {
    const win = fakeWindow('/login', '?error=access_denied&error_description=User+cancelled');
    setFetch(fakeFetch([() => json({ authenticated: false, signIn: 'oidc', branding })]).fetch);
    const state = await startSession(win);
    expect(state).toMatchObject({ kind: 'login-error', error: 'access_denied', description: 'User cancelled' });
    expect(win.location.assign).not.toHaveBeenCalled();
    expect(describeLoginError('access_denied', 'User cancelled')).toBe('The sign-in was refused or cancelled. User cancelled');
  });

  it('signs out and follows the redirect', async () => {
    const { fetch, calls } = fakeFetch([() => json({ redirect: 'https://idp.example/logout?x=1' })]);
    setFetch(fetch);
    setCsrfToken('csrf-1');
    const win = fakeWindow('/ui/dataflows');
    await signOut(win);
    expect(calls[0]).toMatchObject({ url: '/auth/session/logout', method: 'POST' });
    expect(calls[0].headers['X-CSRF-Token']).toBe('csrf-1');
    expect(win.location.assign).toHaveBeenCalledWith('https://idp.example/logout?x=1');
  });

  it('/logout shows signed out', async () => {
    setFetch(fakeFetch([() => json({ authenticated: false, signIn: 'oidc', branding })]).fetch);
    const win = fakeWindow('/logout');
    expect((await startSession(win)).kind).toBe('signed-out');
    expect(win.location.assign).not.toHaveBeenCalled();
  });
});

describe('branding', () => {
  it('sets title, favicon and theme stylesheet once', () => {
    applyBranding(branding, document);
    applyBranding(branding, document);
    expect(document.title).toBe('Acme Flows');
    expect(document.querySelector<HTMLLinkElement>('link[rel~="icon"]')!.getAttribute('href')).toBe('/brand.ico');
    const themes = document.querySelectorAll('link[data-theme]');
    expect(themes).toHaveLength(1);
    expect(themes[0].getAttribute('href')).toBe('https://cdn.example.com/theme.css');
  });
});

describe('a 401 from the API', () => {
  it('is reported to the session', async () => {
    const { setUnauthorizedHandler } = await import('../api/http');
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    setFetch(fakeFetch([() => status(401, 'Unauthorized', 'the session has ended')]).fetch);
    await expect(request('/api/v1/namespaces')).rejects.toThrow('the session has ended');
    expect(handler).toHaveBeenCalledTimes(1);
    setUnauthorizedHandler(() => {});
  });
});
