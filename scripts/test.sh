#!/usr/bin/env bash
# Runs gemma4j's tests: fetches Gemma's tokenizer and installs the llama.cpp oracle when they are
# missing, then runs every test that needs no GPU (GPU tests are tagged `gpu`; see scripts/gpu-check.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [[ -z "${JAVA_HOME:-}" && -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
scripts/fetch-tokenizer.sh
scripts/install-oracle.sh
# The CUDA kernels, compiled with g++ against a host emulation of the CUDA runtime and checked
# against float64 references: the kernels' math is tested even where no GPU is present.
cuda-kernels/emulation/run-tests.sh
exec ./mvnw -B verify "$@"
