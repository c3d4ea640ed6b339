import { act } from 'react';
import { describe, expect, it } from 'vitest';
import { setFetch } from '../api/http';
import { LogView, overlapLength, RESTART_LINE } from '../components/LogView';
import { fakeFetch, stream } from './fakeFetch';
import { mountPoint } from './mountPoint';

const mount = mountPoint();

// In steps: an act() flushes React's work only as it ends.
const wait = async (ms: number) => {
  for (let t = 0; t < ms; t += 10) await act(async () => { await new Promise((r) => setTimeout(r, 10)); });
};
const logText = () => mount.container.querySelector('[data-testid="log-view"]')!.textContent;

describe('overlapLength', () => {
  it('finds the lines a re-opened tail repeats', () => {
    expect(overlapLength('a\nb\nc\n', 'b\nc\nd\n')).toBe(4);
    expect(overlapLength('a\nb\nc\n', 'x\n')).toBe(0);
    expect(overlapLength('a\nb\nc\n', 'b\n')).toBeNull(); // more may come
    expect(overlapLength('', 'x\n')).toBe(0);
  });
});

describe('LogView, followed across a stop and start', () => {
  // Run 1 ends (Stop); the file goes on with run 2, and its tail repeats the end of run 1.
  const run1 = 'x\n[wax] process 0 started (pid 10)\ntick 1\ntick 2\n[wax] process 0 exited\n';
  const run2 = '[wax] process 0 started (pid 11)\ntick 1 again\n';

  function api() {
    let opened = 0;
    const { fetch, calls } = fakeFetch([
      (c) => {
        if (!c.url.includes('/log?')) return undefined;
        opened += 1;
        if (opened === 1) return stream([run1.slice(0, 20), run1.slice(20)]);
        if (opened === 2) return stream([run1.slice(2)]); // stopped still: nothing new
        return stream([run1.slice(2, 30), run1.slice(30) + run2]);
      },
    ]);
    return { fetch, calls, opened: () => opened };
  }

  it('re-opens the stream while the dataflow runs and marks the new run', async () => {
    const { fetch, opened } = api();
    setFetch(fetch);
    await act(async () => mount.root.render(<LogView namespace="default" name="ticker" processes={1} phase="Running" reopenMs={30} />));
    await wait(20);
    expect(logText()).toBe(run1);
    await wait(150);
    expect(opened()).toBeGreaterThanOrEqual(3);
    const text = logText()!;
    expect(text).toBe(`${run1}${RESTART_LINE}\n${run2}`);
    expect(text.split('tick 2').length).toBe(2); // the old run's lines are not repeated
  });

  it('does not re-open while the dataflow is suspended, but does once it runs again', async () => {
    const { fetch, opened } = api();
    setFetch(fetch);
    await act(async () => mount.root.render(<LogView namespace="default" name="ticker" processes={1} phase="Suspended" suspended reopenMs={30} />));
    await wait(120);
    expect(opened()).toBe(1);
    expect(mount.container.textContent).toContain('stream ended');
    await act(async () => mount.root.render(<LogView namespace="default" name="ticker" processes={1} phase="Pending" reopenMs={30} />));
    await wait(150);
    expect(opened()).toBeGreaterThanOrEqual(2);
  });
});
