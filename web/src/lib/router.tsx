// A router of a few lines over the History API: the server answers index.html for every page.

import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';

const EVENT = 'wax:navigate';

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(EVENT));
}

export type Location = { pathname: string; search: string };

export function useLocation(): Location {
  const read = () => ({ pathname: window.location.pathname, search: window.location.search });
  const [location, setLocation] = useState<Location>(read);
  useEffect(() => {
    const update = () => setLocation(read());
    window.addEventListener('popstate', update);
    window.addEventListener(EVENT, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(EVENT, update);
    };
  }, []);
  return location;
}

export type Route =
  | { page: 'dataflows' }
  | { page: 'dataflow'; namespace: string; name: string }
  | { page: 'deploy' }
  | { page: 'secrets' }
  | { page: 'not-found' };

export function matchRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/' || path === '/ui' || path === '/ui/dataflows' || path === '/login') {
    return { page: 'dataflows' };
  }
  const dataflow = /^\/ui\/namespaces\/([^/]+)\/dataflows\/([^/]+)$/.exec(path);
  if (dataflow) {
    return {
      page: 'dataflow',
      namespace: decodeURIComponent(dataflow[1]),
      name: decodeURIComponent(dataflow[2]),
    };
  }
  if (path === '/ui/deploy') return { page: 'deploy' };
  if (path === '/ui/secrets') return { page: 'secrets' };
  return { page: 'not-found' };
}

export function dataflowPath(namespace: string, name: string): string {
  return `/ui/namespaces/${encodeURIComponent(namespace)}/dataflows/${encodeURIComponent(name)}`;
}

export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const { href, onClick, ...rest } = props;
  const click = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    ) {
      return;
    }
    event.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={click} {...rest} />;
}
