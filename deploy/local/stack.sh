#!/usr/bin/env bash
# Ferry's local stack without Docker: the real Apache Kafka broker (KRaft, one node), Apicurio Registry
# (Confluent-compatible API) and a Mosquitto instance of our own, all on loopback.
#
#   stack.sh setup            fetch Kafka and the registry with Maven into the cache (once)
#   stack.sh up [svc…]        start kafka, registry, mqtt (all by default); harmless when already up
#   stack.sh down [svc…]      stop them; harmless when nothing runs or after a crash
#   stack.sh status           what runs where
#   stack.sh env              export lines for the running stack (eval "$(stack.sh env)")
#   stack.sh kafka TOOL ARGS  Kafka's own command-line tools from the cached jars: topics, console-consumer,
#                             console-producer, consumer-groups (e.g. kafka console-consumer --topic t --from-beginning)
#
# Everything is overridable through the environment; see the defaults below.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

CACHE_DIR="${FERRY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ferry}"
STACK_DIR="${FERRY_STACK_DIR:-$CACHE_DIR/stack}"
KAFKA_VERSION="${FERRY_KAFKA_VERSION:-4.1.1}"
LOG4J_VERSION="${FERRY_LOG4J_VERSION:-2.24.3}"
APICURIO_VERSION="${FERRY_APICURIO_VERSION:-3.3.3}"
# Apicurio 3.x needs Java 21+; 2.6.x runs on Java 17 and serves the same Confluent-compatible API.
APICURIO_FALLBACK_VERSION="${FERRY_APICURIO_FALLBACK_VERSION:-2.6.13.Final}"

HOST="${FERRY_STACK_HOST:-127.0.0.1}"
KAFKA_PORT="${FERRY_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${FERRY_KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
# A second client listener that needs SASL/SCRAM, for testing the worker's Kafka security settings; the user below
# is created with Kafka's own tool each time the broker starts (SCRAM-SHA-256 and SCRAM-SHA-512).
KAFKA_SASL_PORT="${FERRY_KAFKA_SASL_PORT:-$((KAFKA_PORT + 2))}"
KAFKA_SASL_USER="${FERRY_KAFKA_SASL_USER:-ferry}"
KAFKA_SASL_PASSWORD="${FERRY_KAFKA_SASL_PASSWORD:-ferry-local-scram}"
REGISTRY_PORT="${FERRY_REGISTRY_PORT:-8081}"
# Apicurio 3.x serves health and metrics on a second port (Quarkus' management interface, 9000 unless moved).
REGISTRY_MANAGEMENT_PORT="${FERRY_REGISTRY_MANAGEMENT_PORT:-$((REGISTRY_PORT + 1000))}"
MQTT_PORT="${FERRY_MQTT_PORT:-1884}"
KAFKA_HEAP="${FERRY_KAFKA_HEAP:--Xmx512m -Xms256m}"
REGISTRY_HEAP="${FERRY_REGISTRY_HEAP:--Xmx512m}"
WAIT_SECONDS="${FERRY_STACK_WAIT_SECONDS:-120}"

KAFKA_LIB="$CACHE_DIR/kafka-$KAFKA_VERSION/lib"
REGISTRY_HOME_BASE="$CACHE_DIR/apicurio"
KAFKA_DATA="$STACK_DIR/kafka"
REGISTRY_DATA="$STACK_DIR/registry"
MQTT_DATA="$STACK_DIR/mosquitto"
LOGS="$STACK_DIR/logs"
RUN="$STACK_DIR/run"

say() { printf '[ferry-stack] %s\n' "$*" >&2; }
die() { printf '[ferry-stack] error: %s\n' "$*" >&2; exit 1; }

# Java, Maven and `setup` live beside this file.
# shellcheck source=deploy/local/stack-setup.sh
source "$HERE/stack-setup.sh"

# ---------------------------------------------------------------- process helpers

pid_of() { # $1 = service; prints a live pid or nothing
  local f="$RUN/$1.pid" p
  [ -f "$f" ] || return 0
  p="$(cat "$f" 2>/dev/null || true)"
  if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then echo "$p"; fi
}

port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

wait_for() { # $1 = name, $2 = log, $3… = probe command
  local name="$1" log="$2" deadline=$((SECONDS + WAIT_SECONDS)); shift 2
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "$name did not answer within ${WAIT_SECONDS}s; last lines of $log:"
      tail -n 40 "$log" >&2 || true
      return 1
    fi
    if [ -z "$(pid_of "$name")" ]; then
      say "$name exited during start; last lines of $log:"
      tail -n 40 "$log" >&2 || true
      return 1
    fi
    sleep 0.5
  done
}

