/** Polls `check` until it returns a value other than undefined/false, or fails with `what` after the timeout. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutSeconds = 60): Promise<T> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutSeconds} s waiting for ${what}${last ? `: ${last}` : ''}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
