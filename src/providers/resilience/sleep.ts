/** Waiting that a cancelled call never has to sit out. */

/** Waits `ms`, or less when `signal` aborts first. Never rejects; the caller checks `signal.aborted`. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export const abortableSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted || ms <= 0) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    // A pending retry must not keep a stopping process alive.
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
  });