start_bg() { # $1 = service, $2 = log, $3… = command
  local svc="$1" log="$2"; shift 2
  mkdir -p "$RUN" "$LOGS"
  # setsid: the service outlives the shell that started it and gets its own process group for `down`.
  setsid "$@" >>"$log" 2>&1 </dev/null &
  echo $! >"$RUN/$svc.pid"
}

stop_svc() { # $1 = service
  local p; p="$(pid_of "$1")"
  if [ -z "$p" ]; then rm -f "$RUN/$1.pid"; return; fi
  kill -TERM "$p" 2>/dev/null || true
  local i
  for i in $(seq 1 60); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$p" 2>/dev/null; then say "$1 did not stop in 30 s: killing it"; kill -KILL "$p" 2>/dev/null || true; fi
  rm -f "$RUN/$1.pid"
  say "$1 stopped"
}

# ---------------------------------------------------------------- kafka

kafka_cp() { echo "$KAFKA_LIB/*"; }

probe_kafka() {
  # A metadata answer, not just an open port: the broker is ready once it lists its topics.
  "$KAFKA_JAVA" -Xmx64m -cp "$(kafka_cp)" -Dlog4j2.configurationFile="$RUN/log4j2-tools.xml" \
    org.apache.kafka.tools.TopicCommand --bootstrap-server "$HOST:$KAFKA_PORT" --list
}

up_kafka() {
  if [ -n "$(pid_of kafka)" ]; then say "kafka: already running on $HOST:$KAFKA_PORT"; return; fi
  [ -f "$KAFKA_LIB/.complete" ] || setup_kafka
  port_busy "$KAFKA_PORT" && die "port $KAFKA_PORT is taken by a process that is not this stack's Kafka; set FERRY_KAFKA_PORT"
  port_busy "$KAFKA_SASL_PORT" && die "port $KAFKA_SASL_PORT is taken by a process that is not this stack's Kafka; set FERRY_KAFKA_SASL_PORT"
  KAFKA_JAVA="$(kafka_java)"
  mkdir -p "$KAFKA_DATA" "$LOGS" "$RUN"
  local props="$RUN/kafka.properties"
  cat >"$props" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT,SASL_PLAINTEXT://$HOST:$KAFKA_SASL_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT,SASL_PLAINTEXT://$HOST:$KAFKA_SASL_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
log.dirs=$KAFKA_DATA/log
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.hours=24
log.segment.bytes=67108864
EOF
  cat >"$RUN/log4j2.xml" <<EOF
<Configuration status="WARN">
  <Appenders><Console name="out" target="SYSTEM_OUT"><PatternLayout pattern="[%d] %p %m (%c)%n"/></Console></Appenders>
  <Loggers>
    <Logger name="kafka" level="INFO"/><Logger name="org.apache.kafka" level="INFO"/>
    <Logger name="kafka.request.logger" level="WARN"/><Logger name="state.change.logger" level="WARN"/>
    <Root level="INFO"><AppenderRef ref="out"/></Root>
  </Loggers>
</Configuration>
EOF
  cat >"$RUN/log4j2-tools.xml" <<EOF
<Configuration status="ERROR"><Appenders><Console name="err" target="SYSTEM_ERR"><PatternLayout pattern="%m%n"/></Console></Appenders>
<Loggers><Root level="ERROR"><AppenderRef ref="err"/></Root></Loggers></Configuration>
EOF
  if [ ! -f "$KAFKA_DATA/log/meta.properties" ]; then
    local cid
    cid="$("$KAFKA_JAVA" -cp "$(kafka_cp)" -Dlog4j2.configurationFile="$RUN/log4j2-tools.xml" kafka.tools.StorageTool random-uuid)"
    "$KAFKA_JAVA" -cp "$(kafka_cp)" -Dlog4j2.configurationFile="$RUN/log4j2-tools.xml" \
      kafka.tools.StorageTool format -t "$cid" -c "$props" --ignore-formatted >>"$LOGS/kafka.log" 2>&1 \
      || { tail -n 20 "$LOGS/kafka.log" >&2; die "formatting Kafka's storage failed"; }
  fi
  say "kafka: starting on $HOST:$KAFKA_PORT (log: $LOGS/kafka.log)"
  # shellcheck disable=SC2086
  start_bg kafka "$LOGS/kafka.log" "$KAFKA_JAVA" $KAFKA_HEAP -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$RUN/log4j2.xml" -cp "$(kafka_cp)" kafka.Kafka "$props"
  wait_for kafka "$LOGS/kafka.log" probe_kafka || die "kafka failed to start"
  add_scram_user
  say "kafka: ready (SASL/SCRAM listener on $HOST:$KAFKA_SASL_PORT, user $KAFKA_SASL_USER)"
}

