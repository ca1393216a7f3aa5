// bpftrace-pace: an LD_PRELOAD shim that batches bpftrace 0.17's wake-ups, in the kernel and in
// bpftrace.
//
// bpftrace 0.17 reads its per-CPU perf buffers in an epoll_wait loop, and bcc opens those
// buffers with wakeup_events = 1: every printf of the probe program wakes bpftrace. That costs
// twice. In bpftrace: each wake-up formats and writes the lines of one event, then sleeps again
// (at 1,000 execs/s, ~3,000 wake-ups a second were more than half of bpftrace's CPU on the 2-vCPU
// test VM). In the kernel: each wake-up is an irq_work, raised with a self-IPI, which in a VM is
// an exit to the hypervisor. Measured on the test VM (Firecracker, kernel 6.18): a probe that
// only printfs ran 6.6-8.5 µs per event with wakeup_events = 1 and 0.4 µs without a wake-up
// (bpf_stats run_time_ns): the wake-up was ~95 % of the cost of every printf.
//
// So, when EQLD_BPFTRACE_PACE_MS is set (1..1000):
// - The BPF output perf buffers are opened with a watermark (wakeup at half a buffer) instead of
//   a wake-up per event (perf_event_open through syscall(2): attr.watermark = 1,
//   wakeup_watermark = 0, which the kernel reads as half the buffer).
// - bpftrace's epoll_wait on those buffers no longer waits for the kernel to wake it: it looks
//   at each buffer's head and tail (the mmap'd perf_event_mmap_page, as bcc reads it) every
//   pace, and returns the buffers that hold records as ready; after a second with no record it
//   looks every QUIET_LOOK_MS instead (each look wakes bpftrace). An event waits at most one pace
//   for its read while records flow, at most QUIET_LOOK_MS after a quiet second; a flood still
//   wakes bpftrace at the watermark, before its buffer fills.
// - An epoll_wait that follows one that returned buffers first sleeps until the pace has passed
//   since that return, so the events of that time collect and one read drains them (the shim's
//   first job, kept). (Not pausing after a buffer passed its watermark was tried: bpftrace then
//   read alongside a 2M records/s burst and lost more, in many small pieces.)
// - bpftrace writes every line on its own (stdout line-buffered by its -B default, and flushed
//   per line: one write(2) per line, ~650 a second at 100 execs/s, an eighth of bpftrace's CPU in
//   perf on the test VM). The shim makes stdout fully buffered (setvbuf, OUT_BUFFER_BYTES), lets
//   bpftrace's flushes pass without writing while it handles what one epoll_wait returned, and
//   flushes stdout when bpftrace calls epoll_wait again: the lines of one read leave in one
//   write (a longer read writes whenever the buffer fills), before the shim sleeps. Output
//   outside the poll loop (start-up, END) is flushed as bpftrace asks; its exit flushes the rest.
// - Looks fall on a grid: while records flow lightly, the look after a read waits for the next
//   multiple of the pace on CLOCK_MONOTONIC, not for a pace after the read, so the process and
//   the file programs (and the collector's polls, poll-schedule.ts) meet at the same instants.
//   When a look finds HEAVY_BYTES or more waiting (a storm), the next comes a pace after the read
//   (at most HEAVY_PACE_NS), off the grid, as before.
// - With EQLD_BPFTRACE_LOOK_FILE (a file of at least 24 bytes), the shim publishes there the time
//   of every look that saw all buffers (CLOCK_MONOTONIC ns, taken before it read their heads),
//   once the lines of that look's read have been written to stdout: the collector then knows
//   that every record stamped a margin before that time is in the pipe (look-bound.ts), and
//   releases events that old without a fixed reorder window. Three words: the time, a
//   splitmix64 of it, so that a read of the file torn by a write is seen as such, and whether
//   the shim is off the grid for a storm (then the collector also releases by its window).
// The kernel still records every event at once; only the reading is paced, which adds at most
// the pace to the time an event takes to reach eqld.
//
// Without EQLD_BPFTRACE_PACE_MS (or with 0) every call goes straight through and nothing is
// changed. An epoll set the shim did not see built from BPF output buffers (another program's)
// is only paced, as before. bpftrace polls from one thread; the state below is per process and
// not locked (perf_event_open, mmap and epoll_ctl of the buffers happen before the poll loop).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_BUFFERS 1024
/** after this long with no record in any buffer, the look at the buffers backs off ... */
#define QUIET_AFTER_NS 1000000000L
/** ... to this interval (every look is a wake-up of bpftrace, ~50-60 µs of CPU in the test VM) */
#define QUIET_LOOK_MS 50L
/** stdout's buffer while paced: the lines of one read go out in writes of up to this size */
#define OUT_BUFFER_BYTES (64 * 1024)
/** a look that finds this much waiting takes the next look off the grid, HEAVY_PACE_NS on */
#define HEAVY_BYTES (32 * 1024)
#define HEAVY_PACE_NS 20000000L

