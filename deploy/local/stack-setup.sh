# Sourced by stack.sh: finding Java and Maven, and fetching Kafka, the schema registry and Mosquitto (`stack.sh
# setup`). Uses the variables stack.sh defines (CACHE_DIR, KAFKA_LIB, versions) and its say/die helpers.

# ---------------------------------------------------------------- Java and Maven

java_major() { # $1 = java binary
  "$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\)[.\"].*/\1/p' | head -n1
}

find_java() { # $1 = minimum major version; prints the java binary or nothing
  local min="$1" cand v
  for cand in "${FERRY_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/* ; do
    [ -n "$cand" ] && [ -x "$cand/bin/java" ] || continue
    v="$(java_major "$cand/bin/java")"
    if [ -n "$v" ] && [ "$v" -ge "$min" ]; then echo "$cand/bin/java"; return 0; fi
  done
  if command -v java >/dev/null 2>&1; then
    v="$(java_major "$(command -v java)")"
    if [ -n "$v" ] && [ "$v" -ge "$min" ]; then command -v java; return 0; fi
  fi
  return 0
}

need_maven() {
  command -v mvn >/dev/null 2>&1 || die "Maven (mvn) is needed to fetch Kafka and the schema registry. Install it (Debian: apt-get install maven) and run again."
}

kafka_java() {
  local j; j="$(find_java 17)"
  [ -n "$j" ] || die "Kafka $KAFKA_VERSION needs Java 17 or newer and none was found. Install one (Debian: apt-get install openjdk-17-jre-headless) or set FERRY_JAVA_HOME."
  echo "$j"
}

registry_choice() { # prints "<version> <java>"
  local j
  j="$(find_java 21)"
  if [ -n "$j" ]; then echo "$APICURIO_VERSION $j"; return; fi
  j="$(find_java 17)"
  [ -n "$j" ] || die "the schema registry needs Java 17 or newer (Java 21+ for Apicurio $APICURIO_VERSION). Install one (Debian: apt-get install openjdk-17-jre-headless) or set FERRY_JAVA_HOME."
  say "no Java 21+ found: using Apicurio Registry $APICURIO_FALLBACK_VERSION on Java 17 (install a Java 21+ JDK for $APICURIO_VERSION)"
  echo "$APICURIO_FALLBACK_VERSION $j"
}

mvn_quiet() {
  local log="$CACHE_DIR/maven.log"
  if ! mvn -B -q "$@" >>"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "Maven failed (full log: $log)"
  fi
}

# ---------------------------------------------------------------- setup

setup_kafka() {
  if [ -f "$KAFKA_LIB/.complete" ]; then say "kafka $KAFKA_VERSION: cached in $KAFKA_LIB"; return; fi
  need_maven
  say "kafka $KAFKA_VERSION: resolving the broker and its dependencies with Maven…"
  local t0=$SECONDS pomdir="$CACHE_DIR/kafka-$KAFKA_VERSION"
  mkdir -p "$pomdir"
  cat >"$pomdir/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>ferry.local</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
EOF
  rm -rf "$KAFKA_LIB"
  mvn_quiet -f "$pomdir/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIB"
  # Only one SLF4J binding may be on the classpath: keep the one matching the slf4j-api that Maven chose.
  if ls "$KAFKA_LIB"/slf4j-api-2.* >/dev/null 2>&1; then rm -f "$KAFKA_LIB"/log4j-slf4j-impl-*.jar; else rm -f "$KAFKA_LIB"/log4j-slf4j2-impl-*.jar; fi
  touch "$KAFKA_LIB/.complete"
  say "kafka $KAFKA_VERSION: $(ls "$KAFKA_LIB" | wc -l) jars in $((SECONDS - t0)) s"
}

setup_registry() {
  local choice version home
  choice="$(registry_choice)"; version="${choice%% *}"
  home="$REGISTRY_HOME_BASE/$version"
  if [ -f "$home/.complete" ]; then say "registry: Apicurio $version cached in $home"; return; fi
  need_maven
  say "registry: fetching Apicurio Registry $version (about 150 MB) with Maven…"
  local t0=$SECONDS tmp="$REGISTRY_HOME_BASE/download-$version"
  rm -rf "$tmp" "$home"; mkdir -p "$tmp" "$home"
  mvn_quiet dependency:copy -Dartifact="io.apicurio:apicurio-registry-app:$version:tar.gz:all" -DoutputDirectory="$tmp"
  tar -xzf "$tmp"/*.tar.gz -C "$home"
  rm -rf "$tmp"
  touch "$home/.complete"
  say "registry: Apicurio $version unpacked in $((SECONDS - t0)) s"
}

setup_mosquitto() {
  if command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ]; then
    if command -v mosquitto_pub >/dev/null 2>&1; then say "mosquitto: installed"; return; fi
  fi
  say "mosquitto: installing Debian's mosquitto and mosquitto-clients…"
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  command -v apt-get >/dev/null 2>&1 || die "mosquitto is missing and apt-get is not available: install mosquitto and mosquitto-clients."
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq mosquitto mosquitto-clients >/dev/null
  say "mosquitto: installed"
}

cmd_setup() {
  mkdir -p "$CACHE_DIR"
  setup_mosquitto
  setup_kafka
  setup_registry
}
