#!/usr/bin/env bash
# Starts a single-node Apache Kafka (KRaft, combined broker + controller) for development,
# tests and CI, from the broker's jars on Maven Central (fetched once into a cache folder).
# Idempotent: a running, healthy broker of the same home folder is reused.
# Progress goes to stderr; stdout has `KAFKA_STARTED=true|false` (false = reused) and, as its
# last line, `KAFKA_BROKERS=127.0.0.1:<port>`.
#
# Environment (all optional):
#   FLEETMQ_KAFKA_VERSION        Kafka version (default 3.9.2: see README for why not 4.x)
#   FLEETMQ_KAFKA_PORT           client port (default: the previous one if free, else a free one)
#   FLEETMQ_KAFKA_CONTROLLER_PORT controller port (same rule)
#   FLEETMQ_KAFKA_HOME           state, config, logs and data (default <repo>/.tools/kafka);
#                                a second home gives a second, independent broker
#   FLEETMQ_KAFKA_CACHE          jar cache root (default ~/.cache/fleetmq)
#   FLEETMQ_KAFKA_HEAP           JVM heap (default 512m)
#   FLEETMQ_KAFKA_PARTITIONS     num.partitions (default 6)
#   FLEETMQ_KAFKA_FRESH=1        wipe the data folder before starting
#   FLEETMQ_KAFKA_START_TIMEOUT  seconds to wait for readiness (default 120)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
VERSION=${FLEETMQ_KAFKA_VERSION:-3.9.2}
CACHE_ROOT=${FLEETMQ_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fleetmq}
LIBS=$CACHE_ROOT/kafka-$VERSION/libs
KHOME=${FLEETMQ_KAFKA_HOME:-$REPO/.tools/kafka}
STATE=$KHOME/state.env
DATA=$KHOME/data
HEAP=${FLEETMQ_KAFKA_HEAP:-512m}
PARTITIONS=${FLEETMQ_KAFKA_PARTITIONS:-6}
TIMEOUT=${FLEETMQ_KAFKA_START_TIMEOUT:-120}
MAJOR=${VERSION%%.*}

log() { echo "[kafka] $*" >&2; }
die() { log "error: $*"; exit 1; }

mkdir -p "$KHOME"
KHOME=$(cd "$KHOME" && pwd)
STATE=$KHOME/state.env
DATA=$KHOME/data

# ---------------------------------------------------------------- helpers
# A pid is "ours" only if it is a live java process started for this very home folder,
# so a recycled pid never gets reused or signalled by mistake.
is_ours() {
  local pid=$1
  [[ -n "$pid" && -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "-Dfleetmq.kafka.home=$KHOME "
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

port_free() {
  node -e '
    const s = require("net").createServer();
    s.once("error", () => process.exit(1));
    s.listen(Number(process.argv[1]), "127.0.0.1", () => s.close(() => process.exit(0)));
  ' "$1"
}

free_port() {
  node -e '
    const s = require("net").createServer();
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => console.log(p)); });
  '
}

# Ready = the client port accepts connections AND the broker answers a metadata request.
probe() {
  port_open "$1" || return 1
  local rc=0
  node "$HERE/probe.mjs" "127.0.0.1:$1" 3000 || rc=$?
  if [[ $rc -eq 2 ]]; then
    # no kafkajs installed yet: fall back to the broker's own "started" log line
    grep -q "Kafka Server started" "$KHOME/logs/server.log" 2>/dev/null
  else
    return $rc
  fi
}

pick_port() { # pick_port <explicit> <previous>
  local explicit=$1 previous=$2
  if [[ -n "$explicit" ]]; then
    port_free "$explicit" || die "port $explicit (from the environment) is already in use"
    echo "$explicit"
  elif [[ -n "$previous" ]] && port_free "$previous"; then
    echo "$previous"
  else
    free_port
  fi
}

wait_ready() { # wait_ready <pid> <port>
  local pid=$1 port=$2 start=$SECONDS next=0
  while ! probe "$port"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "the broker exited during start; last log lines:"
      tail -n 30 "$KHOME/kafka.out" "$KHOME/logs/server.log" >&2 2>/dev/null || true
      return 1
    fi
    if (( SECONDS - start >= TIMEOUT )); then
      log "not ready after ${TIMEOUT}s; last log lines:"
      tail -n 30 "$KHOME/logs/server.log" >&2 2>/dev/null || true
      return 1
    fi
    if (( SECONDS - start >= next )); then
      log "waiting for the broker on 127.0.0.1:$port ... $((SECONDS - start))s"
      next=$((next + 5))
    fi
    sleep 0.5
  done
}

# ---------------------------------------------------------------- reuse a running broker
KAFKA_PID='' KAFKA_PORT='' KAFKA_CONTROLLER_PORT='' KAFKA_VERSION=''
# shellcheck disable=SC1090
[[ -f "$STATE" ]] && source "$STATE"
WANTED_PORT=${FLEETMQ_KAFKA_PORT:-$KAFKA_PORT}
if is_ours "$KAFKA_PID"; then
  same() { [[ "$KAFKA_VERSION" == "$VERSION" && "$WANTED_PORT" == "$KAFKA_PORT" ]]; }
  if same && probe "$KAFKA_PORT"; then
    log "reusing the running broker (pid $KAFKA_PID) on 127.0.0.1:$KAFKA_PORT"
    echo "KAFKA_STARTED=false"
    echo "KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
    exit 0
  fi
  if same && wait_ready "$KAFKA_PID" "$KAFKA_PORT"; then
    log "reusing the broker (pid $KAFKA_PID) on 127.0.0.1:$KAFKA_PORT"
    echo "KAFKA_STARTED=false"
    echo "KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
    exit 0
  fi
  log "the running broker (pid $KAFKA_PID) is unhealthy, another version or on another port: restarting it"
  FLEETMQ_KAFKA_HOME=$KHOME bash "$HERE/stop.sh" >&2
