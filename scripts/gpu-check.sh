#!/usr/bin/env bash
# On a GPU host: runs every gpu-tagged test, CUDA-vs-CPU parity on the tiny and synthetic models,
# the benchmark matrix, and (when PyTorch and transformers are importable) Hugging Face as an
# independent peer on the same card; logs and JSON go to $OUT (default /tmp/gpu-check); a compact
# table comes last, with one line per (model, batch) of the benchmark.
# Needs .cache/gpu-bundle from scripts/gpu-bundle.sh (or a Java 25 in JAVA_HOME and a built tree).
#
# Expected durations on one H100 80 GB, estimated from the work each step does (weights filled on the
# device, 128 + 128 tokens per sequence, 105 prefills and 508 decode steps per model in the sweep),
# not yet timed there; each step after the tests has a timeout, so a hang cannot hold the card longer:
#   gpu tests          ~1 min
#   parity, 4 models   ~2 min    (timeout 240 s each; the CPU side of the synthetic models dominates)
#   bench sweeps       ~1.5 min  (2B ~30 s, 7B ~45 s, each with JVM start and limit measurement;
#                                 timeout 180 s each)
#   prefill 1,024      ~30 s     (2B and 7B, batch 1; timeout 90 s each)
#   7B in 18 GiB       ~25 s     (2,048 + 256 tokens, prefill in 512-token chunks; timeout 90 s)
#   HF peer            ~1.5 min  (import, random fp16 2B and 7B built on the device, 127 decode steps
#                                 each at ~25 ms of Python per step; timeout 150 s each)
# about 7.5 minutes in all.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${OUT:-/tmp/gpu-check}"
mkdir -p "$out"
bundle=.cache/gpu-bundle
java="$bundle/jdk/bin/java"
[[ -x "$java" ]] || java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
if [[ ! -f .cache/tokenizer/tokenizer.json && -f "$bundle/tokenizer.json.gz" ]]; then
  mkdir -p .cache/tokenizer && gunzip -c "$bundle/tokenizer.json.gz" > .cache/tokenizer/tokenizer.json
fi
jar="$bundle/gemma4j.jar"; [[ -f "$jar" ]] || jar=target/gemma4j.jar
jopts=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dgemma4j.home="$root")
g4j() { "$java" "${jopts[@]}" -jar "$jar" "$@"; }
declare -a rows
row() { rows+=("$(printf '%-34s %s' "$1" "$2")"); }

