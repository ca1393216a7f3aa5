// bpftrace-pace: an LD_PRELOAD shim that batches bpftrace 0.17's wake-ups.
//
// bpftrace 0.17 reads its per-CPU perf buffers in an epoll_wait loop, and bcc opens those
// buffers with wakeup_events = 1: every printf of the probe program wakes bpftrace, which
// then formats and writes the lines of that one event and sleeps again. At 1,000 execs/s
// (five lines in three bursts per exec) those ~3,000 wake-ups a second were more than half
// of bpftrace's CPU on the 2-vCPU test VM. This shim makes an epoll_wait that follows one
// that returned events first sleep until EQLD_BPFTRACE_PACE_MS milliseconds have passed
// since that return, so the events of that time collect in the perf buffers (1 MiB per CPU,
// BPFTRACE_PERF_RB_PAGES) and one wake-up drains them all. The kernel still records every
// event at once; only bpftrace's reading is paced, which adds at most the pace to the time an
// event takes to reach eqld (the collector's reorder window covers it).
//
// It does nothing else: no other function is wrapped, an epoll_wait after a timeout or an
// error is not delayed (an idle bpftrace is not slowed), and without EQLD_BPFTRACE_PACE_MS
// (or with 0) every call goes straight through. bpftrace polls from one thread; the state
// below is per process and not locked.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>

static int (*real_epoll_wait)(int, struct epoll_event *, int, int);
static long pace_ns = -1;
static int last_had_events;
static struct timespec last_return;

static long elapsed_ns(const struct timespec *since) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - since->tv_sec) * 1000000000L + (now.tv_nsec - since->tv_nsec);
}

int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout) {
  if (real_epoll_wait == NULL) {
    real_epoll_wait = (int (*)(int, struct epoll_event *, int, int))dlsym(RTLD_NEXT, "epoll_wait");
    if (real_epoll_wait == NULL) {
      errno = ENOSYS;
      return -1;
    }
  }
  if (pace_ns < 0) {
    const char *ms = getenv("EQLD_BPFTRACE_PACE_MS");
    long v = ms != NULL ? strtol(ms, NULL, 10) : 0;
    pace_ns = v > 0 && v <= 1000 ? v * 1000000L : 0;
  }
  if (pace_ns > 0 && last_had_events && timeout != 0) {
    long wait = pace_ns - elapsed_ns(&last_return);
    if (wait > 0) {
      struct timespec d = { wait / 1000000000L, wait % 1000000000L };
      nanosleep(&d, NULL); // a signal cuts it short: bpftrace then sees its exit flag sooner
    }
  }
  int ready = real_epoll_wait(epfd, events, maxevents, timeout);
  int saved = errno;
  last_had_events = ready > 0;
  clock_gettime(CLOCK_MONOTONIC, &last_return);
  errno = saved;
  return ready;
}
