#!/usr/bin/env bash
# Prepares what scripts/gpu-check.sh needs on a GPU host that has no Java and no network:
# .cache/gpu-bundle/ with a jlink'ed Java 25 runtime, the gemma4j jar (kernels inside), the test
# classes, the JUnit console launcher and Gemma's tokenizer (gzipped). Carry that one folder; the
# rest (scripts/, pom.xml) travels with the checkout. The working tree and the bundle together must
# stay under the device's 64 MiB; the script says how much both take.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
bundle=.cache/gpu-bundle
# The launcher of the JUnit version the tests are built against (gpu-check.sh reads the same).
junit_version="$(sed -n 's:.*<junit.version>\(.*\)</junit.version>.*:\1:p' pom.xml | head -1)"

scripts/fetch-tokenizer.sh
./mvnw -q -B -DskipTests package
[[ -f target/core/classes/dev/gemma4j/cuda/gemma4j.fatbin ]] \
  || { echo "gpu-bundle: the jar has no kernels (nvcc missing at build time?)" >&2; exit 1; }
rm -rf "$bundle"
mkdir -p "$bundle"
"$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.incubator.vector,java.logging,jdk.unsupported,java.management,jdk.zipfs \
  --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output "$bundle/jdk" 2>/dev/null
# libjvm.so's symbol table is 5 of the runtime's 45 MiB; the dynamic symbols it keeps still name the
# frames of a crash report.
if command -v strip >/dev/null; then strip --strip-unneeded "$bundle/jdk/lib/server/libjvm.so"; fi
cp target/gemma4j.jar "$bundle/"
# All of them (about 1 MB), as gpu-check --dry-run uses them: a GPU test that needs a helper from
# another package finds it on the device too.
cp -r target/core/test-classes "$bundle/test-classes"
./mvnw -q -B -N dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:"$junit_version" \
  -DoutputDirectory="$bundle"
gzip -9 -c .cache/tokenizer/tokenizer.json > "$bundle/tokenizer.json.gz"
tree_kib=$(git ls-files -co --exclude-standard -z | { xargs -0 stat -c %s 2>/dev/null || true; } |
  awk '{ s += $1 } END { print int(s / 1024) }')
bundle_kib=$(du -s -k "$bundle" | cut -f1)
echo "gpu-bundle: $bundle ${bundle_kib} KiB + working tree ${tree_kib} KiB = $(((bundle_kib + tree_kib) / 1024)) MiB of the 64 MiB that travel"
(( bundle_kib + tree_kib < 64 * 1024 )) || { echo "gpu-bundle: over the device's 64 MiB working-tree limit" >&2; exit 1; }
echo "carry .cache/gpu-bundle, then run scripts/gpu-check.sh on the GPU host"
