#!/usr/bin/env bash
# Compiles gemma4j's CUDA kernels (cuda-kernels/) into one fatbin: SASS for sm_80, sm_86, sm_89 and
# sm_90 plus compute_90 PTX, which the driver JIT-compiles for newer GPUs.
#
# Usage: scripts/build-kernels.sh [OUT_FILE]     (default: target/kernels/gemma4j.fatbin)
#
# cuda-kernels/gemma4j.cu includes every kernel family, because nvcc --fatbin compiles a single
# source file. The script prints ptxas's resource report (registers, shared memory, stack and
# spills per kernel and architecture) and fails when any kernel spills registers, when a kernel
# documented in cuda-kernels/KERNELS.md is missing from the PTX (or an undocumented one is in it),
# or when the fatbin lacks one of the five code images.
#
# Environment:
#   NVCC                      nvcc to use (default: nvcc on PATH, then /usr/local/cuda/bin/nvcc)
#   GEMMA4J_KERNELS_OPTIONAL  1: when nvcc is missing, say so and exit 0 without a fatbin (the Maven
#                             build sets it; the CUDA backend then reports that the jar has no fatbin)
#   GEMMA4J_NVCC_THREADS      nvcc --threads (default 0: one per CPU)
#
# The output is left as is when it is newer than every file in cuda-kernels/ and this script.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src="$root/cuda-kernels"
out=${1:-"$root/target/kernels/gemma4j.fatbin"}
start=$SECONDS

nvcc=${NVCC:-$(command -v nvcc || true)}
if [ -z "$nvcc" ] && [ -x /usr/local/cuda/bin/nvcc ]; then
  nvcc=/usr/local/cuda/bin/nvcc
fi
if [ -z "$nvcc" ] || [ ! -x "$nvcc" ]; then
  if [ "${GEMMA4J_KERNELS_OPTIONAL:-0}" = 1 ]; then
    echo "build-kernels: nvcc not found (NVCC='${NVCC:-}', not on PATH, not /usr/local/cuda/bin/nvcc);" \
         "building without gemma4j.fatbin: the CUDA backend will report that the kernels were not compiled."
    rm -f "$out"
    exit 0
  fi
  echo "build-kernels: nvcc not found (NVCC='${NVCC:-}', not on PATH, not /usr/local/cuda/bin/nvcc)" >&2
  exit 1
fi

if [ -s "$out" ] && [ -z "$(find "$src" "$root/scripts/build-kernels.sh" -type f -newer "$out" -print -quit)" ]; then
  echo "build-kernels: $out is up to date"
  exit 0
fi

