#!/usr/bin/env bash
# Encode throughput of gemma4j's Gemma tokenizer against Hugging Face tokenizers (DJL) on English
# prose: dev.gemma4j.tokenizer.TokenizerBench on the test classpath. Arguments go to the program:
# [megabytes of text, default 3] [timed runs, default 5]. Builds into target-bench-tokenizer/
# (override with GEMMA4J_BENCH_BUILD_DIR) so it can run beside other builds of the checkout.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [[ -z "${JAVA_HOME:-}" && -d /usr/lib/jvm/temurin-25-jdk-amd64 ]]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
build_dir="${GEMMA4J_BENCH_BUILD_DIR:-$root/target-bench-tokenizer}"

"$root/scripts/fetch-tokenizer.sh"
./mvnw -q -DbuildDir="$build_dir" -pl java/core test-compile
./mvnw -q -DbuildDir="$build_dir" -pl java/core dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$build_dir/core/test-classpath.txt"

exec "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx4g \
  -Dgemma4j.home="$root" \
  -cp "$build_dir/core/test-classes:$build_dir/core/classes:$(cat "$build_dir/core/test-classpath.txt")" \
  dev.gemma4j.tokenizer.TokenizerBench "$@"
