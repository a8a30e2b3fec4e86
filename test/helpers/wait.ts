/**
 * Waits in real time until `done()` holds or `timeoutMs` passes; it never throws, so the test's
 * own assertion afterwards says what was expected.
 */
export async function waitUntil(done: () => boolean | Promise<boolean>, timeoutMs = 1_000, stepMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, stepMs));
}
