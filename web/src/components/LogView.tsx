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

export function LogView(props: { namespace: string; name: string; processes: number }) {
  const [process, setProcess] = useState(0);
  const [follow, setFollow] = useState(true);
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const [streaming, setStreaming] = useState(false);
  const [generation, setGeneration] = useState(0);
  const pre = useRef<HTMLPreElement>(null);
  const stick = useRef(true);

  useEffect(() => {
    const controller = new AbortController();
    setText('');
    setError('');
    const url =
      `${dataflowUrl(props.namespace, props.name)}/log?process=${process}&tailLines=1000` +
      (follow ? '&follow=true' : '');
    (async () => {
      try {
        setStreaming(follow);
        const response = await request(url, { signal: controller.signal, headers: { Accept: 'text/plain' } });
        if (!response.body) {
          const all = await response.text();
          setText(appendCapped('', all));
          return;
        }
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          const piece = decoder.decode(value, { stream: true });
          if (piece) setText((t) => appendCapped(t, piece));
        }
      } catch (e) {
        if (!controller.signal.aborted) setError(errorMessage(e));
      } finally {
        if (!controller.signal.aborted) setStreaming(false);
      }
    })();
    return () => controller.abort();
  }, [props.namespace, props.name, process, follow, generation]);

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
        <span className="muted small">{streaming ? 'following…' : follow ? 'stream ended' : ''}</span>
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
