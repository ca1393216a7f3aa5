// Polls an async probe until it gives a value: the deployment tests wait on machines and
// containers they can only ask (systemctl, journalctl, podman, /proc), never be told by.

/** probe() every intervalMs until it returns a value; throws naming `what` after timeoutMs. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
  intervalMs = 250,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