# Through the plaintext listener, so it also works on a data folder formatted before the SASL listener existed;
# setting the same credentials again is harmless.
# One mechanism per call: the broker refuses two changes to one user's credentials in a single request.
add_scram_user() {
  local mechanism
  for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
    "$KAFKA_JAVA" -Xmx64m -cp "$(kafka_cp)" -Dlog4j2.configurationFile="$RUN/log4j2-tools.xml" \
      kafka.admin.ConfigCommand --bootstrap-server "$HOST:$KAFKA_PORT" --alter --entity-type users \
      --entity-name "$KAFKA_SASL_USER" --add-config "$mechanism=[password=$KAFKA_SASL_PASSWORD]" \
      >>"$LOGS/kafka.log" 2>&1 || die "creating the $mechanism user $KAFKA_SASL_USER failed (log: $LOGS/kafka.log)"
  done
}

# ---------------------------------------------------------------- registry

probe_registry() { curl -fsS "http://$HOST:$REGISTRY_PORT/apis/ccompat/v7/subjects"; }

up_registry() {
  if [ -n "$(pid_of registry)" ]; then say "registry: already running on $HOST:$REGISTRY_PORT"; return; fi
  local choice version java home jar
  choice="$(registry_choice)"; version="${choice%% *}"; java="${choice#* }"
  home="$REGISTRY_HOME_BASE/$version"
  [ -f "$home/.complete" ] || setup_registry
  port_busy "$REGISTRY_PORT" && die "port $REGISTRY_PORT is taken by a process that is not this stack's registry; set FERRY_REGISTRY_PORT"
  jar="$(find "$home" -maxdepth 3 \( -name quarkus-run.jar -o -name '*-runner.jar' \) | head -n1)"
  [ -n "$jar" ] || die "no runnable jar found under $home; remove it and run setup again"
  mkdir -p "$REGISTRY_DATA" "$LOGS"
  # Schemas live in an H2 file beside the Kafka data: records in Kafka keep their schema ids across restarts.
  say "registry: starting Apicurio $version on $HOST:$REGISTRY_PORT (log: $LOGS/registry.log)"
  # shellcheck disable=SC2086
  (cd "$REGISTRY_DATA" && start_bg registry "$LOGS/registry.log" "$java" $REGISTRY_HEAP \
    -Dquarkus.http.port="$REGISTRY_PORT" -Dquarkus.http.host="$HOST" \
    -Dquarkus.log.console.json=false \
    -Dquarkus.management.host="$HOST" -Dquarkus.management.port="$REGISTRY_MANAGEMENT_PORT" \
    -Dapicurio.datasource.url="jdbc:h2:file:$REGISTRY_DATA/registry" \
    -Dregistry.datasource.url="jdbc:h2:file:$REGISTRY_DATA/registry" \
    -Dapicurio.datasource.jdbc.initial-size=2 -Dapicurio.datasource.jdbc.min-size=2 -jar "$jar")
  wait_for registry "$LOGS/registry.log" probe_registry || die "the schema registry failed to start"
  say "registry: ready"
}

# ---------------------------------------------------------------- mosquitto

probe_mqtt() { mosquitto_pub -h "$HOST" -p "$MQTT_PORT" -q 1 -i "ferry-stack-probe-$$" -t ferry/stack/probe -m up; }

up_mqtt() {
  if [ -n "$(pid_of mqtt)" ]; then say "mqtt: already running on $HOST:$MQTT_PORT"; return; fi
  command -v mosquitto_pub >/dev/null 2>&1 || setup_mosquitto
  port_busy "$MQTT_PORT" && die "port $MQTT_PORT is taken by a process that is not this stack's Mosquitto; set FERRY_MQTT_PORT"
  local bin; bin="$(command -v mosquitto || echo /usr/sbin/mosquitto)"
  mkdir -p "$MQTT_DATA" "$LOGS" "$RUN"
  cat >"$RUN/mosquitto.conf" <<EOF
# Ferry's own Mosquitto instance: persistence on, no silent per-client queue limit.
listener $MQTT_PORT $HOST
allow_anonymous true
user $(id -un)
persistence true
persistence_location $MQTT_DATA/
autosave_interval 5
# Mosquitto queues only 1000 messages per offline/slow client by default and drops the rest silently.
max_queued_messages 0
max_queued_bytes 0
max_inflight_messages ${FERRY_MQTT_MAX_INFLIGHT:-1000}
set_tcp_nodelay true
log_dest stdout
log_type error
log_type warning
log_type notice
connection_messages false
EOF
  say "mqtt: starting Mosquitto on $HOST:$MQTT_PORT (log: $LOGS/mosquitto.log)"
  start_bg mqtt "$LOGS/mosquitto.log" "$bin" -c "$RUN/mosquitto.conf"
  wait_for mqtt "$LOGS/mosquitto.log" probe_mqtt || die "mosquitto failed to start"
  say "mqtt: ready"
}

