#!/usr/bin/env bash
# On a GPU host: runs every gpu-tagged test, CUDA-vs-CPU parity on the tiny and synthetic models,
# a short benchmark, and (when PyTorch and transformers are importable) Hugging Face as an
# independent peer on the same card; logs go to $OUT (default /tmp/gpu-check); a compact table last.
# Needs .cache/gpu-bundle from scripts/gpu-bundle.sh (or a Java 25 in JAVA_HOME and a built tree).
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

# 3. benchmark (batch 1) and the memory plan of 7B in 18 GiB
for m in synthetic-2b synthetic-7b; do
  timeout 240 "$java" "${jopts[@]}" -jar "$jar" bench -m "$m" --device cuda --prompt-tokens 128 --new-tokens 128 \
    --json "$out/bench-$m.json" \
    > "$out/bench-$m.log" 2>&1
  row "bench $m decode tok/s (of limit)" "$(awk '/^decode_tokens_per_s/{d=$2} /^decode_fraction_of_limit/{f=$2} END{print d" ("f")"}' "$out/bench-$m.log")"
  row "bench $m prefill tok/s (of limit)" "$(awk '/^prefill_tokens_per_s/{d=$2} /^prefill_fraction_of_limit/{f=$2} END{print d" ("f")"}' "$out/bench-$m.log")"
done
timeout 240 "$java" "${jopts[@]}" -jar "$jar" bench -m synthetic-7b --device cuda --gpu-memory 18GiB \
  --prompt-tokens 2048 --new-tokens 256 \
  > "$out/bench-7b-18gib.log" 2>&1
row "7B in 18 GiB, 2048+256 tokens" "peak $(awk '/^peak_device_memory_bytes/{printf "%.2f GiB", $2/2^30}' "$out/bench-7b-18gib.log") (rc $?)"

# 4. Hugging Face transformers as an independent peer on the same card
if python3 -c 'import torch, transformers' 2>/dev/null; then
  g4j logits -m tiny-mqa --device cuda --tokens 2,651,1234,4567,235,9999,17,42 --out "$out/g4j-tiny-mqa.npy" > "$out/hf.log" 2>&1
  python3 "$bundle/hf-peer.py" "$(ls -d test-models/generated/tiny-mqa-f32)" "$out/g4j-tiny-mqa.npy" 2,651,1234,4567,235,9999,17,42 >> "$out/hf.log" 2>&1
  row "hf transformers vs gemma4j (tiny-mqa)" "$(tail -1 "$out/hf.log")"
else
  row "hf transformers" "not importable here; skipped"
fi

printf '%s\n' "${rows[@]}" | tee "$out/summary.txt"
