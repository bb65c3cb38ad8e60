#!/bin/sh
# infinium-codex hook front-end, the POSIX fast path. Codex runs it as
#   '<dist>/hook.sh' <EventName> '<abs path of node>'
# through `$SHELL -c` and waits for it on the agent's critical path, so it runs as few programs as a shell
# can: usually one, dd, to copy the payload into a temp file; the entry is published with a redirection
# (no program); on turn-ending events the detached worker starts. It writes exactly what the Node front-end
# (src/hook/node-hook.ts) writes; the layout is described in src/spool/layout.ts. It never reads config and
# never prints: stdout and stderr go to /dev/null (then our log), and it always exits 0.
# Every program it runs is found with `command -p` (the system's standard PATH) or by absolute path, never
# through the PATH it was given: Codex passes on the PATH of the session, which a project may set, and a
# `dd` or `mkdir` of the project's would run as the user on every event.

# stdin may be closed (never by Codex, which always pipes it): then there is no payload, and nothing to do.
exec >/dev/null 2>&1
command exec 3<&0 || exit 0
umask 077

# Reads stdin (fd 3) into $1. Codex writes the payload and closes its end of the pipe at once, so by the time
# we get here the payload is usually whole in the pipe: dd then reads it without waiting (iflag=nonblock, on
# its own open of the pipe: the writer's end is untouched), meets the end of input and is the only program
# run. A writer still at work (a payload bigger than the pipe holds, a slow or stuck writer) leaves dd
# nothing to read for a moment: it stops (EAGAIN) with what it read in the file, and cat appends the rest
# under a watchdog. So does a dd without iflag=nonblock (BSD, BusyBox). A regular file as stdin cannot
# block: cat alone, from the file's offset (dd would reopen it from the start).
drain() {
  if [ -f /dev/fd/3 ]; then
    command -p cat <&3 >>"$1" 3<&- && return 0
  elif [ -p /dev/fd/3 ]; then
    command -p dd if=/dev/fd/3 iflag=nonblock bs=64k status=none >>"$1" 2>/dev/null && return 0
  fi
  slowdrain "$1"
}

# Appends the rest of stdin to $1, giving up once 2 s pass with no new input and stdin still open (a writer
# that never closes it). Idle time, not total time: a big payload on a busy machine may take longer than
# that to arrive, and it must still be kept. Background jobs get /dev/null as stdin in a non-interactive
# shell, hence the payload is read from fd 3. The watchdog says nothing to our log: a TERM that reaches it while
# it measures the file runs its trap only after that measurement, which may find the file already published
# and consumed (its wc would log "cannot open"); what was kept or dropped is said by the shell that waited.
slowdrain() {
  # Made here, not by the background cat: the watchdog below may measure it before cat has opened it.
  : >>"$1"
  command -p cat <&3 >>"$1" 3<&- &
  c=$!
  (
    trap 'kill $s 2>/dev/null; exit 0' TERM
    was=$(($(command -p wc -c <"$1")))
    while :; do
      command -p sleep 2 3<&- &
      s=$!
      wait $s
      now=$(($(command -p wc -c <"$1")))
      [ "$now" -gt "$was" ] || break
      was=$now
    done
    kill $c
  ) 3<&- 2>/dev/null &
  w=$!
  { wait $c; } 2>/dev/null
  r=$?
  kill $w 2>/dev/null
  case $r in
  0) ;;
  143) echo "$(command -p date -u +%Y-%m-%dT%H:%M:%SZ) hook $ev: stdin still open with no input for 2 s; event dropped" >&2 ;;
  *) echo "$(command -p date -u +%Y-%m-%dT%H:%M:%SZ) hook $ev: could not store the payload (cat: $r); event dropped" >&2 ;;
  esac
  return $r
}

# A session with tracing turned off spools nothing. The same test as tracingDisabled().
case $INFINIUM_CODEX_DISABLED in
'' | 0 | [Ff][Aa][Ll][Ss][Ee] | [Nn][Oo]) ;;
*)
  drain /dev/null
  exit 0
  ;;
esac

