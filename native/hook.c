/*
 * infinium-codex hook front-end, the native fast path. Codex runs it as
 *   '<binary>' <EventName> '<abs path of node>' '<abs dist dir>'
 * through `$SHELL -c` (src/codex/hooks-file.ts, nativeHookCommand) and waits for it on the agent's critical
 * path. It does what src/hook/hook.sh does and writes exactly the same bytes on disk (layout:
 * src/spool/layout.ts), but as one process: hook.sh needs a program for each step a shell cannot take
 * itself (dd, setsid, nice), and each is a fork and exec, which is most of its cost under dash. Shipped
 * prebuilt in an optional per-platform package; hook.sh stays the fallback, so the two must stay in step.
 * It never reads config and never prints: stdout and stderr go to /dev/null first, failures go to
 * logs/hook.log, and it always exits 0. The one exception is `--version`, which no event is called.
 *
 * C99 and POSIX, Linux and macOS, libc only.
 */
#define _GNU_SOURCE /* close_range's syscall number on Linux; macOS ignores it and shows everything */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

/*
 * Codex always closes stdin; a writer that never does must not keep the hook (and Codex) waiting. Idle
 * time, not total time: a big payload on a busy machine may take longer than this to arrive whole. The same
 * bound as hook.sh's slowdrain and node-hook.ts's STDIN_WAIT_MS.
 */
#define STDIN_IDLE_MS 2000
/* As hook.sh: names <pid>-0 to <pid>-63 are tried, then the event is given up. */
#define MAX_SEQUENCE 64
/* Added to the worker's niceness, as hook.sh's `nice -n 10`. */
#define WORKER_NICENESS 10
/* The package version, set by scripts/build-native.mjs: the connector checks it before it installs us. */
#ifndef HOOK_VERSION
#define HOOK_VERSION "unknown"
#endif

static const char *event = "Unknown";
static int log_fd = -1;

/* One line to logs/hook.log in hook.sh's format, with one write call (concurrent hooks never interleave). */
static void log_line(const char *message, const char *detail) {
  char stamp[32], line[512];
  time_t now = time(NULL);
  struct tm tm;
  if (log_fd < 0 || !gmtime_r(&now, &tm) || !strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm))
    return;
  int n = detail ? snprintf(line, sizeof line, "%s hook %s: %s (%s); event dropped\n", stamp, event, message,
                            detail)
                 : snprintf(line, sizeof line, "%s hook %s: %s; event dropped\n", stamp, event, message);
  /* a failed write: nowhere left to say it, and staying silent towards Codex matters more */
  if (n > 0 && (size_t)n < sizeof line) {
    ssize_t written = write(log_fd, line, (size_t)n);
    (void)written;
  }
}

static int write_all(int fd, const char *bytes, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, bytes, length);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    bytes += n;
    length -= (size_t)n;
  }
  return 0;
}

/*
 * Copies stdin to `out` (or only reads it, with out < 0) until its end; `*copied` counts the bytes. A writer
 * still at work is waited for as long as input keeps coming; one that leaves stdin open with nothing to read
 * for STDIN_IDLE_MS is given up (poll() on a pipe reports data that arrived while we were not scheduled, so
 * a busy machine does not count as idle). A regular file cannot block: it is read from its offset, as cat
 * does in hook.sh. Returns 0 at the end of input, -1 when the payload is to be dropped (logged).
 */
static int copy_stdin(int out, size_t *copied) {
  static char buffer[65536];
  struct stat st;
  int may_block = !(fstat(0, &st) == 0 && S_ISREG(st.st_mode));
  *copied = 0;
  for (;;) {
    if (may_block) {
      struct pollfd in = {0, POLLIN, 0};
      int ready = poll(&in, 1, STDIN_IDLE_MS);
      if (ready == 0) {
        log_line("stdin still open with no input for 2 s", NULL);
        return -1;
      }
      if (ready < 0 && errno == EINTR) continue;
      /* macOS cannot poll a terminal (POLLNVAL): from then on, plain blocking reads */
      if (ready > 0 && (in.revents & POLLNVAL)) may_block = 0;
    }
    ssize_t n = read(0, buffer, sizeof buffer);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      log_line("could not store the payload", strerror(errno));
      return -1;
    }
    /* ENOSPC, EFBIG (SIGXFSZ is ignored), EIO: the caller removes the temp file */
    if (out >= 0 && write_all(out, buffer, (size_t)n) < 0) {
      log_line("could not store the payload", strerror(errno));
      return -1;
    }
    *copied += (size_t)n;
  }
}

