#!/usr/bin/env bash
# gemma4j's CPU engine next to llama.cpp (node-llama-cpp 3.22.1's prebuilt CPU binary) on the same
# 2B-shaped weights, the same prompts and the same thread count, with an F32 KV cache on both.
#
#   scripts/bench-vs-llamacpp.sh [--reps N] [--threads T] [--json FILE] [--dtypes bf16,f16,q8_0,q4_k_m]
#                                [--shape SHAPE] [--quick]
#
#   --reps N        repetitions of every figure (default 3): min / median / max are printed
#   --threads T     threads of both engines (default: nproc). gemma4j runs with -XX:ActiveProcessorCount=T,
#                   so its parallel streams (the common pool plus the calling thread) and its limit
#                   measurements use T threads; llama.cpp gets threads {ideal: T, min: T}
#   --json FILE     also write the table's numbers, unrounded, with every run's figure
#   --dtypes LIST   checkpoint types to compare (default bf16,f16): bf16 and f16 are Hugging Face folders
#                   for gemma4j and GGUF files of the same bytes for llama.cpp; q8_0 and q4_k_m are the
#                   bf16 GGUF quantized by llama.cpp's own quantizer (llama_model_quantize, as
#                   llama-quantize makes Q8_0 and Q4_K_M files), the same file for both engines
#   --shape SHAPE   the model's shape: a bench shape of gemma4j (default synthetic-2b; also
#                   synthetic-7b, synthetic-gemma2-2b, synthetic-gemma3-1b, synthetic-gemma3-4b), its
#                   checkpoints under <home>/.cache/bench-<shape without "synthetic-">/
#   --quick         2 layers instead of all of them, to check the script end to end in a few minutes
#
# What it does: builds gemma4j and its test classes, fetches the tokenizer and installs the oracle
# when missing, writes each dtype's checkpoint once into <home>/.cache/bench-2b/ (BenchCheckpoints: a
# Hugging Face folder for gemma4j and a GGUF file of the same bytes for llama.cpp; reused while its
# recipe is current), writes gemma4j bench's prompts (seed 1234) as token ids for llama.cpp, then for
# each dtype and each repetition runs, one after another: gemma4j decode (`gemma4j bench --device cpu`,
# 128-token prompt, 32 new tokens: decode tok/s and the 128-token prefill), llama.cpp decode (the
# same), gemma4j prefill of 512 tokens, llama.cpp prefill of 512 tokens. Each run is a fresh process
# that warms up before it times. Every gemma4j bench run also measures the machine's limits (memory
# read bandwidth for decode, fp32 FMA peak for prefill); the table states every figure of both
# engines against the best of those measurements.
#
# Time, measured on a busy 2-core machine: writing a full-size checkpoint about 2 minutes per dtype;
# one repetition of one dtype about 18 minutes (most of it gemma4j's 512-token prefill, which its
# warm-up runs once more); --quick about 3 minutes per dtype. Disk: 10 GB per dtype at full size.
# The home is $GEMMA4J_HOME when set, else this checkout; runs' JSON goes to
# <home>/.cache/bench-2b/runs/<date>/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
home="${GEMMA4J_HOME:-$root}"

fail() { echo "bench-vs-llamacpp: $*" >&2; exit 2; }

reps=3
threads="$(nproc)"
json=""
dtypes="bf16,f16"
layers=all
shape=synthetic-2b
while (( $# > 0 )); do
  case "$1" in
    --reps|--threads|--json|--dtypes|--shape)
      (( $# >= 2 )) || fail "$1 needs a value"
      case "$1" in
        --reps) reps="$2" ;;
        --threads) threads="$2" ;;
        --json) json="$(realpath -m -- "$2")" ;;
        --dtypes) dtypes="$2" ;;
        --shape) shape="$2" ;;
      esac
      shift 2 ;;
    --quick) layers=2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) fail "unknown argument '$1' (expected --reps N, --threads T, --json FILE, --dtypes bf16,f16, --shape SHAPE, --quick)" ;;
  esac