struct buffer {
  int fd;
  struct perf_event_mmap_page *page; // NULL until mmap'd, and after munmap
  size_t length;
  epoll_data_t data; // what bpftrace registered for it
  int polled;        // in the epoll set `polled_epfd`
};

static int (*real_epoll_wait)(int, struct epoll_event *, int, int);
static int (*real_epoll_pwait)(int, struct epoll_event *, int, int, const sigset_t *);
static int (*real_epoll_ctl)(int, int, int, struct epoll_event *);
static long (*real_syscall)(long, ...);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_munmap)(void *, size_t);
static int (*real_fflush)(FILE *);
static int (*real_setvbuf)(FILE *, char *, int, size_t);
static long pace_ns = -1;
static int last_had_events;
static struct timespec last_return;
static struct buffer buffers[MAX_BUFFERS];
static int nbuffers;
static int polled_epfd = -1;
/** when a look last found records (or a buffer passed its watermark) */
static struct timespec last_records;
/** between an epoll_wait that returned buffers and the next call: bpftrace is printing a read */
static int in_read;
static char out_buffer[OUT_BUFFER_BYTES];
/** the look file's words (time, check, heavy), or NULL */
static __u64 *look_words;
/** the look whose read bpftrace is printing: published once its lines are written */
static __u64 pending_look;
/** the last look found HEAVY_BYTES or more waiting, or a buffer passed its watermark */
static int heavy;

static __u64 look_check(__u64 t) {
  // splitmix64's finalizer (the collector computes the same, look-bound.ts)
  __u64 z = t + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static void publish_look(__u64 t) {
  if (look_words == NULL || t == 0) return;
  __atomic_store_n(&look_words[2], (__u64)heavy, __ATOMIC_RELEASE);
  __atomic_store_n(&look_words[1], look_check(t), __ATOMIC_RELEASE);
  __atomic_store_n(&look_words[0], t, __ATOMIC_RELEASE);
}

static __u64 mono_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (__u64)now.tv_sec * 1000000000ULL + (__u64)now.tv_nsec;
}

/** ns from now to the next multiple of `period` */
static long until_grid_ns(long period) {
  return period - (long)(mono_ns() % (__u64)period);
}

static void init(void) {
  if (pace_ns >= 0) return;
  real_epoll_wait = (int (*)(int, struct epoll_event *, int, int))dlsym(RTLD_NEXT, "epoll_wait");
  real_epoll_pwait =
      (int (*)(int, struct epoll_event *, int, int, const sigset_t *))dlsym(RTLD_NEXT, "epoll_pwait");
  real_epoll_ctl = (int (*)(int, int, int, struct epoll_event *))dlsym(RTLD_NEXT, "epoll_ctl");
  real_syscall = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
  real_mmap = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
  real_munmap = (int (*)(void *, size_t))dlsym(RTLD_NEXT, "munmap");
  real_fflush = (int (*)(FILE *))dlsym(RTLD_NEXT, "fflush");
  real_setvbuf = (int (*)(FILE *, char *, int, size_t))dlsym(RTLD_NEXT, "setvbuf");
  const char *ms = getenv("EQLD_BPFTRACE_PACE_MS");
  long v = ms != NULL ? strtol(ms, NULL, 10) : 0;
  pace_ns = v > 0 && v <= 1000 ? v * 1000000L : 0;
  const char *look = getenv("EQLD_BPFTRACE_LOOK_FILE");
  if (pace_ns > 0 && look != NULL && look[0] != '\0' && real_mmap != NULL) {
    int fd = open(look, O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
      void *p = real_mmap(NULL, 24, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      if (p != MAP_FAILED) look_words = (__u64 *)p;
      close(fd);
    }
  }
}

/** bpftrace sets stdout's buffering at start-up (-B, line-buffered by default): while paced,
 *  stdout is fully buffered instead, in a larger buffer, and flushed per read (end_read) */
int setvbuf(FILE *stream, char *buf, int mode, size_t size) {
  init();
  if (real_setvbuf == NULL) {
    errno = ENOSYS;
    return EOF;
  }
  if (pace_ns > 0 && stream == stdout) return real_setvbuf(stream, out_buffer, _IOFBF, sizeof out_buffer);
  return real_setvbuf(stream, buf, mode, size);
}

/** bpftrace's per-line flush: held while it prints one read's lines (see the header) */
int fflush(FILE *stream) {
  init();
  if (real_fflush == NULL) {
    errno = ENOSYS;
    return EOF;
  }
  if (in_read && stream == stdout) return 0;
  return real_fflush(stream);
}

/** The lines of the read that just ended leave in one write. */
static void end_read(void) {
  if (!in_read) return;
  in_read = 0;
  if (real_fflush != NULL) real_fflush(stdout);
  publish_look(pending_look);
  pending_look = 0;
}

static struct buffer *buffer_of(int fd) {
  for (int i = 0; i < nbuffers; i++)
    if (buffers[i].fd == fd) return &buffers[i];
  return NULL;
}

static long elapsed_ns(const struct timespec *since) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - since->tv_sec) * 1000000000L + (now.tv_nsec - since->tv_nsec);
}