/* Nothing is spooled: stdin is read to its end all the same (as hook.sh's `drain /dev/null`), then exit 0. */
static int discard(void) {
  size_t ignored;
  copy_stdin(-1, &ignored);
  return 0;
}

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A folder of the user's (links followed, as `[ -O`; ours are links no longer: remove_link). */
static int owned(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid();
}

/* `mkdir -p`: 0700 through the umask, as are the parents it makes. */
static int make_dirs(char *path) {
  if (mkdir(path, 0777) == 0) return 0;
  if (errno == EEXIST) return is_dir(path) ? 0 : -1;
  if (errno != ENOENT) return -1;
  char *slash = strrchr(path, '/');
  if (!slash || slash == path) return -1;
  *slash = '\0';
  int made = make_dirs(path);
  *slash = '/';
  if (made < 0) return -1;
  return mkdir(path, 0777) == 0 || (errno == EEXIST && is_dir(path)) ? 0 : -1;
}

/*
 * A symbolic link where one of our directories or our log should be was not made by us: removed (never its
 * target) rather than written through.
 */
static void remove_link(const char *path) {
  struct stat st;
  if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) unlink(path);
}

/* The path `<a><b>` into `out`, or 0 when it does not fit (the system could not open it either). */
static int join(char *out, const char *a, const char *b) {
  int n = snprintf(out, PATH_MAX, "%s%s", a, b);
  return n > 0 && n < PATH_MAX;
}

static int set_nonempty(const char *name) {
  const char *value = getenv(name);
  return value && *value;
}

/* INFINIUM_CODEX_DISABLED: any value but empty, 0, false or no (any case); tracingDisabled() in TS. */
static int tracing_disabled(void) {
  const char *value = getenv("INFINIUM_CODEX_DISABLED");
  return value && *value && strcmp(value, "0") != 0 && strcasecmp(value, "false") != 0 &&
       strcasecmp(value, "no") != 0;
}

/*
 * The session's tracing settings after the payload (src/spool/session-env.ts: the names and their order);
 * the secret only as "set". Written only when one of them is set, as hook.sh's printf.
 */
static const char *const RECORDED_ENV[] = {
  "INFINIUM_CODEX_DISABLED", "INFINIUM_AGENT_ID",          "INFINIUM_BASE_URL",
  "INFINIUM_CODEX_GRANULARITY", "INFINIUM_CODEX_CONTENT_MODE", "INFINIUM_CODEX_RUN_ID",
  "INFINIUM_CODEX_RUN_LABEL", "INFINIUM_AGENT_SECRET",
};
#define RECORDED_COUNT (sizeof RECORDED_ENV / sizeof RECORDED_ENV[0])

static int write_trailer(int fd) {
  size_t i, size = sizeof "\0env1" + sizeof "set";
  for (i = 0; i < RECORDED_COUNT; i++) {
    const char *value = getenv(RECORDED_ENV[i]);
    size += strlen(RECORDED_ENV[i]) + 2 + (value ? strlen(value) : 0);
  }
  for (i = 0; i < RECORDED_COUNT && !set_nonempty(RECORDED_ENV[i]); i++) {
  }
  if (i == RECORDED_COUNT) return 0;
  /* one write: the entry is read only once published, but a short trailer is no reason for many calls */
  char *trailer = malloc(size), *end = trailer;
  if (!trailer) return -1;
  memcpy(end, "\0env1", 5);
  end += 5;
  for (i = 0; i < RECORDED_COUNT; i++) {
    const char *value = getenv(RECORDED_ENV[i]);
    if (!value) value = "";
    if (i == RECORDED_COUNT - 1 && *value) value = "set";
    end += sprintf(end, "%c%s=%s", '\0', RECORDED_ENV[i], value);
  }
  int written = write_all(fd, trailer, (size_t)(end - trailer));
  free(trailer);
  return written;
}

/* The open file is a regular file of the user's. */
static int ours(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid();
}

/*
 * A worker at work (its pid alive, its lock's mtime still ahead of our entry's: see src/spool/lock.ts) will
 * look at the spool again if asked: leave it a rerun request rather than start a Node process that would
 * only do the same and exit. It checks for requests after releasing the lock, so a lock still there after
 * our request means it will see it. The pid is read as hook.sh reads it: the digits after the first
 * `"pid":` of the lock's first line.
 */