# ---------------------------------------------------------------- commands

services() { if [ $# -eq 0 ]; then echo "kafka registry mqtt"; else echo "$*"; fi; }

cmd_up() {
  local s
  for s in $(services "$@"); do
    case "$s" in kafka) up_kafka ;; registry) up_registry ;; mqtt) up_mqtt ;; *) die "unknown service '$s' (kafka, registry, mqtt)";; esac
  done
  cmd_status
}

cmd_down() {
  local s list
  list="$(services "$@")"
  # Reverse order: the registry may use Kafka.
  for s in $(echo "$list" | tr ' ' '\n' | tac); do
    case "$s" in kafka|registry|mqtt) stop_svc "$s" ;; *) die "unknown service '$s' (kafka, registry, mqtt)";; esac
  done
}

cmd_status() {
  local s p
  for s in kafka registry mqtt; do
    p="$(pid_of "$s")"
    case "$s" in
      kafka) printf '  %-9s %-8s %s\n' kafka "${p:+pid $p}" "$HOST:$KAFKA_PORT (SASL/SCRAM: $HOST:$KAFKA_SASL_PORT)" ;;
      registry) printf '  %-9s %-8s %s\n' registry "${p:+pid $p}" "http://$HOST:$REGISTRY_PORT/apis/ccompat/v7" ;;
      mqtt) printf '  %-9s %-8s %s\n' mqtt "${p:+pid $p}" "mqtt://$HOST:$MQTT_PORT" ;;
    esac
  done >&2
  say "logs: $LOGS"
}

cmd_env() {
  echo "export FERRY_KAFKA_BOOTSTRAP=$HOST:$KAFKA_PORT"
  echo "export FERRY_KAFKA_SASL_BOOTSTRAP=$HOST:$KAFKA_SASL_PORT"
  echo "export FERRY_KAFKA_SASL_USER=$KAFKA_SASL_USER"
  echo "export FERRY_KAFKA_SASL_PASSWORD=$KAFKA_SASL_PASSWORD"
  echo "export FERRY_SCHEMA_REGISTRY_URL=http://$HOST:$REGISTRY_PORT/apis/ccompat/v7"
  echo "export FERRY_MQTT_URL=mqtt://$HOST:$MQTT_PORT"
}

cmd_kafka() {
  local tool="${1:-}"; shift || true
  local cls
  case "$tool" in
    topics) cls=org.apache.kafka.tools.TopicCommand ;;
    console-consumer) cls=org.apache.kafka.tools.consumer.ConsoleConsumer ;;
    console-producer) cls=org.apache.kafka.tools.ConsoleProducer ;;
    consumer-groups) cls=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
    *) die "usage: stack.sh kafka topics|console-consumer|console-producer|consumer-groups [args…] (--bootstrap-server is added)" ;;
  esac
  [ -f "$KAFKA_LIB/.complete" ] || setup_kafka
  mkdir -p "$RUN"
  printf '%s\n' '<Configuration status="ERROR"><Appenders><Console name="err" target="SYSTEM_ERR"><PatternLayout pattern="%m%n"/></Console></Appenders><Loggers><Root level="ERROR"><AppenderRef ref="err"/></Root></Loggers></Configuration>' >"$RUN/log4j2-cli.xml"
  exec "$(kafka_java)" -Xmx256m -cp "$(kafka_cp)" -Dlog4j2.configurationFile="$RUN/log4j2-cli.xml" "$cls" \
    --bootstrap-server "$HOST:$KAFKA_PORT" "$@"
}

main() {
  local cmd="${1:-}"; shift || true
  case "$cmd" in
    setup) cmd_setup ;;
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status ;;
    env) cmd_env ;;
    kafka) cmd_kafka "$@" ;;
    *) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
}

main "$@"
