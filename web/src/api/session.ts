// Signing in: read the session, sign in with a one-time link's code, or send the browser to the
// provider; sign out. Pure of React so that tests drive it with a fake window.

import { ApiError, getJson, sendJson, setCsrfToken } from './http';
import type { Branding, SessionInfo } from './types';

export type SignInState =
  | { kind: 'signed-in'; session: SessionInfo }
  | { kind: 'redirecting' } // to the provider
  | { kind: 'link-needed'; session: SessionInfo; message?: string }
  | { kind: 'login-error'; session: SessionInfo | null; error: string; description: string }
  | { kind: 'signed-out'; session: SessionInfo | null }
  | { kind: 'failed'; message: string };

export type WindowLike = {
  location: { pathname: string; search: string; hash: string; assign(url: string): void };
  history: { replaceState(data: unknown, unused: string, url?: string): void };
  document: Document;
};

export function fetchSession(): Promise<SessionInfo> {
  return getJson<SessionInfo>('/auth/session', { quiet401: true });
}

export function loginUrl(pathname: string, search: string): string {
  let returnTo = pathname + search;
  if (pathname === '/login' || pathname === '/logout') {
    returnTo = '/ui/dataflows';
  }
  return `/login?return_to=${encodeURIComponent(returnTo)}`;
}

// The code of a one-time link in a fragment "#sign-in=CODE" (other fragment parts kept aside).
export function signInCode(hash: string): string | null {
  const fragment = hash.startsWith('#') ? hash.slice(1) : hash;
  const params = new URLSearchParams(fragment);
  const code = params.get('sign-in');
  return code && code.trim() !== '' ? code.trim() : null;
}

export function applyBranding(branding: Branding | undefined, doc: Document): void {
  if (!branding) return;
  if (branding.title) doc.title = branding.title;
  if (branding.faviconUrl) {
    let link = doc.querySelector<HTMLLinkElement>('link[rel~="icon"]');
    if (!link) {
      link = doc.createElement('link');
      link.rel = 'icon';
      doc.head.appendChild(link);
    }
    link.removeAttribute('type');
    link.href = branding.faviconUrl;
  }
  if (branding.themeUrl && branding.themeUrl !== '/') {
    const existing = doc.querySelector<HTMLLinkElement>('link[data-theme]');
    if (!existing || existing.getAttribute('href') !== branding.themeUrl) {
      existing?.remove();
      const link = doc.createElement('link');
      link.rel = 'stylesheet';
      link.href = branding.themeUrl;
      link.setAttribute('data-theme', '');
      doc.head.appendChild(link); // after the page's own styles, so it wins
    }
  }
}

// Decides what the page shows at start (and after a 401): signs in with a link's code when the
// address has one, sends the browser to the provider when it has to.
export async function startSession(win: WindowLike): Promise<SignInState> {
  const { pathname, search, hash } = win.location;
  const params = new URLSearchParams(search);
  const code = signInCode(hash);
  let signInMessage: string | undefined;
  if (code) {
    // Out of the address bar (and history) before anything else can read or keep it.
    win.history.replaceState(null, '', pathname + search);
    try {
      await sendJson('POST', '/auth/session/sign-in', { code }, { quiet401: true });
    } catch (error) {
      signInMessage =
        error instanceof ApiError ? error.message : 'Signing in failed; try the link again';
    }
  }
  let session: SessionInfo;
  try {
    session = await fetchSession();
  } catch (error) {
    return {
      kind: 'failed',
      message: error instanceof Error ? error.message : 'The session could not be read',
    };
  }
  applyBranding(session.branding, win.document);
  setCsrfToken(session.csrfToken);
  if (pathname === '/logout') {
    return { kind: 'signed-out', session };
  }
  if (pathname === '/login' && params.has('error')) {
    return {
      kind: 'login-error',
      session,
      error: params.get('error') ?? '',
      description: params.get('error_description') ?? '',
    };
  }
  if (session.authenticated) {
    return { kind: 'signed-in', session };
  }
  if (session.signIn === 'oidc') {
    win.location.assign(loginUrl(pathname, search));
    return { kind: 'redirecting' };
  }
  return { kind: 'link-needed', session, message: signInMessage };
}

export async function signOut(win: Pick<WindowLike, 'location'>): Promise<void> {
  const answer = await sendJson<{ redirect?: string }>('POST', '/auth/session/logout', {});
  win.location.assign(answer && typeof answer === 'object' && answer.redirect ? answer.redirect : '/logout');
}

// Human words for the provider's error codes (RFC 6749 section 4.1.2.1, and the server's own).
export function describeLoginError(error: string, description: string): string {
  const known: Record<string, string> = {
    access_denied: 'The sign-in was refused or cancelled.',
    login_required: 'The provider needs you to sign in.',
    consent_required: 'The provider needs your consent first.',
    interaction_required: 'The provider needs you to act in its page.',
    invalid_request: 'The provider refused the sign-in request.',
    unauthorized_client: 'This dashboard may not sign in with the provider.',
    server_error: 'The provider failed.',
    temporarily_unavailable: 'The provider is unavailable for now.',
    sign_in_failed: 'The sign-in could not be completed.',
  };
  const head = known[error] ?? `Signing in failed (${error || 'unknown error'}).`;
  return description ? `${head} ${description}` : head;
}