static int asked_worker(const char *root, const char *entry) {
  char lock[PATH_MAX], rerun[PATH_MAX], line[256];
  struct stat lock_st, entry_st;
  if (!join(lock, root, "/worker.lock") || lstat(lock, &lock_st) != 0 || S_ISLNK(lock_st.st_mode) ||
    stat(entry, &entry_st) != 0)
    return 0;
#ifdef __APPLE__
  struct timespec lock_at = lock_st.st_mtimespec, entry_at = entry_st.st_mtimespec;
#else
  struct timespec lock_at = lock_st.st_mtim, entry_at = entry_st.st_mtim;
#endif
  if (lock_at.tv_sec < entry_at.tv_sec ||
      (lock_at.tv_sec == entry_at.tv_sec && lock_at.tv_nsec <= entry_at.tv_nsec))
    return 0;
  /* Both files only when they are regular files of the user's, as hook.sh: another user who could write
   * the state folder may have planted a FIFO there (O_NONBLOCK: its open cannot block us). */
  int fd = open(lock, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = ours(fd) ? read(fd, line, sizeof line - 1) : -1;
  close(fd);
  if (n <= 0) return 0;
  line[n] = '\0';
  line[strcspn(line, "\n")] = '\0';
  const char *p = strstr(line, "\"pid\":");
  p = p ? p + 6 : line;
  /* pid 0 would be our own process group: never a holder */
  long pid = 0;
  for (; *p >= '0' && *p <= '9' && pid <= INT_MAX; p++) pid = pid * 10 + (*p - '0');
  if (pid <= 0 || pid > INT_MAX || kill((pid_t)pid, 0) != 0) return 0;
  if (!join(rerun, root, "/worker.rerun")) return 0;
  remove_link(rerun);
  fd = open(rerun, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0666);
  if (fd < 0) return 0;
  int asked = ours(fd);
  close(fd);
  return asked && access(lock, F_OK) == 0;
}

/*
 * A prompt arrives while the spool still holds another prompt: a turn that ended without a Stop (Codex
 * 0.171 fires none for a turn that failed) or whose worker has not run waits there, so this prompt starts
 * the worker too (it builds only what the rollout says is over). One directory read, no parsing; the
 * same test as hook.sh and node-hook.ts.
 */
static int other_prompt_waits(const char *spool, const char *entry) {
  static const char suffix[] = ".UserPromptSubmit.json";
  const char *own = strrchr(entry, '/');
  own = own ? own + 1 : entry;
  DIR *dir = opendir(spool);
  if (!dir) return 0;
  int found = 0;
  struct dirent *d;
  while (!found && (d = readdir(dir)) != NULL) {
    size_t length = strlen(d->d_name);
    found = length > sizeof suffix - 1 && strcmp(d->d_name + length - (sizeof suffix - 1), suffix) == 0 &&
            strcmp(d->d_name, own) != 0;
  }
  closedir(dir);
  return found;
}

/* Closes every descriptor from 3 up: the worker inherits nothing of Codex's but /dev/null and its stdin. */
static void close_from_3(void) {
#if defined(__linux__) && defined(SYS_close_range)
  if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0) return;
#endif
  long max = sysconf(_SC_OPEN_MAX);
  if (max < 0 || max > 65536) max = 65536;
  for (int fd = 3; fd < max; fd++) close(fd);
}

/*
 * Starts the detached worker: `<node> <dist>/worker.mjs [--session-secret]`, in a session of its own (a kill
 * of the hook's process group cannot reach it), at a lower priority (its Node start and build yield the CPU
 * to Codex, which is finishing the turn meanwhile), stdin /dev/null or, for a session with its own secret,
 * our entry's bytes (it reads the session id from them; opened for it here so that another worker consuming
 * the entry meanwhile does not matter), stdout and stderr /dev/null (Codex waits for our stdout to close).
 * A failure anywhere leaves the turn in the spool for the next worker run, and says nothing.
 *
 * The hook returns only once the child is out of its process group, so that even a runner that kills the
 * whole group the instant we exit cannot take the worker down (hook.sh cannot wait without a program: 24-29
 * of 30 workers survive that there, 18-20 here without waiting, 30 of 30 with it). A hook that is not a
 * group leader (the shell forked it) leaves its session itself before the fork, and the child is out with
 * it at once: no wait. A group leader cannot (EPERM): its child calls setsid() and closes a pipe we wait
 * on. On a 2-core VM the first way took a median 9.1 ms per Stop hook against 11.7 ms for the second
 * (150 interleaved runs with the real node; a static `cat` 6.7 ms).
 */