# Letters only, and short enough to fit a file name (the spool name must be creatable, or the payload is lost).
case $1 in
'' | *[!A-Za-z]*) ev=Unknown ;;
*) ev=$1 ;;
esac
[ ${#ev} -le 64 ] || ev=Unknown
if [ -z "$INFINIUM_CODEX_HOME" ] && [ -z "$HOME" ]; then
  # The home dir then comes from the user database, which a shell cannot read without a fork: let the Node
  # front-end find it, so both front-ends always agree on the state dir.
  exec "${2:-node}" "${0%/*}/bin.cjs" hook "$ev" <&3 3<&-
fi
root=${INFINIUM_CODEX_HOME:-$HOME/.infinium-codex}
# A state dir named by a relative path (INFINIUM_CODEX_HOME, or HOME) would put raw payloads inside the
# user's project, wherever Codex runs: spool nothing.
case $root in
/*) ;;
*)
  drain /dev/null
  exit 0
  ;;
esac
sp=$root/spool
# Another user's state dir would decide where the secret and the traces go: never written in (the CLI
# refuses it in one sentence). `[ -O` is a builtin: a stat, no program. A state dir reached through a link
# goes to the Node front-end, which can tell whose link it is.
[ -L "$root" ] && exec "${2:-node}" "${0%/*}/bin.cjs" hook "$ev" <&3 3<&-
if [ -e "$root" ] && [ ! -O "$root" ]; then
  drain /dev/null
  exit 0
fi

# A symbolic link where one of our directories or our log should be was not made by us: remove it (never
# its target) rather than write through it. `[ -L` is a builtin: no cost unless a link is there.
for l in "$sp" "$sp/tmp" "$root/logs" "$root/logs/hook.log"; do
  if [ -L "$l" ]; then command -p rm -f "$l"; fi
done
# Our folders must be the user's own: another user who made one of them (while the state dir was open to
# them) could read what we put there, or plant a FIFO where our temp file or log goes. `[ -O` is a builtin.
if ! { { { [ -d "$sp/tmp" ] && [ -d "$root/logs" ]; } || command -p mkdir -p "$sp/tmp" "$root/logs"; } &&
  [ -O "$root" ] && [ -O "$sp" ] && [ -O "$sp/tmp" ] && [ -O "$root/logs" ]; }; then
  drain /dev/null
  exit 0
fi

# A unique name without a clock or a random source: our pid is unique among live processes, and only the
# process holding that pid creates <pid>-<n> names; an n left by a dead process with the same pid is
# skipped because its temp or final name still exists. noclobber (kept on from here) creates with O_EXCL,
# but opens an existing file that is not a regular one (a FIFO would block, or take the payload): a name
# that exists is skipped first (a dangling link fails O_EXCL). `command` keeps a failed redirection on a
# special builtin from ending the shell.
set -C
n=0
while [ -e "$sp/$$-$n.$ev.json" ] || [ -e "$sp/tmp/$$-$n" ] || ! command : >"$sp/tmp/$$-$n"; do
  n=$((n + 1))
  if [ $n -ge 64 ]; then
    drain /dev/null
    exit 0
  fi
done
t=$sp/tmp/$$-$n
# Only a regular file (or none yet) as our log: opening a FIFO there would block until Codex kills us.
lg=$root/logs/hook.log
if [ -f "$lg" ] || [ ! -e "$lg" ]; then command exec 2>>"$lg"; fi

# The session's tracing settings go with the payload, for the worker that builds its turns (whichever session
# started that worker): see src/spool/session-env.ts for the format; the secret only as "set".
f=$sp/$$-$n.$ev.json
if drain "$t" && [ -s "$t" ] && {
  [ -z "$INFINIUM_CODEX_DISABLED$INFINIUM_AGENT_ID$INFINIUM_BASE_URL$INFINIUM_CODEX_GRANULARITY$INFINIUM_CODEX_CONTENT_MODE$INFINIUM_CODEX_RUN_ID$INFINIUM_CODEX_RUN_LABEL$INFINIUM_AGENT_SECRET" ] ||
    printf '\0env1\0INFINIUM_CODEX_DISABLED=%s\0INFINIUM_AGENT_ID=%s\0INFINIUM_BASE_URL=%s\0INFINIUM_CODEX_GRANULARITY=%s\0INFINIUM_CODEX_CONTENT_MODE=%s\0INFINIUM_CODEX_RUN_ID=%s\0INFINIUM_CODEX_RUN_LABEL=%s\0INFINIUM_AGENT_SECRET=%s' \
      "$INFINIUM_CODEX_DISABLED" "$INFINIUM_AGENT_ID" "$INFINIUM_BASE_URL" "$INFINIUM_CODEX_GRANULARITY" \
      "$INFINIUM_CODEX_CONTENT_MODE" "$INFINIUM_CODEX_RUN_ID" "$INFINIUM_CODEX_RUN_LABEL" \
      "${INFINIUM_AGENT_SECRET:+set}" >>"$t"
}; then
  # Published: the entry's name appears, empty, once its payload is whole in the temp file, which the worker
  # reads through it (src/spool/events.ts). Created with O_EXCL, by the shell itself: no program to run.
  command : >"$f" || command -p rm -f "$t"
else
  command -p rm -f "$t"
  exit 0
fi

# A prompt while the spool still holds another prompt: a turn that ended without a Stop (Codex 0.171 fires
# none for a turn that failed) or whose worker has not run waits there, so this prompt starts the worker too
# (it builds only what the rollout says is over). A glob is the shell's own directory read: no program.
behind=
if [ "$ev" = UserPromptSubmit ]; then
  for p in "$sp"/*.UserPromptSubmit.json; do
    if [ "$p" != "$f" ] && [ -e "$p" ]; then
      behind=1
      break
    fi
  done
fi

# SessionStart too: the worker snapshots the working tree before Codex runs a tool (src/worker/evidence.ts).
case $ev$behind in
SessionStart | Stop | SubagentStop | Interrupt | SessionEnd | UserPromptSubmit1)
  node=${2:-node}
  worker=${0%/*}/worker.mjs
  # A session started with its own INFINIUM_AGENT_SECRET starts a worker of its own, which keeps that secret
  # for the session (the spool only says it was set); it reads the session id from our payload, opened for
  # it here so that another worker consuming the entry meanwhile does not matter.
  in=/dev/null
  set --
  if [ -n "$INFINIUM_AGENT_SECRET" ]; then
    in=$t
    set -- --session-secret
  fi
  # A worker at work (its pid alive, its lock's mtime still ahead of our payload's: see src/spool/lock.ts)
  # will look at the spool again if asked: leave it a rerun request rather than start a Node process that
  # would only do the same and exit. It checks for requests after releasing the lock, so a lock still
  # there after our request means it will see it; a lock gone means we start a worker after all.
  # Both files only when they are regular files of the user's (or the request is not there yet): another
  # user who could write the state folder may have planted a FIFO there, whose open would block us.
  lock=$root/worker.lock
  # Not at SessionStart: its snapshot cannot wait for a busy worker's pass to end.
  if [ $# = 0 ] && [ "$ev" != SessionStart ] && [ "$lock" -nt "$f" ] && [ ! -L "$lock" ] &&
    [ -f "$lock" ] && [ -O "$lock" ]; then
    l=
    read -r l <"$lock" 2>/dev/null
    p=${l#*\"pid\":}
    p=${p%%[!0-9]*}
    if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
      r=$root/worker.rerun
      if [ -L "$r" ]; then command -p rm -f "$r"; fi
      if { [ ! -e "$r" ] || { [ -f "$r" ] && [ -O "$r" ]; }; } && command : >>"$r" && [ -e "$lock" ]; then
        exit 0
      fi
    fi
  fi
  # Its own session, so that a kill of the hook's process group does not take it down. `setsid -f` returns
  # once it has forked, and its child calls setsid() right away. Codex kills only the hook process itself,
  # and only on a timeout; a runner that killed the whole group the instant we exit could still win that
  # race (a few percent of runs on a loaded machine), and the turn then waits in the spool for the next
  # worker run. Waiting here until the child has left the group costs about 1.5 ms on every turn, so we
  # don't. Where setsid is missing (macOS) the worker detaches itself. stdout and stderr are /dev/null:
  # Codex waits for our stdout to close. At a lower priority (nice, run by the detached child, not by us),
  # so that its Node start and build yield the CPU to Codex, which is finishing the turn meanwhile.
  # setsid runs nice by its own PATH search: it is given nice's absolute path.
  for nice in /usr/bin/nice /bin/nice; do [ -x "$nice" ] && break; done
  # As the native front-end: the worker, not Node's start, reads NODE_EXTRA_CA_CERTS (src/infinium/extra-ca.ts).
  if [ -n "$NODE_EXTRA_CA_CERTS" ] && [ -z "$NODE_OPTIONS" ]; then
    export INFINIUM_CODEX_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS"
    unset NODE_EXTRA_CA_CERTS
  fi
  if command -pv setsid >/dev/null 2>&1; then
    command -p setsid -f "$nice" -n 10 "$node" "$worker" "$@" <"$in" >/dev/null 2>&1 3<&-
  else
    "$nice" -n 10 "$node" "$worker" --detach "$@" <"$in" >/dev/null 2>&1 3<&- &
  fi
  ;;
esac
exit 0
