#!/usr/bin/env bash
# Prepares what scripts/gpu-check.sh needs on a GPU host that has no Java and no network:
# .cache/gpu-bundle/ with a jlink'ed Java 25 runtime, the gemma4j jar (kernels inside), the GPU test
# classes, the JUnit console launcher and Gemma's tokenizer (gzipped). Carry that one folder.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
bundle=.cache/gpu-bundle
junit_version=6.1.3

scripts/fetch-tokenizer.sh
./mvnw -q -B -DskipTests package
[[ -f target/core/classes/dev/gemma4j/cuda/gemma4j.fatbin ]] \
  || { echo "gpu-bundle: the jar has no kernels (nvcc missing at build time?)" >&2; exit 1; }
rm -rf "$bundle"
mkdir -p "$bundle/test-classes/dev/gemma4j"
"$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.incubator.vector,java.logging,jdk.unsupported,java.management,jdk.zipfs \
  --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output "$bundle/jdk" 2>/dev/null
cp target/gemma4j.jar "$bundle/"
cp -r target/core/test-classes/dev/gemma4j/cuda target/core/test-classes/dev/gemma4j/engine "$bundle/test-classes/dev/gemma4j/"
./mvnw -q -B -N dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:$junit_version \
  -DoutputDirectory="$bundle"
gzip -9 -c .cache/tokenizer/tokenizer.json > "$bundle/tokenizer.json.gz"
cp scripts/hf-peer.py "$bundle/"
du -sh "$bundle"
echo "carry .cache/gpu-bundle, then run scripts/gpu-check.sh on the GPU host"