long syscall(long number, ...) {
  va_list ap;
  va_start(ap, number);
  long a[6];
  for (int i = 0; i < 6; i++) a[i] = va_arg(ap, long);
  va_end(ap);
  init();
  if (real_syscall == NULL) {
    errno = ENOSYS;
    return -1;
  }
  struct perf_event_attr *attr = (struct perf_event_attr *)a[0];
  int output = number == __NR_perf_event_open && pace_ns > 0 && attr != NULL &&
               attr->type == PERF_TYPE_SOFTWARE && attr->config == PERF_COUNT_SW_BPF_OUTPUT &&
               nbuffers < MAX_BUFFERS;
  if (output) {
    attr->watermark = 1;
    attr->wakeup_watermark = 0; // half the buffer
  }
  long fd = real_syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
  if (output && fd >= 0) {
    struct buffer *b = buffer_of((int)fd); // a number reused after a close
    if (b == NULL) b = &buffers[nbuffers++];
    b->fd = (int)fd;
    b->page = NULL;
    b->length = 0;
    b->polled = 0;
  }
  return fd;
}

void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset) {
  init();
  if (real_mmap == NULL) {
    errno = ENOSYS;
    return MAP_FAILED;
  }
  void *p = real_mmap(addr, length, prot, flags, fd, offset);
  if (p != MAP_FAILED && fd >= 0 && offset == 0) {
    struct buffer *b = buffer_of(fd);
    if (b != NULL && b->page == NULL) {
      b->page = (struct perf_event_mmap_page *)p;
      b->length = length;
    }
  }
  return p;
}

int munmap(void *addr, size_t length) {
  init();
  if (real_munmap == NULL) {
    errno = ENOSYS;
    return -1;
  }
  for (int i = 0; i < nbuffers; i++)
    if ((void *)buffers[i].page == addr) buffers[i].page = NULL;
  return real_munmap(addr, length);
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event) {
  init();
  if (real_epoll_ctl == NULL) {
    errno = ENOSYS;
    return -1;
  }
  int r = real_epoll_ctl(epfd, op, fd, event);
  struct buffer *b = r == 0 ? buffer_of(fd) : NULL;
  if (b != NULL) {
    if (op == EPOLL_CTL_ADD && event != NULL && (polled_epfd < 0 || polled_epfd == epfd)) {
      polled_epfd = epfd;
      b->data = event->data;
      b->polled = 1;
    } else if (op == EPOLL_CTL_DEL) {
      b->polled = 0;
    }
  }
  return r;
}

/** The polled buffers that hold records, as epoll would report them; their count. `*all` is
 *  whether every buffer was looked at (not when more hold records than `maxevents`). */
static int ready_buffers(struct epoll_event *events, int maxevents, int *all) {
  int n = 0;
  __u64 waiting = 0;
  *all = 1;
  for (int i = 0; i < nbuffers; i++) {
    struct buffer *b = &buffers[i];
    if (!b->polled || b->page == NULL) continue;
    __u64 head = __atomic_load_n(&b->page->data_head, __ATOMIC_ACQUIRE);
    if (head != b->page->data_tail) {
      if (n == maxevents) {
        *all = 0;
        break;
      }
      waiting += head - b->page->data_tail;
      events[n].events = EPOLLIN;
      events[n].data = b->data;
      n++;
    }
  }
  heavy = waiting >= HEAVY_BYTES;
  return n;
}

