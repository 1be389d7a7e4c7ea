#!/usr/bin/env bash
# Runs gemma4j's tests: fetches Gemma's tokenizer and installs the llama.cpp oracle when they are
# missing, then runs every test that needs no GPU (GPU tests are tagged `gpu`; see scripts/gpu-check.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [[ -z "${JAVA_HOME:-}" && -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
# The scripts parse; shellcheck, where installed, finds nothing at warning level.
for script in scripts/*.sh cuda-kernels/emulation/*.sh; do bash -n "$script"; done
if command -v shellcheck >/dev/null; then shellcheck -S warning scripts/*.sh cuda-kernels/emulation/*.sh; fi
scripts/fetch-tokenizer.sh
scripts/install-oracle.sh
# The CUDA kernels, compiled with g++ against a host emulation of the CUDA runtime and checked
# against float64 references: the kernels' math is tested even where no GPU is present.
cuda-kernels/emulation/run-tests.sh
./mvnw -B verify "$@"
# The CUDA backend's Java side (bindings, launches, memory plan, whole-model parity with the CPU)
# against a stand-in driver that runs the real kernels under the same emulation. The gpu-tagged
# tests run on a real GPU through scripts/gpu-check.sh. They are the core module's tests.
fake=.cache/fakecuda/libfakecuda.so
cuda-kernels/emulation/build-fake-driver.sh "$fake"
GEMMA4J_CUDA_LIB="$root/$fake" GEMMA4J_CUBLAS_LIB="$root/$fake" \
  ./mvnw -B -o -pl java/core surefire:test -Dgroups=gpu -DexcludedGroups=none -Dtest='KernelsGpuTest,CudaBackendGpuTest,CudaDecodeStepGpuTest,DeviceLimitsGpuTest,BenchmarkWarmUpGpuTest,Fp16RangeGpuTest' "$@"
# gpu-check's harness end to end on the same stand-in, with small shapes and a deadline: every
# step runs and passes, and what it leaves in $OUT fits what comes back from a GPU host.
# Its steps keep the device's time limits, times 3: an emulated decode step costs a second or more,
# and the slowest step took 71 s of its 120 s on an idle two-core machine.
GEMMA4J_CUDA_LIB="$root/$fake" GEMMA4J_CUBLAS_LIB="$root/$fake" GPU_CHECK_SLOWER=3 \
  scripts/gpu-check.sh --dry-run --deadline 1200
