import { useCallback, useEffect, useState } from 'react';
import { setUnauthorizedHandler } from './api/http';
import { describeLoginError, loginUrl, startSession, type SignInState } from './api/session';
import type { SessionInfo } from './api/types';
import { Header } from './components/Header';
import { matchRoute, navigate, useLocation } from './lib/router';
import { DataflowPage } from './pages/DataflowPage';
import { DataflowsPage } from './pages/DataflowsPage';
import { DeployPage } from './pages/DeployPage';
import { SecretsPage } from './pages/SecretsPage';

// Started once per page load (StrictMode runs effects twice; a link's code is used once).
let starting: Promise<SignInState> | null = null;
function startOnce(): Promise<SignInState> {
  starting ??= startSession(window);
  return starting;
}

const NAMESPACE_KEY = 'wax.namespace';

function storedNamespace(): string {
  try {
    return window.localStorage.getItem(NAMESPACE_KEY) ?? '';
  } catch {
    return '';
  }
}

export function App() {
  const [state, setState] = useState<SignInState | null>(null);

  useEffect(() => {
    let live = true;
    startOnce().then((s) => live && setState(s));
    return () => {
      live = false;
    };
  }, []);

  // A 401 from any call: the session ended. Read it again; sign in again.
  useEffect(() => {
    setUnauthorizedHandler(() => {
      starting = null;
      startOnce().then(setState);
    });
  }, []);

  if (state === null || state.kind === 'redirecting') {
    return <div className="center muted" data-testid="loading">Loading…</div>;
  }
  switch (state.kind) {
    case 'failed':
      return (
        <SignInFrame title="Wax">
          <p className="error" role="alert">{withCode(state.message)}</p>
          <button onClick={() => window.location.reload()}>Try again</button>
        </SignInFrame>
      );
    case 'signed-out':
      return (
        <SignInFrame title={state.session?.branding.title ?? 'Wax'}>
          <p data-testid="signed-out">You are signed out.</p>
          {state.session?.signIn === 'link' ? (
            <p>Run <code>waxctl local dashboard</code> to get a sign-in link.</p>
          ) : (
            <a className="button" href={loginUrl('/ui/dataflows', '')} data-testid="sign-in">
              Sign in
            </a>
          )}
        </SignInFrame>
      );
    case 'login-error':
      return (
        <SignInFrame title={state.session?.branding.title ?? 'Wax'}>
          <p className="error" role="alert" data-testid="login-error">
            {withCode(describeLoginError(state.error, state.description))}
          </p>
          {state.session?.signIn === 'link' ? (
            <p>Run <code>waxctl local dashboard</code> to get a sign-in link.</p>
          ) : (
            <button
              data-testid="sign-in-again"
              onClick={() => window.location.assign(loginUrl('/ui/dataflows', ''))}
            >
              Sign in again
            </button>
          )}
        </SignInFrame>
      );
    case 'link-needed':
      return (
        <SignInFrame title={state.session.branding.title}>
          {state.message && (
            <p className="error" role="alert" data-testid="sign-in-error">
              {withCode(withoutLinkHint(state.message) || state.message)}
            </p>
          )}
          <p data-testid="link-needed">
            Run <code>waxctl local dashboard</code> to get a sign-in link.
          </p>
        </SignInFrame>
      );
    case 'signed-in':
      return <SignedIn session={state.session} />;
  }
}

// The server's words for a refused link end with what the page says below them anyway ("run
// `waxctl local dashboard` for a new one"): that part is dropped, and `code` spans are shown as code.
export function withoutLinkHint(message: string): string {
  const head = message.replace(/[;,.]?\s*run `?waxctl local dashboard`?[^;.]*\.?\s*$/i, '').trim();
  if (head === '') return '';
  return head[0].toUpperCase() + head.slice(1) + (/[.!?]$/.test(head) ? '' : '.');
}

export function withCode(text: string): React.ReactNode[] {
  return text.split(/`([^`]+)`/).map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part));
}

function SignInFrame(props: { title: string; children: React.ReactNode }) {
  return (
    <div className="signin">
      <div className="card">
        <h1>{props.title || 'Wax'}</h1>
        {props.children}
      </div>
    </div>
  );
}

function SignedIn({ session }: { session: SessionInfo }) {
  const location = useLocation();
  const [namespace, setNamespaceState] = useState(storedNamespace);
  const setNamespace = useCallback((ns: string) => {
    setNamespaceState(ns);
    try {
      window.localStorage.setItem(NAMESPACE_KEY, ns);
    } catch {
      // private mode: not remembered
    }
  }, []);

  useEffect(() => {
    const p = location.pathname.replace(/\/+$/, '') || '/';
    if (p === '/' || p === '/ui' || p === '/login') {
      navigate('/ui/dataflows' + (p === '/login' ? '' : location.search), { replace: true });
    }
  }, [location.pathname, location.search]);

  const route = matchRoute(location.pathname);
  let page: React.ReactNode;
  switch (route.page) {
    case 'dataflows':
      page = <DataflowsPage namespace={namespace} onNamespace={setNamespace} />;
      break;
    case 'dataflow':
      page = <DataflowPage key={`${route.namespace}/${route.name}`} namespace={route.namespace} name={route.name} />;
      break;
    case 'deploy':
      page = <DeployPage namespace={namespace} />;
      break;
    case 'secrets':
      page = <SecretsPage namespace={namespace} setNamespace={setNamespace} />;
      break;
    default:
      page = (
        <div className="panel">
          <h2>Page not found</h2>
          <p>
            There is no page at <code>{location.pathname}</code>.{' '}
            <a href="/ui/dataflows" onClick={(e) => { e.preventDefault(); navigate('/ui/dataflows'); }}>
              Go to the dataflows
            </a>
            .
          </p>
        </div>
      );
  }
  return (
    <>
      <Header session={session} namespace={namespace} setNamespace={setNamespace} route={route.page} />
      <main>{page}</main>
    </>
  );
}
