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
  ./mvnw -B -o -pl java/core surefire:test -Dgroups=gpu -DexcludedGroups=none -Dtest='KernelsGpuTest,CudaBackendGpuTest,CudaDecodeStepGpuTest,DeviceLimitsGpuTest,BenchmarkWarmUpGpuTest,Fp16RangeGpuTest,BatchInvarianceGpuTest,CudaBf16GpuTest,CudaGemma23GpuTest' "$@"
# gpu-check's harness end to end on the same stand-in, with small shapes and the device's own time
# limits (540 s in all, each step its own): every step runs and passes, and what it leaves in $OUT
# fits what comes back from a GPU host. On two cores shared with other builds the whole run took
# 258 s and its slowest step 22 s of its 90 s.
GEMMA4J_CUDA_LIB="$root/$fake" GEMMA4J_CUBLAS_LIB="$root/$fake" scripts/gpu-check.sh --dry-run