fi

# ---------------------------------------------------------------- jars
command -v java >/dev/null || die "java not found (Kafka needs Java 17+)"
if [[ ! -f "$LIBS/.complete" ]]; then
  command -v mvn >/dev/null || die "mvn not found: needed once to fetch Kafka $VERSION from Maven Central"
  log "fetching Kafka $VERSION jars from Maven Central into $LIBS (once) ..."
  profile=kafka3
  (( MAJOR >= 4 )) && profile=kafka4
  rm -rf "$LIBS.tmp"
  mvn -B -q -Dstyle.color=never -f "$HERE/pom.xml" -P "$profile" -Dkafka.version="$VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS.tmp" >&2 \
    || die "maven could not fetch Kafka $VERSION"
  rm -rf "$LIBS" && mv "$LIBS.tmp" "$LIBS" && touch "$LIBS/.complete"
  log "fetched $(ls "$LIBS" | wc -l) jars"
fi

# ---------------------------------------------------------------- config + storage
PORT=$(pick_port "${FLEETMQ_KAFKA_PORT:-}" "$KAFKA_PORT")
CPORT=$(pick_port "${FLEETMQ_KAFKA_CONTROLLER_PORT:-}" "$KAFKA_CONTROLLER_PORT")
[[ "$PORT" != "$CPORT" ]] || CPORT=$(free_port)

if [[ "${FLEETMQ_KAFKA_FRESH:-0}" == 1 || ( -n "$KAFKA_VERSION" && "$KAFKA_VERSION" != "$VERSION" ) ]]; then
  log "wiping $DATA"
  rm -rf "$DATA"
fi
mkdir -p "$DATA" "$KHOME/logs"

cat > "$KHOME/server.properties" <<EOF
# generated by tools/kafka/start.sh: single node, tuned for tests (small, fast, no auto-create)
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CPORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA
auto.create.topics.enable=false
num.partitions=$PARTITIONS
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
group.initial.rebalance.delay.ms=0
# a broker restarted after a crash re-registers once its old session expired: keep that short
broker.session.timeout.ms=3000
broker.heartbeat.interval.ms=500
log.retention.hours=24
log.segment.bytes=67108864
num.network.threads=2
num.io.threads=4
EOF

cat > "$KHOME/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=${kafka.logs.dir}/server.log
log4j.appender.file.MaxFileSize=10MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
EOF

cat > "$KHOME/log4j2.properties" <<'EOF'
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=file
appender.file.type=RollingFile
appender.file.name=file
appender.file.fileName=${sys:kafka.logs.dir}/server.log
appender.file.filePattern=${sys:kafka.logs.dir}/server.log.%i
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
appender.file.policies.type=Policies
appender.file.policies.size.type=SizeBasedTriggeringPolicy
appender.file.policies.size.size=10MB
appender.file.strategy.type=DefaultRolloverStrategy
appender.file.strategy.max=2
EOF

JAVA_OPTS=(
  "-Xmx$HEAP" -Xms128m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
  "-Dkafka.logs.dir=$KHOME/logs"
  "-Dlog4j.configuration=file:$KHOME/log4j.properties"
  "-Dlog4j2.configurationFile=$KHOME/log4j2.properties"
  "-Dfleetmq.kafka.home=$KHOME"
  -cp "$LIBS/*"
)

if [[ ! -f "$DATA/meta.properties" ]]; then
  # A leading '-' would be read as an option by the storage tool: swap it for a letter (still 16 bytes of base64url).
  CLUSTER_ID=$(node -e 'console.log(require("crypto").randomBytes(16).toString("base64url").replace(/^-/, "A"))')
  log "formatting KRaft storage in $DATA (cluster $CLUSTER_ID)"
  java "${JAVA_OPTS[@]}" kafka.tools.StorageTool format -t "$CLUSTER_ID" \
    -c "$KHOME/server.properties" > "$KHOME/format.out" 2>&1 \
    || { cat "$KHOME/format.out" >&2; die "storage format failed"; }
fi

# ---------------------------------------------------------------- start
log "starting Kafka $VERSION on 127.0.0.1:$PORT (controller $CPORT, heap $HEAP, home $KHOME)"
# setsid: the broker outlives this shell and is not hit by signals sent to the caller's group.
setsid java "${JAVA_OPTS[@]}" kafka.Kafka "$KHOME/server.properties" \
  > "$KHOME/kafka.out" 2>&1 < /dev/null &
PID=$!
cat > "$STATE" <<EOF
KAFKA_PID=$PID
KAFKA_PORT=$PORT
KAFKA_CONTROLLER_PORT=$CPORT
KAFKA_VERSION=$VERSION
KAFKA_BROKERS=127.0.0.1:$PORT
EOF

if ! wait_ready "$PID" "$PORT"; then
  FLEETMQ_KAFKA_HOME=$KHOME bash "$HERE/stop.sh" >&2 || true
  die "Kafka did not become ready"
fi
log "ready: pid $PID, 127.0.0.1:$PORT (state in $STATE)"
echo "KAFKA_STARTED=true"
echo "KAFKA_BROKERS=127.0.0.1:$PORT"