static void start_worker(const char *node, const char *dist, const char *temp, int own_secret) {
  char worker[PATH_MAX];
  if (!*dist || !join(worker, dist, "/worker.mjs")) return;
  int left_here = setsid() >= 0;
  int left[2] = {-1, -1};
  if (!left_here && pipe(left) != 0) left[0] = left[1] = -1;
  pid_t pid = fork();
  if (pid != 0) {
    if (left[1] >= 0) close(left[1]);
    if (pid > 0 && left[0] >= 0) {
      char byte;
      while (read(left[0], &byte, 1) < 0 && errno == EINTR) {
      }
    }
    return;
  }
  if (!left_here) setsid();
  if (left[1] >= 0) close(left[1]);
  signal(SIGPIPE, SIG_DFL);
  signal(SIGXFSZ, SIG_DFL);
  int in = open(own_secret ? temp : "/dev/null", O_RDONLY);
  if (in < 0) _exit(0);
  if (in != 0) {
    dup2(in, 0);
    close(in);
  }
  close_from_3();
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, 0);
  if (errno == 0) setpriority(PRIO_PROCESS, 0, nice + WORKER_NICENESS > 19 ? 19 : nice + WORKER_NICENESS);
  /* Node would parse NODE_EXTRA_CA_CERTS at its start (about 40 ms of CPU for a system's bundle); the worker
   * adds the file to its HTTPS requests itself (src/infinium/extra-ca.ts), unless NODE_OPTIONS is set. */
  const char *ca = getenv("NODE_EXTRA_CA_CERTS");
  if (ca && *ca && !set_nonempty("NODE_OPTIONS") && setenv("INFINIUM_CODEX_EXTRA_CA_CERTS", ca, 1) == 0)
    unsetenv("NODE_EXTRA_CA_CERTS");
  char *argv[] = {(char *)node, worker, own_secret ? "--session-secret" : NULL, NULL};
  execvp(node, argv);
  _exit(0);
}