done
[[ "$reps" =~ ^[1-9][0-9]*$ ]] || fail "--reps takes an integer of at least 1, found '$reps'"
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || fail "--threads takes an integer of at least 1, found '$threads'"
IFS=, read -r -a dtype_list <<< "$dtypes"
(( ${#dtype_list[@]} > 0 )) || fail "--dtypes takes bf16, f16, q8_0, q4_k_m separated by commas, found '$dtypes'"
for d in "${dtype_list[@]}"; do
  [[ "$d" == bf16 || "$d" == f16 || "$d" == q8_0 || "$d" == q4_k_m ]] \
    || fail "--dtypes takes bf16, f16, q8_0, q4_k_m separated by commas, found '$d' in '$dtypes'"
done

cd "$root"
if [[ -z "${JAVA_HOME:-}" && -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"

"$root/scripts/fetch-tokenizer.sh" >&2
"$root/scripts/install-oracle.sh" >&2
echo "building gemma4j and its test classes…" >&2
./mvnw -q -B -DskipTests package >&2
./mvnw -q -B -pl java/core dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$root/target/core/test-classpath.txt" >&2
classpath="$root/target/core/test-classes:$root/target/core/classes:$(cat "$root/target/core/test-classpath.txt")"
checkpoints() {
  "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dgemma4j.home="$home" \
    -cp "$classpath" dev.gemma4j.oracle.BenchCheckpoints "$@"
}

case "$shape" in
  synthetic-2b|synthetic-7b|synthetic-gemma2-2b|synthetic-gemma3-1b|synthetic-gemma3-4b) ;;
  *) fail "--shape takes synthetic-2b, synthetic-7b, synthetic-gemma2-2b, synthetic-gemma3-1b or synthetic-gemma3-4b, found '$shape'" ;;
esac
cache="$home/.cache/bench-${shape#synthetic-}"
work="$cache/runs/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$work"
layer_args=(--shape "$shape")
[[ "$layers" == all ]] || layer_args+=(--layers "$layers")
declare -A model_dir gemma4j_model
for d in "${dtype_list[@]}"; do
  case "$d" in
    bf16|f16)
      model_dir[$d]="$(checkpoints checkpoint "$cache" "$d" "${layer_args[@]}")"
      gemma4j_model[$d]="${model_dir[$d]}/hf" ;;
    *)
      model_dir[$d]="$(checkpoints quantized "$cache" "$d" "${layer_args[@]}")"
      gemma4j_model[$d]="${model_dir[$d]}/model.gguf" ;;
  esac
  echo "$d checkpoint: ${model_dir[$d]}" >&2
done
# gemma4j bench's prompts (BOS, then ids from seed 1234) depend only on the config's vocabulary and
# BOS, which every type's file shares with the bf16 folder (written for the quantized ones too).
seed=1234
prompt_config="$(checkpoints checkpoint "$cache" bf16 "${layer_args[@]}")/hf"
for p in 128 512; do
  checkpoints prompt "$prompt_config" "$p" "$seed" "$work/prompt-$p.json"
done

# One run of each engine: a name for its JSON, the checkpoint dtype, the prompt and new tokens.
gemma4j_run() {
  local name="$1" d="$2" prompt="$3" new="$4"
  echo "gemma4j $name ($d, $prompt-token prompt, $new new tokens, $threads threads)" >&2
  GEMMA4J_HOME="$home" GEMMA4J_JAVA_OPTS="-XX:ActiveProcessorCount=$threads ${GEMMA4J_JAVA_OPTS:-}" \
    "$root/gemma4j" bench --device cpu --model "${gemma4j_model[$d]}" --prompt-tokens "$prompt" --new-tokens "$new" \
    --seed "$seed" --json "$work/gemma4j-$name.json" > "$work/gemma4j-$name.log" 2>&1 \
    || { tail -20 "$work/gemma4j-$name.log" >&2; fail "gemma4j bench failed; log: $work/gemma4j-$name.log"; }
}
llamacpp_run() {
  local name="$1" d="$2" prompt="$3" new="$4"
  echo "llama.cpp $name ($d, $prompt-token prompt, $new new tokens, $threads threads)" >&2
  GEMMA4J_HOME="$home" node "$root/scripts/oracle/bench.mjs" --model "${model_dir[$d]}/model.gguf" --threads "$threads" \
    --prompt "$work/prompt-$prompt.json" --new-tokens "$new" --out "$work/llamacpp-$name.json" > "$work/llamacpp-$name.log" 2>&1 \
    || { tail -20 "$work/llamacpp-$name.log" >&2; fail "llama.cpp bench failed; log: $work/llamacpp-$name.log"; }
}

for d in "${dtype_list[@]}"; do
  for (( rep = 1; rep <= reps; rep++ )); do
    gemma4j_run "$d-decode-$rep" "$d" 128 32
    llamacpp_run "$d-decode-$rep" "$d" 128 32
    # Two new tokens, the fewest bench takes: only the prefill of this run is read.
    gemma4j_run "$d-prefill512-$rep" "$d" 512 2
    llamacpp_run "$d-prefill512-$rep" "$d" 512 2
  done
done

layer_count="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).num_hidden_layers)' "$prompt_config/config.json")"
cpu="$(lscpu | sed -n 's/^Model name: *//p')"
flags="$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx512|amx)' | tr '\n' ' ' || true)"
echo >&2
node "$root/scripts/oracle/bench-summary.mjs" --dir "$work" --dtypes "$dtypes" --reps "$reps" --threads "$threads" \
  --layers "$layer_count" --shape "$shape" --cpu "${cpu:-unknown}" --flags "${flags:-no AVX-512 or AMX flags}" ${json:+--json "$json"}
echo "runs' JSON and logs: $work" >&2