mkdir -p "$(dirname "$out")"
work=$(mktemp -d "$(dirname "$out")/.build-kernels.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/keep"

archs=(80 86 89 90)
gencode=()
for a in "${archs[@]}"; do gencode+=(-gencode "arch=compute_$a,code=sm_$a"); done
gencode+=(-gencode "arch=compute_90,code=compute_90")

echo "build-kernels: $("$nvcc" --version | tail -n 1)"
if ! "$nvcc" --fatbin -O3 -std=c++17 --threads "${GEMMA4J_NVCC_THREADS:-0}" -Xptxas -v \
     --keep --keep-dir "$work/keep" "${gencode[@]}" \
     "$src/gemma4j.cu" -o "$work/gemma4j.fatbin" >"$work/ptxas.txt" 2>&1; then
  cat "$work/ptxas.txt" >&2
  echo "build-kernels: nvcc failed" >&2
  exit 1
fi

# Resource report: one line per kernel, registers per architecture.
awk -v archs="${archs[*]}" '
  /Compiling entry function/ { split($0, quoted, "\047"); kernel = quoted[2]; arch = substr(quoted[4], 4);
                               if (!(kernel in seen)) { seen[kernel] = 1; order[++n] = kernel } }
  /bytes stack frame/        { stack[kernel] = $1 > stack[kernel] ? $1 : stack[kernel];
                               spill[kernel] += $5 + $9 }
  /Used [0-9]+ registers/    { for (i = 1; i <= NF; i++) {
                                 if ($(i + 1) == "registers,") regs[kernel, arch] = $i;
                                 if ($(i + 1) == "bytes" && $(i + 2) ~ /^smem/) smem[kernel] = $i } }
  END {
    split(archs, a, " ");
    printf "%-26s", "kernel"; for (j = 1; j <= length(a); j++) printf " %7s", "sm_" a[j];
    printf " %8s %7s %7s\n", "smem", "stack", "spills";
    for (i = 1; i <= n; i++) {
      k = order[i]; printf "%-26s", k;
      for (j = 1; j <= length(a); j++) printf " %7s", regs[k, a[j]];
      printf " %8d %7d %7d\n", smem[k], stack[k], spill[k];
    }
  }' "$work/ptxas.txt" | sed 's/^/  /'
echo "  (registers per thread and architecture; smem: static shared bytes; stack: largest stack frame;" \
     "spills: spill bytes over all architectures)"

if grep -Eq '[1-9][0-9]* bytes spill (stores|loads)' "$work/ptxas.txt"; then
  grep -B 2 -E '[1-9][0-9]* bytes spill (stores|loads)' "$work/ptxas.txt" >&2
  echo "build-kernels: a kernel spills registers (above); gemma4j's kernels must not spill" >&2
  exit 1
fi

# Every kernel documented in KERNELS.md (headings "### `name`") is an entry of the PTX, and back.
documented=$(grep -oE '^### `[a-z0-9_]+`' "$src/KERNELS.md" | tr -d '#` ' | sort)
compiled=$(grep -oE '\.entry [A-Za-z0-9_]+' "$work/keep/gemma4j.compute_90.ptx" | cut -d ' ' -f 2 | sort)
if [ -z "$documented" ] || [ "$documented" != "$compiled" ]; then
  echo "build-kernels: kernels documented in cuda-kernels/KERNELS.md and kernels in the PTX differ:" >&2
  diff <(echo "$documented") <(echo "$compiled") | sed -n 's/^</  documented only: /p; s/^>/  compiled only:   /p' >&2
  exit 1
fi

# Fatbin layout: 16-byte header (magic 0xBA55ED50, header size at byte 6, payload size at byte 8),
# then images, each with its header size at +4, payload size at +8, kind at +0 (1 PTX, 2 SASS)
# and architecture at +28.
fatbin="$work/gemma4j.fatbin"
u16() { od -A n -t u2 -j "$2" -N 2 "$1" | tr -d ' '; }
u32() { od -A n -t u4 -j "$2" -N 4 "$1" | tr -d ' '; }
u64() { od -A n -t u8 -j "$2" -N 8 "$1" | tr -d ' '; }
[ -s "$fatbin" ] || { echo "build-kernels: nvcc wrote no fatbin" >&2; exit 1; }
if [ "$(u32 "$fatbin" 0)" != 3126193488 ]; then
  echo "build-kernels: $fatbin does not start with the fatbin magic 0xBA55ED50" >&2
  exit 1
fi
offset=$(u16 "$fatbin" 6)
end=$((offset + $(u64 "$fatbin" 8)))
images=()
while [ "$offset" -lt "$end" ]; do
  case $(u16 "$fatbin" "$offset") in
    1) kind=compute ;;
    2) kind=sm ;;
    *) kind=unknown ;;
  esac
  images+=("${kind}_$(u32 "$fatbin" $((offset + 28)))")
  offset=$((offset + $(u32 "$fatbin" $((offset + 4))) + $(u64 "$fatbin" $((offset + 8)))))
done
for want in sm_80 sm_86 sm_89 sm_90 compute_90; do
  if [[ " ${images[*]} " != *" $want "* ]]; then
    echo "build-kernels: the fatbin has no $want image (images: ${images[*]})" >&2
    exit 1
  fi
done

mv -f "$fatbin" "$out"
echo "build-kernels: $(echo "$compiled" | wc -l) kernels, images ${images[*]}, no spills;" \
     "$(stat -c %s "$out") bytes -> $out ($((SECONDS - start)) s)"
