import type { ChosenFile, EmilyBridge } from '../../../electron/api/bridge.js';
import type { ApiEvent, ApiResult } from '../../../electron/api/contract/index.js';

type Listener<T> = (v: T) => void;

/** Browser mode: calls as POST /api/<method>, events over /api/events (reconnecting). */
export function createHttpBridge(base = ''): EmilyBridge {
  const eventListeners = new Set<Listener<ApiEvent>>();
  const connListeners = new Set<Listener<'open' | 'lost'>>();
  let state: 'open' | 'lost' = 'open';
  const setState = (s: 'open' | 'lost') => {
    if (s === state) return;
    state = s;
    for (const l of connListeners) l(s);
  };

  let retry = 500;
  const connect = () => {
    const url = new URL('api/events', base ? new URL(base, location.href) : location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.search = '';
    const ws = new WebSocket(url);
    ws.onopen = () => {
      retry = 500;
      setState('open');
    };
    ws.onmessage = (m) => {
      const event = JSON.parse(String(m.data)) as ApiEvent | { name: 'hello' };
      if (event.name === 'hello') return;
      for (const l of eventListeners) l(event as ApiEvent);
    };
    ws.onclose = () => {
      setState('lost');
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10_000);
    };
  };
  connect();

  const call: EmilyBridge['call'] = async (method, input) => {
    try {
      const res = await fetch(`${base}/api/${method}`, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input ?? {}) });
      const text = await res.text();
      try {
        return JSON.parse(text) as ApiResult<never>;
      } catch {
        return { ok: false, error: { code: 'INTERNAL', message: `Emily answered ${res.status} without a readable body; reload the page` } };
      }
    } catch {
      setState('lost');
      return { ok: false, error: { code: 'CLUSTER_UNAVAILABLE', message: 'cannot reach Emily: is "emily serve" (or npm start) still running? Start it again, then retry' } };
    }
  };

  return {
    transport: 'http',
    call,
    onEvent: (l) => (eventListeners.add(l), () => void eventListeners.delete(l)),
    onConnection: (l) => (connListeners.add(l), () => void connListeners.delete(l)),
    files: {
      chooseOpen: (opts) => pickAndUpload(base, opts.kind === 'dump' ? '.dump,.sql,.pgdump,.backup,application/octet-stream' : '.json,.jsonl,.zip'),
      chooseSave: async (opts) => {
        const r = await call('files.exportTarget', { suggestedName: opts.suggestedName });
        if (!r.ok) throw new Error(r.error.message);
        return r.value;
      },
      deliver: async (f: ChosenFile) => {
        const a = document.createElement('a');
        a.href = `${base}/files/${encodeURIComponent(f.file)}`;
        a.download = f.name;
        document.body.append(a);
        a.click();
        a.remove();
      },
    },
  };
}

function pickAndUpload(base: string, accept: string): Promise<ChosenFile | null> {
  return new Promise((resolve, reject) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = accept;
    input.onchange = async () => {
      const f = input.files?.[0];
      if (!f) return resolve(null);
      try {
        const res = await fetch(`${base}/files?name=${encodeURIComponent(f.name)}`, { method: 'PUT', credentials: 'same-origin', headers: { 'content-type': 'application/octet-stream' }, body: f });
        const body = (await res.json()) as ApiResult<ChosenFile>;
        if (!body.ok) return reject(new Error(body.error.message));
        resolve(body.value);
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    };
    input.oncancel = () => resolve(null);
    input.click();
  });
}