{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi not found"; nvidia-smi 2>/dev/null | sed -n 3p; } \
  > "$out/gpu.txt" 2>&1
row "gpu" "$(head -1 "$out/gpu.txt")"
row "driver / cuda" "$(sed -n 2p "$out/gpu.txt" | tr -s ' ' | cut -c1-60)"

# 1. gpu-tagged tests
"$java" "${jopts[@]}" -jar "$bundle"/junit-platform-console-standalone-*.jar execute \
  --class-path "$jar:$bundle/test-classes" --select-package dev.gemma4j.cuda --include-tag gpu \
  --details=tree --disable-banner > "$out/gpu-tests.log" 2>&1
rc=$?
row "gpu tests" "$(grep -E 'tests (found|successful|failed|aborted)|containers aborted' "$out/gpu-tests.log" | tr -s ' ' | tr '\n' ' ') (rc $rc)"

# 2. parity: CUDA vs CPU
for m in tiny-mqa tiny-mha synthetic-2b synthetic-7b; do
  timeout 240 "$java" "${jopts[@]}" -jar "$jar" parity -m "$m" > "$out/parity-$m.log" 2>&1
  rc=$?
  row "parity $m" "logits rel $(awk '/^logits/{print $2}' "$out/parity-$m.log"), $(grep -o 'agreeing: .*' "$out/parity-$m.log") (rc $rc)"
done

# 3. benchmark: decode at batch 1, 8, 32 and 64 (128-token prompts, 128 new tokens), a 1,024-token
# prefill in one pass, and the memory plan of 7B in 18 GiB. gemma4j bench prints one table row per
# batch whose header names the columns; bench_rows turns those into summary lines.
declare -a bench profiles
bench_rows() {  # MODEL LOG: model, batch, decode tok/s per sequence and all, limit, fractions, x batch 1
  awk -v m="$1" '
    $1 == "batch" && NF > 5 { for (i = 1; i <= NF; i++) col[$i] = i; t = 1; next }
    t && $1 ~ /^[0-9]+$/ {
      if ($1 == 1) one = $(col["decode_tok/s/seq"])
      printf "%-13s %5s %12s %12s %12s %9s %9s %9s\n", m, $1, $(col["decode_tok/s/seq"]), $(col["decode_tok/s_all"]),
        $(col["limit_tok/s/seq"]), $(col["decode_frac"]), $(col["prefill_frac"]),
        (one > 0 ? sprintf("%.1fx", $(col["decode_tok/s_all"]) / one) : "-")
      next
    }
    t && NF == 0 { t = 0 }' "$2"
}
for m in synthetic-2b synthetic-7b; do
  timeout 180 "$java" "${jopts[@]}" -jar "$jar" bench -m "$m" --device cuda --batch 1,8,32,64 \
    --prompt-tokens 128 --new-tokens 128 --profile 8 --json "$out/bench-$m.json" > "$out/bench-$m.log" 2>&1
  rc=$?
  [[ $rc -eq 0 ]] || bench+=("$(printf '%-13s failed (rc %s): %s' "$m" "$rc" "$(tail -1 "$out/bench-$m.log" | cut -c1-100)")")
  mapfile -t -O "${#bench[@]}" bench < <(bench_rows "$m" "$out/bench-$m.log")
  # Where a decode step's device time goes (CUDA events, launch by launch): the top 4 per batch size.
  [[ -f "$out/bench-$m.json" ]] && mapfile -t -O "${#profiles[@]}" profiles < <(python3 - "$m" "$out/bench-$m.json" <<'PY'
import json, sys
for p in json.load(open(sys.argv[2])).get("profiles", []):
    top = ", ".join("%s %.0f" % (k["name"], k["us_per_step"]) for k in p["kernels"][:4])
    print("%-13s %3d  step %.0f us = kernels %.0f + gaps %.0f; %s" % (sys.argv[1], p["batch"], p["step_us"],
          p["kernel_us_per_step"], p["gap_us_per_step"], top))
PY
)
  timeout 90 "$java" "${jopts[@]}" -jar "$jar" bench -m "$m" --device cuda --batch 1 \
    --prompt-tokens 1024 --new-tokens 16 --json "$out/bench-$m-prefill1024.json" > "$out/bench-$m-prefill1024.log" 2>&1
  rc=$?
  row "prefill 1024 $m" "$(awk '$1 == "batch" && NF > 5 { for (i = 1; i <= NF; i++) c[$i] = i; t = 1; next }
    t && $1 == 1 { print $(c["prefill_tok/s"]) " (" $(c["prefill_frac"]) " of " $(c["prefill_limit"]) "), ttft " $(c["ttft_s"]) " s" }' \
    "$out/bench-$m-prefill1024.log") (rc $rc)"
done
timeout 90 "$java" "${jopts[@]}" -jar "$jar" bench -m synthetic-7b --device cuda --gpu-memory 18GiB \
  --prompt-tokens 2048 --new-tokens 256 --max-batch 512 --json "$out/bench-7b-18gib.json" > "$out/bench-7b-18gib.log" 2>&1
rc=$?
row "7B in 18 GiB, 2048+256 tokens" "$(awk '$1 == "batch" && NF > 5 { for (i = 1; i <= NF; i++) c[$i] = i; t = 1; next }
  t && $1 == 1 { print "peak " $(c["peak_GiB"]) " GiB (engine), " $(c["device_used_GiB"]) " GiB in use on the device, decode " $(c["decode_frac"]) " of limit" }' \
  "$out/bench-7b-18gib.log") (rc $rc)"

# 4. Hugging Face transformers as an independent peer on the same card
if python3 -c 'import torch, transformers' 2>/dev/null; then
  g4j logits -m tiny-mqa --device cuda --tokens 2,651,1234,4567,235,9999,17,42 --out "$out/g4j-tiny-mqa.npy" > "$out/hf.log" 2>&1
  python3 "$bundle/hf-peer.py" "$(ls -d test-models/generated/tiny-mqa-f32)" "$out/g4j-tiny-mqa.npy" 2,651,1234,4567,235,9999,17,42 >> "$out/hf.log" 2>&1
  row "hf transformers vs gemma4j (tiny-mqa)" "$(tail -1 "$out/hf.log")"
  for m in synthetic-2b synthetic-7b; do
    timeout 150 python3 "$bundle/hf-peer.py" speed "$m" 128 128 1024 > "$out/hf-speed-$m.log" 2>&1
    rc=$?
    row "hf transformers speed $m" "$(tail -1 "$out/hf-speed-$m.log" | cut -c1-220) (rc $rc)"
  done
else
  row "hf transformers" "not importable here; skipped"
fi

{
  printf '%s\n' "${rows[@]}"
  echo
  echo "gemma4j bench --device cuda, 128-token prompts, 128 new tokens (127 timed decode steps); decode limit ="
  echo "copy bandwidth / bytes per step, prefill limit = cuBLAS fp16 GEMM rate / prompt GEMM flops, both measured in the run"
  echo "targets: 7B batch-1 decode >= 90% of limit, 2B >= 80%, 1,024-token prefill >= 70%, batch-64 aggregate >= 40x batch 1"
  printf '%-13s %5s %12s %12s %12s %9s %9s %9s\n' model batch tok/s/seq tok/s_all limit/seq decode prefill 'x batch1'
  printf '%s\n' "${bench[@]}"
  echo
  echo "profile (--profile 8: 8 more decode steps launch by launch with CUDA events; us per step):"
  printf '%s\n' "${profiles[@]}"
} | tee "$out/summary.txt"
