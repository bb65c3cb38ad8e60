#!/bin/sh
# infinium-codex hook front-end, the POSIX fast path. Codex runs it as
#   '<dist>/hook.sh' <EventName> '<abs path of node>'
# and waits for it on the agent's critical path, so it costs as little as a shell can: three builtins-only
# steps and two forks on most events (cat, mv). It writes the raw payload to the spool exactly as the Node
# front-end (src/hook/node-hook.ts) does, and starts the worker after a turn-ending event. It never reads
# config and never prints: stdout and stderr go to /dev/null (then to our log), and it always exits 0.
# The on-disk layout is described in src/spool/layout.ts.

exec >/dev/null 2>&1 3<&0
umask 077

case $1 in
'' | *[!A-Za-z]*) ev=Unknown ;;
*) ev=$1 ;;
esac
root=${INFINIUM_CODEX_HOME:-${HOME:-~}/.infinium-codex}
sp=$root/spool

# Reads stdin into $1, giving up after 2 s if the writer never closes it. Background jobs get /dev/null
# as stdin in a non-interactive shell, hence the payload is read from fd 3.
drain() {
  cat <&3 >|"$1" 3<&- &
  c=$!
  (
    trap 'kill $s 2>/dev/null; exit 0' TERM
    sleep 2 3<&- &
    s=$!
    wait $s
    kill $c
  ) 3<&- &
  w=$!
  { wait $c; } 2>/dev/null
  r=$?
  kill $w 2>/dev/null
  [ $r -lt 128 ] || echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) hook $ev: stdin still open after 2 s; event dropped" >&2
  return $r
}

if ! { [ -d "$sp/tmp" ] || mkdir -p "$sp/tmp" "$root/logs"; }; then
  drain /dev/null
  exit 0
fi

# A unique name without a clock or a random source: our pid is unique among live processes, and only the
# process holding that pid creates <pid>-<n> names; an n left by a dead process with the same pid is
# skipped because its temp file or its final file still exists (noclobber creates with O_EXCL).
set -C
n=0
while [ -e "$sp/$$-$n.$ev.json" ] || ! : >"$sp/tmp/$$-$n"; do
  n=$((n + 1))
  if [ $n -ge 64 ]; then
    drain /dev/null
    exit 0
  fi
done
set +C
t=$sp/tmp/$$-$n
command exec 2>>"$root/logs/hook.log"

if drain "$t" && [ -s "$t" ]; then
  mv -f "$t" "$sp/$$-$n.$ev.json" || rm -f "$t"
else
  rm -f "$t"
  exit 0
fi

case $ev in
Stop | SubagentStop | Interrupt | SessionEnd)
  node=${2:-node}
  worker=${0%/*}/worker.mjs
  # Its own session (setsid) so Codex killing the hook's process group cannot take it down; where setsid
  # is missing (macOS) the worker detaches itself. stdio is /dev/null: Codex waits for our stdout to close.
  if command -v setsid >/dev/null 2>&1; then
    setsid "$node" "$worker" </dev/null >/dev/null 2>&1 3<&- &
  else
    "$node" "$worker" --detach </dev/null >/dev/null 2>&1 3<&- &
  fi
  ;;
esac
exit 0