int main(int argc, char **argv) {
  /* The handshake (src/codex/native-hook.ts): which program this is, and of which version. */
  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    fputs("infinium-codex-hook " HOOK_VERSION "\n", stdout);
    return fflush(stdout) == 0 ? 0 : 1;
  }
  /*
   * Nothing may reach Codex (it puts some hooks' stdout into the prompt). The lowest free descriptor is
   * taken: 0 means stdin was closed (never by Codex, which always pipes it), so there is no payload.
   */
  int null = open("/dev/null", O_RDWR);
  if (null == 0) return 0;
  if (null > 0) {
    dup2(null, 1);
    dup2(null, 2);
    if (null > 2) close(null);
  } else {
    close(1);
    close(2);
  }
  signal(SIGPIPE, SIG_IGN);
  /* a file size limit: write() then fails with EFBIG, and the payload is dropped with a log line */
  signal(SIGXFSZ, SIG_IGN);
  umask(077);
  const char *node = argc > 2 && *argv[2] ? argv[2] : "node";
  const char *dist = argc > 3 ? argv[3] : "";

  /* A session with tracing turned off spools nothing. */
  const char *state = getenv("INFINIUM_CODEX_HOME");
  if (tracing_disabled()) return discard();

  /* Letters only, and short enough to fit a file name (the spool name must be creatable). */
  if (argc > 1) {
    size_t length = strlen(argv[1]);
    const char *letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    if (length >= 1 && length <= 64 && strspn(argv[1], letters) == length) event = argv[1];
  }
  char root[PATH_MAX];
  if (state && *state) {
    if (!join(root, state, "")) return discard();
  } else {
    const char *home = getenv("HOME");
    if (!home || !*home) {
      /*
       * The home dir then comes from the user database: let the Node front-end find it, as hook.sh
       * does, so every front-end agrees on the state dir. stdin goes to it as it is.
       */
      char bin[PATH_MAX];
      if (!*dist || !join(bin, dist, "/bin.cjs")) return discard();
      char *args[] = {(char *)node, bin, "hook", (char *)event, NULL};
      signal(SIGPIPE, SIG_DFL);
      signal(SIGXFSZ, SIG_DFL);
      execvp(node, args);
      return discard();
    }
    if (!join(root, home, "/.infinium-codex")) return discard();
  }
  /*
   * A state dir named by a relative path (INFINIUM_CODEX_HOME, or HOME) would put raw payloads inside the
   * user's project, wherever Codex runs: spool nothing.
   */
  if (*root != '/') return discard();

  /*
   * Another user's state dir would decide where the secret and the traces go: never written in (the CLI
   * refuses it in one sentence), as hook.sh's `[ -O`; nor one reached through their link, which they can
   * point anywhere.
   */
  struct stat root_st;
  if (lstat(root, &root_st) == 0 && S_ISLNK(root_st.st_mode) && root_st.st_uid != geteuid() &&
    root_st.st_uid != 0)
    return discard();
  if (stat(root, &root_st) == 0 && root_st.st_uid != geteuid()) return discard();

  char spool[PATH_MAX], tmp[PATH_MAX], logs[PATH_MAX], log[PATH_MAX];
  if (!join(spool, root, "/spool") || !join(tmp, spool, "/tmp") || !join(logs, root, "/logs") ||
    !join(log, logs, "/hook.log"))
    return discard();
  remove_link(spool);
  remove_link(tmp);
  remove_link(logs);
  remove_link(log);
  if (!(is_dir(tmp) && is_dir(logs))) {
    /* both tried, as `mkdir -p tmp logs` does */
    int made_tmp = make_dirs(tmp), made_logs = make_dirs(logs);
    if (made_tmp < 0 || made_logs < 0) return discard();
  }
  /*
   * Our folders must be the user's own, as hook.sh's `[ -O`: another user who made one of them (while the
   * state dir was open to them) could read what we put there, or plant a FIFO where our log goes.
   */
  if (!owned(root) || !owned(spool) || !owned(tmp) || !owned(logs)) return discard();

  /*
   * A unique name without a clock or a random source: our pid is unique among live processes, and only the
   * process holding that pid creates <pid>-<n> names; an n left by a dead process with the same pid is
   * skipped because its temp or final name still exists.
   */
  char temp[PATH_MAX], entry[PATH_MAX];
  long pid = (long)getpid();
  int fd = -1;
  for (int n = 0; fd < 0; n++) {
    struct stat st;
    if (n >= MAX_SEQUENCE) return discard();
    int a = snprintf(entry, sizeof entry, "%s/%ld-%d.%s.json", spool, pid, n, event);
    int b = snprintf(temp, sizeof temp, "%s/%ld-%d", tmp, pid, n);
    if (a <= 0 || a >= PATH_MAX || b <= 0 || b >= PATH_MAX) return discard();
    if (stat(entry, &st) == 0) continue;
    fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  }
  /* Only a regular file as our log, as hook.sh: a FIFO there would block us (O_NONBLOCK: it fails at once). */
  log_fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0666);
  struct stat log_st;
  if (log_fd >= 0 && (fstat(log_fd, &log_st) != 0 || !S_ISREG(log_st.st_mode))) {
    close(log_fd);
    log_fd = -1;
  }

  size_t copied;
  int stored = copy_stdin(fd, &copied) == 0 && copied > 0;
  if (stored && write_trailer(fd) < 0) {
    log_line("could not store the payload", strerror(errno));
    stored = 0;
  }
  if (close(fd) != 0 && stored) {
    log_line("could not store the payload", strerror(errno));
    stored = 0;
  }
  if (!stored) {
    unlink(temp);
    return 0;
  }
  /*
   * Published: the entry's name appears, empty, once its payload is whole in the temp file, which the
   * worker reads through it (src/spool/events.ts). O_EXCL: an entry is never overwritten.
   */
  int published = open(entry, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (published >= 0)
    close(published);
  else
    unlink(temp);

  /*
   * WORKER_TRIGGERS in src/codex/hook-payload.ts: the turn-ending events, a prompt behind another, and
   * SessionStart, whose worker snapshots the working tree before Codex runs a tool (so it never waits for a
   * busy worker's pass).
   */
  int start = strcmp(event, "SessionStart") == 0;
  if (start || strcmp(event, "Stop") == 0 || strcmp(event, "SubagentStop") == 0 ||
    strcmp(event, "Interrupt") == 0 || strcmp(event, "SessionEnd") == 0 ||
    (published >= 0 && strcmp(event, "UserPromptSubmit") == 0 && other_prompt_waits(spool, entry))) {
    /*
     * A session started with its own INFINIUM_AGENT_SECRET starts a worker of its own, which keeps that
     * secret for the session (the spool only says it was set).
     */
    int own_secret = set_nonempty("INFINIUM_AGENT_SECRET");
    if (own_secret || start || !asked_worker(root, entry)) start_worker(node, dist, temp, own_secret);
  }
  return 0;
}
