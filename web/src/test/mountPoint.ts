// A React root in a fresh <div> for each test of a file, unmounted after it, with the real
// fetch put back: `const mount = mountPoint();` then `mount.root.render(...)`.
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach } from 'vitest';
import { setFetch } from '../api/http';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

export function mountPoint(): { root: Root; container: HTMLDivElement } {
  const mount = {} as { root: Root; container: HTMLDivElement };
  beforeEach(() => {
    mount.container = document.createElement('div');
    document.body.appendChild(mount.container);
    mount.root = createRoot(mount.container);
  });
  afterEach(() => {
    act(() => mount.root.unmount());
    mount.container.remove();
    setFetch((...a) => globalThis.fetch(...a));
  });
  return mount;
}