/** Whether every buffer in the epoll set is one the shim can look at. */
static int pollable(int epfd) {
  if (epfd != polled_epfd) return 0;
  int any = 0;
  for (int i = 0; i < nbuffers; i++) {
    if (!buffers[i].polled) continue;
    if (buffers[i].page == NULL) return 0;
    any = 1;
  }
  return any;
}

static int returned(int ready) {
  last_had_events = ready > 0;
  in_read = ready > 0;
  clock_gettime(CLOCK_MONOTONIC, &last_return);
  return ready;
}

// bpftrace 0.17 leaves its poll loop (and exits, on SIGINT/SIGTERM) only when epoll_wait fails
// with EINTR: a signal handled anywhere else is lost, and bpftrace runs on until SIGKILL. So the
// shim blocks signals while it runs its own code, and sleeps and waits with the caller's mask
// restored atomically (ppoll, epoll_pwait): a signal that comes at any point in here ends the
// call with EINTR, as bpftrace's own epoll_wait would have.
static int interrupted(const sigset_t *old) {
  sigprocmask(SIG_SETMASK, old, NULL);
  errno = EINTR;
  return returned(-1);
}

int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout) {
  init();
  if (real_epoll_wait == NULL || real_epoll_pwait == NULL) {
    errno = ENOSYS;
    return -1;
  }
  if (pace_ns == 0) return real_epoll_wait(epfd, events, maxevents, timeout);
  end_read();
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  if (last_had_events && timeout != 0) {
    long wait = heavy ? (pace_ns < HEAVY_PACE_NS ? pace_ns : HEAVY_PACE_NS) - elapsed_ns(&last_return)
                      : until_grid_ns(pace_ns);
    if (wait > 0) {
      struct timespec d = {wait / 1000000000L, wait % 1000000000L};
      if (ppoll(NULL, 0, &d, &old) < 0 && errno == EINTR) return interrupted(&old);
    }
  }
  if (!pollable(epfd)) {
    int ready = real_epoll_pwait(epfd, events, maxevents, timeout, &old);
    if (ready < 0 && errno == EINTR) return interrupted(&old);
    int saved = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    returned(ready);
    errno = saved;
    return ready;
  }
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    // the buffers wake nobody below their watermark: look at them on the grid
    __u64 look = mono_ns();
    int all;
    int n = ready_buffers(events, maxevents, &all);
    if (n > 0) {
      clock_gettime(CLOCK_MONOTONIC, &last_records);
      pending_look = all ? look : 0;
      sigprocmask(SIG_SETMASK, &old, NULL);
      return returned(n);
    }
    publish_look(look);
    // quiet for a second: look every QUIET_LOOK_MS, rounded up to the grid
    long period = pace_ns;
    if (pace_ns < QUIET_LOOK_MS * 1000000L && elapsed_ns(&last_records) > QUIET_AFTER_NS)
      period = ((QUIET_LOOK_MS * 1000000L + pace_ns - 1) / pace_ns) * pace_ns;
    // epoll_pwait's timeout is in ms: rounded up, so the look falls just after the grid instant
    long wait_ms = (until_grid_ns(period) + 999999L) / 1000000L;
    // the caller's timeout (bpftrace's 100 ms, after which it only loops) ends the call at a
    // look, not between two: a wake-up of its own would be a look off the grid
    if (timeout >= 0 && elapsed_ns(&start) / 1000000L >= timeout) {
      sigprocmask(SIG_SETMASK, &old, NULL);
      return returned(0);
    }
    int ready = real_epoll_pwait(epfd, events, maxevents, (int)wait_ms, &old);
    if (ready < 0 && errno == EINTR) return interrupted(&old);
    if (ready != 0) {
      int saved = errno;
      if (ready > 0) {
        clock_gettime(CLOCK_MONOTONIC, &last_records);
        heavy = 1;
      }
      pending_look = 0;
      sigprocmask(SIG_SETMASK, &old, NULL);
      returned(ready);
      errno = saved;
      return ready; // a buffer past its watermark, or an error
    }
  }
}
