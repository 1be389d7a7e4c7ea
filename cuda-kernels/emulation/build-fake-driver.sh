#!/usr/bin/env bash
# Builds a stand-in for libcuda.so.1 and libcublas (one library) that runs the engine's real
# kernels through the host emulation, so the CUDA backend's Java side (bindings, launches, memory
# plan, parity) is exercised where no GPU exists. Device memory is host memory with guard pages;
# cublasGemmEx is a plain loop; misuse a real driver would reject returns an error and says why.
# Stream capture records work into CUDA graphs that cuGraphLaunch replays (see fake_driver.cpp);
# gemma4j_fake_counters reports the work run directly and through graphs.
# Usage: build-fake-driver.sh OUT.so   (CUDA_INCLUDE: directory with cuda_fp16.h)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
include=${CUDA_INCLUDE:-/usr/local/cuda/include}
out=${1:?usage: build-fake-driver.sh OUT.so}
[ -f "$include/cuda_fp16.h" ] || { echo "build-fake-driver: no cuda_fp16.h in $include (set CUDA_INCLUDE)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
# -fno-strict-aliasing: kernels move fp16 rows as 16-byte vectors (uint4), as CUDA code does.
g++ -std=c++20 -O2 -shared -fPIC -pthread -ffp-contract=off -fno-strict-aliasing -I"$include" -x c++ "$here/fake_driver.cpp" -o "$out"
