import { useEffect, useState } from 'react';
import { listNamespaces } from '../api/client';
import { errorMessage } from '../api/http';
import { signOut } from '../api/session';
import type { SessionInfo } from '../api/types';
import { Link } from '../lib/router';

export const ALL_NAMESPACES = '';

// The namespaces to offer: those the server lists (only those the user may use), and the one
// chosen; "default" when the server knows none yet, so that a first deploy has somewhere to go.
export function useNamespaces(current: string): string[] {
  const [names, setNames] = useState<string[]>([]);
  useEffect(() => {
    let live = true;
    listNamespaces()
      .then((list) => live && setNames(list))
      .catch(() => live && setNames([]));
    return () => {
      live = false;
    };
  }, []);
  const all = new Set(names.length > 0 ? names : ['default']);
  if (current) all.add(current);
  return [...all].sort();
}

export function NamespaceSelect(props: {
  value: string;
  onChange: (ns: string) => void;
  allowAll?: boolean;
  testId?: string;
}) {
  const names = useNamespaces(props.value);
  return (
    <select
      aria-label="Namespace"
      data-testid={props.testId ?? 'namespace-select'}
      value={props.value}
      onChange={(e) => props.onChange(e.target.value)}
    >
      {props.allowAll !== false && <option value={ALL_NAMESPACES}>all namespaces</option>}
      {names.map((ns) => (
        <option key={ns} value={ns}>
          {ns}
        </option>
      ))}
    </select>
  );
}

export function Header(props: {
  session: SessionInfo;
  namespace: string;
  setNamespace: (ns: string) => void;
  route: string;
}) {
  const [error, setError] = useState('');
  const logout = async () => {
    setError('');
    try {
      await signOut(window);
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const nav = (href: string, label: string, page: string) => (
    <Link href={href} className={props.route === page ? 'active' : ''} data-testid={`nav-${page}`}>
      {label}
    </Link>
  );
  return (
    <header className="top">
      <Link href="/ui/dataflows" className="brand" data-testid="brand-title">
        {props.session.branding.title || 'Wax'}
      </Link>
      <nav>
        {nav('/ui/dataflows', 'Dataflows', 'dataflows')}
        {nav('/ui/deploy', 'Deploy', 'deploy')}
        {nav('/ui/secrets', 'Secrets', 'secrets')}
      </nav>
      <div className="spacer" />
      <label className="inline">
        <span className="muted">Namespace</span>
        <NamespaceSelect value={props.namespace} onChange={props.setNamespace} />
      </label>
      <span className="user" data-testid="user-name" title={(props.session.groups ?? []).join(', ')}>
        {props.session.user ?? ''}
      </span>
      <button className="secondary" onClick={logout} data-testid="logout-button">
        Sign out
      </button>
      {error && (
        <span className="error" role="alert">
          {error}
        </span>
      )}
    </header>
  );
}
