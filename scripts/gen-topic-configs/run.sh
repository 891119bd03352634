#!/usr/bin/env bash
# Regenerate cli/busctl/data/topic_configs.json from Apache Kafka's own jars.
#
#   scripts/gen-topic-configs/run.sh            # writes cli/busctl/data/topic_configs.json
#   OUT=/tmp/x.json scripts/gen-topic-configs/run.sh
#
# Needs: JDK 11+ (java), Maven 3 (mvn), python3, and Maven Central (or a warm ~/.m2).
# For each Kafka version it resolves org.apache.kafka:kafka-storage (which holds
# org.apache.kafka.storage.internals.log.LogConfig and pulls in kafka-clients) into
# $JAR_ROOT/kcat-<version>/, runs GenTopicConfigs.java against those jars, then merges:
#   configs       <- KAFKA_VERSION (the catalogue lint checks against)
#   removed_in_4  <- keys in BASELINE_VERSION (3.9) that KAFKA_VERSION no longer has
#   added_in_4    <- keys in KAFKA_VERSION that BASELINE_VERSION does not have; each such
#                    config also gets "since": the major.minor of the first of
#                    HISTORY_VERSIONS/KAFKA_VERSION that has it
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

# Keep KAFKA_VERSION in step with the test broker in scripts/kafka/pom.xml.
KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
BASELINE_VERSION="${BASELINE_VERSION:-3.9.1}"
# Newest patch of each 4.x minor before KAFKA_VERSION; only used for the "since" field.
HISTORY_VERSIONS="${HISTORY_VERSIONS:-4.0.2 4.1.2 4.2.1 4.3.1}"
JAR_ROOT="${JAR_ROOT:-/tmp}"
OUT="${OUT:-$ROOT/cli/busctl/data/topic_configs.json}"
DUMP_DIR="${DUMP_DIR:-$JAR_ROOT/kcat-dumps}"

fetch_jars() {
  local v="$1" dir="$JAR_ROOT/kcat-$1"
  if [ -f "$dir/kafka-storage-$v.jar" ] && [ -f "$dir/kafka-clients-$v.jar" ]; then
    return 0
  fi
  mkdir -p "$dir/build"
  cat >"$dir/build/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.busctl</groupId>
  <artifactId>kcat-$v</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-storage</artifactId>
      <version>$v</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>3.8.1</version>
        <configuration>
          <outputDirectory>$dir</outputDirectory>
          <includeScope>runtime</includeScope>
        </configuration>
      </plugin>
    </plugins>
  </build>
</project>
EOF
  echo "resolving Kafka $v jars into $dir" >&2
  (cd "$dir/build" && mvn -q -B -Dstyle.color=never dependency:copy-dependencies) >&2
  [ -f "$dir/kafka-storage-$v.jar" ] || { echo "kafka-storage-$v.jar not resolved" >&2; return 1; }
}

dump() {
  local v="$1"
  fetch_jars "$v"
  mkdir -p "$DUMP_DIR"
  # SLF4J complains about a missing binding on stderr; that is harmless.
  java -cp "$JAR_ROOT/kcat-$v/*" "$HERE/GenTopicConfigs.java" >"$DUMP_DIR/$v.json" 2>"$DUMP_DIR/$v.err" || {
    cat "$DUMP_DIR/$v.err" >&2
    return 1
  }
  echo "$DUMP_DIR/$v.json"
}

TARGET_DUMP="$(dump "$KAFKA_VERSION")"
BASELINE_DUMP="$(dump "$BASELINE_VERSION")"
HISTORY_DUMPS=()
for v in $HISTORY_VERSIONS; do
  HISTORY_DUMPS+=("$(dump "$v")")
done

mkdir -p "$(dirname "$OUT")"
python3 - "$OUT" "$TARGET_DUMP" "$BASELINE_DUMP" "${HISTORY_DUMPS[@]}" <<'PY'
import json
import sys

out_path, target_path, baseline_path, *history_paths = sys.argv[1:]


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def minor(v):
    return ".".join(v.split(".")[:2])


def vkey(v):
    return tuple(int(p) if p.isdigit() else 0 for p in v.split("."))


target = load(target_path)
baseline = load(baseline_path)
history = sorted((load(p) for p in history_paths), key=lambda d: vkey(d["kafka_version"]))
history.append(target)

configs = target["configs"]
base = baseline["configs"]
base_version = baseline["kafka_version"]
base_minor = minor(base_version)

for name, c in configs.items():
    # Nothing Confluent-specific can come out of Apache jars, but keep the promise explicit.
    assert not name.startswith("confluent."), name

added = sorted(set(configs) - set(base))
for name in added:
    for h in history:
        if name in h["configs"]:
            configs[name]["since"] = minor(h["kafka_version"])
            break

removed = {}
for name in sorted(set(base) - set(configs)):
    gone_in = next((h["kafka_version"] for h in history if name not in h["configs"]), target["kafka_version"])
    removed[name] = f"{base_minor} and earlier; removed in Kafka {minor(gone_in)}"

catalogue = {
    "kafka_version": target["kafka_version"],
    "baseline_version": base_version,
    "generated_by": "scripts/gen-topic-configs/run.sh",
    "configs": configs,
    "removed_in_4": removed,
    "added_in_4": added,
}
with open(out_path, "w", encoding="utf-8") as f:
    json.dump(catalogue, f, indent=2, sort_keys=True, ensure_ascii=True)
    f.write("\n")
print(
    f"wrote {out_path}: Kafka {target['kafka_version']}, {len(configs)} topic configs, "
    f"{len(removed)} removed since {base_version}, {len(added)} added",
    file=sys.stderr,
)
PY
