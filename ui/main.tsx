/**
 * The GraphiQL page served on GET /graphql (src/ui/graphiql.ts). Bundled offline by
 * scripts/build-ui.ts: queries go over HTTP POST and subscriptions over graphql-ws
 * (`graphql-transport-ws`), both to this server's own /graphql.
 */
import 'graphiql/style.css';
import './page.css';
import { createGraphiQLFetcher, type Fetcher, type Storage } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { createClient } from 'graphql-ws';
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { defaultTabs, SIMULATOR_NOTES, SIMULATOR_RULES } from './examples.js';
import { connectionParamsFrom, currentOperation } from './request.js';

/** Hashed worker file names, baked in by scripts/build-ui.ts. */
declare const __GRAPHIQL_WORKERS__: { editor: string; json: string; graphql: string };

/** Monaco asks for a worker per language; the workers are separate bundles next to this one. */
(globalThis as { MonacoEnvironment?: { getWorker(workerId: string, label: string): Worker } }).MonacoEnvironment = {
  getWorker(_workerId, label) {
    const file =
      label === 'json'
        ? __GRAPHIQL_WORKERS__.json
        : label === 'graphql'
          ? __GRAPHIQL_WORKERS__.graphql
          : __GRAPHIQL_WORKERS__.editor;
    return new Worker(new URL(file, import.meta.url), { name: `monaco-${label}` });
  },
};

const httpUrl = new URL('/graphql', window.location.href);
const wsUrl = new URL(httpUrl);
wsUrl.protocol = httpUrl.protocol === 'https:' ? 'wss:' : 'ws:';

/** The Headers pane as of the latest Run; the WebSocket connects (lazily) after it. */
let latestHeaders: Record<string, unknown> | undefined;

const toolkitFetcher = createGraphiQLFetcher({
  url: httpUrl.href,
  // The schema has no @defer/@stream: plain JSON responses.
  enableIncrementalDelivery: false,
  // Subscriptions: graphql-ws (`graphql-transport-ws`) on the same /graphql URL.
  wsClient: createClient({
    url: wsUrl.href,
    lazy: true,
    retryAttempts: 3,
    // A refused connection (4403: missing or wrong router secret) is answered at once, not retried.
    shouldRetry: (e) => !(typeof e === 'object' && e !== null && 'code' in e && e.code === 4403),
    connectionParams: () => connectionParamsFrom(latestHeaders),
  }),
});

const fetcher: Fetcher = (params, opts) => {
  latestHeaders = opts?.headers;
  const { operationName, documentAST } = currentOperation(params.query, params.operationName);
  return toolkitFetcher({ ...params, operationName }, { ...opts, ...(documentAST ? { documentAST } : {}) });
};

/**
 * GraphiQL keeps tabs in localStorage; a prefix of our own keeps them apart from other GraphiQLs
 * on the same origin, and bumping it shows changed examples to returning users.
 */
function prefixedStorage(prefix: string): Storage {
  const keys = () => Object.keys(window.localStorage).filter((k) => k.startsWith(prefix));
  return {
    getItem: (key) => window.localStorage.getItem(prefix + key),
    setItem: (key, value) => window.localStorage.setItem(prefix + key, value),
    removeItem: (key) => window.localStorage.removeItem(prefix + key),
    clear: () => keys().forEach((k) => window.localStorage.removeItem(k)),
    get length() {
      return keys().length;
    },
  };
}

type Mode = 'simulator' | 'live' | null;

function useServerMode(): Mode {
  const [mode, setMode] = useState<Mode>(null);
  useEffect(() => {
    fetch(new URL('/readyz', window.location.href), { headers: { accept: 'application/json' } })
      .then((res) => res.json() as Promise<{ mode?: unknown }>)
      .then((body) => setMode(body.mode === 'simulator' || body.mode === 'live' ? body.mode : null))
      .catch(() => setMode(null));
  }, []);
  return mode;
}

function Notice() {
  const mode = useServerMode();
  return (
    <header className="jobs-notice" data-testid="jobs-notice">
      <div className="jobs-notice-title">
        <strong>jobs-subgraph</strong>
        {mode && <span className={`jobs-mode jobs-mode-${mode}`}>{mode === 'simulator' ? 'SIMULATOR' : 'LIVE'}</span>}
        <span className="jobs-notice-hint">
          {mode === 'live'
            ? 'Live mode: requests reach the real provider APIs with the configured credentials.'
            : 'Example tabs below: a query per provider, a jobs query and a subscription.'}
        </span>
      </div>
      {mode !== 'live' && (
        <details className="jobs-rules" open>
          <summary>Simulator job-id rules</summary>
          <ul>
            {SIMULATOR_RULES.map((r) => (
              <li key={r.contains ?? '*'}>
                {r.contains === null ? <span>anything else</span> : <code>{r.contains}</code>} → {r.outcome}
              </li>
            ))}
          </ul>
          {SIMULATOR_NOTES.map((n) => (
            <p key={n}>{n}</p>
          ))}
        </details>
      )}
    </header>
  );
}

function App() {
  return (
    <div className="jobs-page">
      <Notice />
      <main className="jobs-graphiql">
        <GraphiQL
          fetcher={fetcher}
          defaultTabs={defaultTabs()}
          storage={prefixedStorage('jobs-subgraph/v1:')}
          defaultEditorToolsVisibility={false}
        >
          <GraphiQL.Logo>jobs-subgraph</GraphiQL.Logo>
        </GraphiQL>
      </main>
    </div>
  );
}

const root = document.getElementById('graphiql');
if (!root) throw new Error('#graphiql element missing');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
