#!/usr/bin/env bash
# Builds and runs the kernels' host-emulation tests, then the stand-in driver's stream-capture and
# graph tests: g++ and the CUDA headers, no GPU.
# Usage: cuda-kernels/emulation/run-tests.sh [seed [name]]   (seed and name go to kernel_tests)
#   CUDA_INCLUDE  directory holding cuda_fp16.h (default: /usr/local/cuda/include)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
include=${CUDA_INCLUDE:-/usr/local/cuda/include}
[ -f "$include/cuda_fp16.h" ] || { echo "run-tests: no cuda_fp16.h in $include (set CUDA_INCLUDE)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# -fno-strict-aliasing: kernels move fp16 rows as 16-byte vectors (uint4), as CUDA code does.
g++ -std=c++20 -O2 -pthread -ffp-contract=off -Wall -fno-strict-aliasing -Wno-unknown-pragmas -I"$include" -x c++ "$here/kernel_tests.cpp" -o "$work/kernel_tests"
"$work/kernel_tests" "$@"
CUDA_INCLUDE="$include" "$here/build-fake-driver.sh" "$work/libfakecuda.so"
g++ -std=c++20 -O2 -pthread -Wall -I"$include" -x c++ "$here/graph_tests.cpp" -o "$work/graph_tests" -ldl
"$work/graph_tests" "$work/libfakecuda.so"
