#!/usr/bin/env bash
# Stops the broker started by start.sh for the same home folder (FLEETMQ_KAFKA_HOME).
# Data is kept, so a later start.sh comes back with every record; start.sh with
# FLEETMQ_KAFKA_FRESH=1 (or removing the home folder) starts empty.
#   --kill   SIGKILL at once (a crash, for fault tests) instead of a clean shutdown
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
KHOME=${FLEETMQ_KAFKA_HOME:-$REPO/.tools/kafka}
[[ -d "$KHOME" ]] || { echo "[kafka] nothing to stop ($KHOME does not exist)" >&2; exit 0; }
KHOME=$(cd "$KHOME" && pwd)
STATE=$KHOME/state.env
SIGNAL=TERM
[[ "${1:-}" == "--kill" ]] && SIGNAL=KILL

log() { echo "[kafka] $*" >&2; }

KAFKA_PID=''
# shellcheck disable=SC1090
[[ -f "$STATE" ]] && source "$STATE"
is_ours() {
  [[ -n "$1" && -r /proc/$1/cmdline ]] || return 1
  tr '\0' ' ' < "/proc/$1/cmdline" | grep -q -- "-Dfleetmq.kafka.home=$KHOME "
}

if ! is_ours "$KAFKA_PID"; then
  log "no broker running for $KHOME"
  exit 0
fi

log "stopping broker pid $KAFKA_PID (SIG$SIGNAL)"
kill "-$SIGNAL" "$KAFKA_PID" 2>/dev/null || true
for ((i = 0; i < 600; i++)); do
  is_ours "$KAFKA_PID" || { log "stopped"; exit 0; }
  # a zombie (child of a caller that has not reaped it yet) has stopped too
  [[ "$(awk '{print $3}' "/proc/$KAFKA_PID/stat" 2>/dev/null)" == Z ]] && { log "stopped"; exit 0; }
  sleep 0.1
  if (( i == 300 )); then
    log "still running after 30s: SIGKILL"
    kill -KILL "$KAFKA_PID" 2>/dev/null || true
  fi
done
log "could not stop pid $KAFKA_PID"
exit 1
