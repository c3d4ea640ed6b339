import { useEffect, useRef, useState } from 'react';
import { dataflowUrl } from '../api/client';
import { errorMessage, request } from '../api/http';

export const MAX_LOG_CHARS = 512 * 1024;

// Appends text to a log buffer, dropping whole lines from the front past the cap.
export function appendCapped(buffer: string, text: string, cap: number = MAX_LOG_CHARS): string {
  const next = buffer + text;
  if (next.length <= cap) return next;
  const cut = next.length - cap;
  const newline = next.indexOf('\n', cut);
  return newline >= 0 ? next.slice(newline + 1) : next.slice(cut);
}

// The phases in which a dataflow's processes run or are about to: a followed log that ended then
// is re-opened, for the next run.
const ACTIVE_PHASES = new Set(['Pending', 'Starting', 'Running']);
export const RESTART_LINE = '— process restarted —';
export const REOPEN_MS = 3000;

// How many leading characters of `fresh` (the start of a re-opened log, which begins with the file's
// last lines) are already at the end of `old`: the longest suffix of `old` starting at a line
// start that `fresh` begins with. Null while `fresh` is itself all inside such a suffix (more of
// it may still come); 0 when nothing overlaps.
export function overlapLength(old: string, fresh: string): number | null {
  if (old === '' || fresh === '') return old === '' ? 0 : null;
  for (let p = 0; p < old.length; ) {
    const rest = old.length - p;
    if (old.charCodeAt(p) === fresh.charCodeAt(0)) {
      if (fresh.length >= rest) {
        if (fresh.startsWith(old.slice(p))) return rest;
      } else if (old.startsWith(fresh, p)) {
        return null;
      }
    }
    const newline = old.indexOf('\n', p);
    if (newline < 0) break;
    p = newline + 1;
  }
  return 0;
}

export function LogView(props: {
  namespace: string;
  name: string;
  processes: number;
  phase?: string;
  suspended?: boolean;
  reopenMs?: number;
}) {
  const [process, setProcess] = useState(0);
  const [follow, setFollow] = useState(true);
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const [streaming, setStreaming] = useState(false);
  const [generation, setGeneration] = useState(0);
  const [ended, setEnded] = useState(false); // a followed stream ended by itself
  const [reopened, setReopened] = useState(0);
  const pre = useRef<HTMLPreElement>(null);
  const stick = useRef(true);
  const received = useRef(''); // the server's text so far, without the lines the view adds
  const resume = useRef(false); // the next stream continues the text (a re-open), not a new view

  useEffect(() => {
    const controller = new AbortController();
    const continuing = resume.current;
    resume.current = false;
    if (!continuing) {
      received.current = '';
      setText('');
    }
    const before = received.current;
    setError('');
    setEnded(false);
    const url =
      `${dataflowUrl(props.namespace, props.name)}/log?process=${process}&tailLines=1000` +
      (follow ? '&follow=true' : '');
    // On a re-open, the lines the view has already are skipped, and the first new ones come after
    // a line that marks the new run.
    let pending = '';
    let decided = !continuing;
    let marked = !continuing;
    const add = (piece: string) => {
      if (!piece || controller.signal.aborted) return;
      received.current = appendCapped(received.current, piece);
      if (!marked) {
        marked = true;
        const gap = before === '' || before.endsWith('\n') ? '' : '\n';
        piece = `${gap}${RESTART_LINE}\n${piece}`;
      }
      setText((t) => appendCapped(t, piece));
    };
    const take = (piece: string) => {
      if (decided) return add(piece);
      pending += piece;
      const skip = overlapLength(before, pending);
      if (skip === null) return;
      decided = true;
      add(pending.slice(skip));
      pending = '';
    };
    (async () => {
      try {
        setStreaming(follow);
        const response = await request(url, { signal: controller.signal, headers: { Accept: 'text/plain' } });
        if (!response.body) {
          const all = await response.text();
          take(all);
        } else {
          const reader = response.body.getReader();
          const decoder = new TextDecoder();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            take(decoder.decode(value, { stream: true }));
          }
        }
        if (follow && !controller.signal.aborted) setEnded(true);
      } catch (e) {
        if (!controller.signal.aborted) setError(errorMessage(e));
      } finally {
        if (!controller.signal.aborted) setStreaming(false);
      }
    })();
    return () => controller.abort();
  }, [props.namespace, props.name, process, follow, generation, reopened]);

  // A followed stream ends when the processes stop. While the dataflow runs (or is about to) the
  // stream is opened again, every few seconds until it stays open: after Stop and Start, the log
  // goes on with the new run.
  const active = !props.suspended && ACTIVE_PHASES.has(props.phase ?? '');
  const reopenMs = props.reopenMs ?? REOPEN_MS;
  useEffect(() => {
    if (!ended || !follow || !active) return;
    const timer = setTimeout(() => {
      resume.current = true;
      setReopened((n) => n + 1);
    }, reopenMs);
    return () => clearTimeout(timer);
  }, [ended, follow, active, reopenMs, reopened, generation]);

  useEffect(() => {
    const el = pre.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [text]);

  const count = Math.max(1, props.processes);
  return (
    <div className="logs">
      <div className="toolbar">
        <label className="inline">
          Process{' '}
          <select value={process} onChange={(e) => setProcess(Number(e.target.value))} data-testid="log-process">
            {Array.from({ length: count }, (_, i) => (
              <option key={i} value={i}>
                {props.name}-{i}
              </option>
            ))}
          </select>
        </label>
        <label className="inline">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} data-testid="log-follow" /> Follow
        </label>
        <button className="secondary" onClick={() => setGeneration((g) => g + 1)} data-testid="log-reload">
          Reload
        </button>
        <span className="muted small" data-testid="log-state">
          {streaming ? 'following…' : follow ? (ended && active ? 'stream ended; waiting for the next run…' : 'stream ended') : ''}
        </span>
      </div>
      {error && <p className="error small" role="alert">{error}</p>}
      <pre
        ref={pre}
        className="log"
        data-testid="log-view"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 30;
        }}
      >
        {text || (error ? '' : 'No output yet.')}
      </pre>
    </div>
  );
}
