// Where the bpftrace pacing shim is (native/bpftrace-pace.c, built by scripts/build-native.mjs
// into dist/): an LD_PRELOAD library that makes bpftrace 0.17 read its perf buffers at most
// once per pace instead of waking for every event. The path resolves from src/ and dist/.
import { fileURLToPath } from 'node:url';

export const DEFAULT_PACE_SHIM = fileURLToPath(
  new URL('../../dist/collector/native/bpftrace-pace.so', import.meta.url),
);
