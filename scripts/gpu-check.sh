#!/usr/bin/env bash
# gpu-check.sh [--dry-run] [--deadline SECONDS]
#
# On a GPU host: the gpu-tagged tests, gemma4j bench on the synthetic 2B and 7B shapes (batch 1 to
# 64, a 1,024-token prefill, decode at 4,096 and 8,192 tokens of context, 7B in 18 GiB), CUDA-vs-CPU
# parity, which kernels cuBLASLt picks, and Hugging Face transformers as an independent peer, the
# most telling steps first. Each switch of dev.gemma4j.cuda.CudaSwitches is run with both values in
# the same call and printed side by side, so one run can pick the defaults from figures.
#
# Made for a device reached by one command of at most 600 s, of whose $OUT at most 8 files come
# back: every step runs under `timeout` within a global deadline (default 540 s; a step gets the
# smaller of its own timeout and what is left, and a step expected to take longer than what is left
# is recorded as skipped), and $OUT (default /tmp/gpu-check) receives exactly three files, rewritten
# after every step so that a hang or a kill still returns what ran:
#   summary.txt    the table (also printed at the end)
#   figures.json   every figure: per step its status, times and figures (bench's whole JSON)
#   logs.tar.gz    every step's log, bench JSON, JUnit reports and cuBLASLt's log
# On such a host: send the checkout with .cache/gpu-bundle (scripts/gpu-bundle.sh makes it), run
#   scripts/gpu-check.sh
# as the one command, with a time limit of 600 s, and read back the three files of $OUT.
# Exit status: 0 when every step that ran passed, 1 otherwise.
#
# --dry-run runs the same steps here against the stand-in driver (cuda-kernels/emulation), with the
# tiny test models in place of 2B and 7B and short prompts, then checks its own output: at most 4
# files in $OUT (default target/gpu-check-dry, emptied first), summary and JSON parseable, a log
# per step in the tarball, no step failed or skipped at the deadline. It needs target/gemma4j.jar
# with the kernels, target/core/test-classes and JAVA_HOME (Java 25); GEMMA4J_CUDA_LIB and
# GEMMA4J_CUBLAS_LIB may name a built stand-in driver, else it is built into target/fakecuda.
# scripts/test.sh runs it with the device's limits: about 4 minutes on two cores, where an emulated
# decode step of these shapes costs a tenth of a second or more. GPU_CHECK_SLOWER=N multiplies every
# step's expected time and time limit by N, for a slow or loaded host.
#
# Expected time of each step on one H200 (each a fresh JVM: start, cuInit and cuBLAS, the limits
# measured, weights filled on the device; estimated from the work, not yet timed there):
#   environment              2 s   nvidia-smi, which libcuda / libcublas / libcublasLt load
#   tests-kernels           30 s   KernelsGpuTest, CudaBindingsGpuTest
#   decode-2b  x2 (gemv)    10 s   batch 1 and 8, 128 + 128 tokens, --profile 8
#   decode-7b  x2 (gemv)    15 s
#   prefill-2b x2 (attn)     8 s   one 1,024-token prompt
#   prefill-7b x2 (attn)    12 s
#   ctx4096-2b x2 (attn)    10 s   4,096-token prompt, 32 new tokens
#   tests-backend           45 s   CudaBackendGpuTest, CudaDecodeStepGpuTest, BatchInvarianceGpuTest, CudaBf16GpuTest,
#                                  CudaGemma23GpuTest
#   batches-2b / -7b     15/20 s   batch 1, 8, 32, 64
#   parity x4        5/5/25/15 s   tiny-mqa, tiny-mha, synthetic-2b, synthetic-7b (2 layers); the CPU side dominates
#   budget-7b-18gib         15 s   2,048 + 256 tokens in 18 GiB, prefill in 512-token chunks
#   cublaslt-2b             10 s   batch 1 and 8, 4 new tokens, CUBLASLT_LOG_LEVEL=2
#   ctx8192-2b x2 (attn)    12 s   8,160-token prompt, 32 new tokens
#   hf-*             10/40/50 s    logits of tiny-mqa; batch-1 speed of the 2B and 7B shapes
# about 430 s in all; what does not fit in the deadline is skipped, the Hugging Face peer first.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root" || exit 1

mode=device
deadline=540
while (( $# )); do
  case $1 in
    --dry-run) mode=dry-run ;;
    --deadline) deadline=${2:?--deadline takes seconds}; shift ;;
    --deadline=*) deadline=${1#*=} ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu-check: unknown argument '$1' (expected --dry-run, --deadline SECONDS)" >&2; exit 2 ;;
  esac
  shift
done
[[ $deadline =~ ^[0-9]+$ ]] || { echo "gpu-check: --deadline takes whole seconds, found '$deadline'" >&2; exit 2; }
dry() { [[ $mode == dry-run ]]; }
slower=${GPU_CHECK_SLOWER:-1}
[[ $slower =~ ^[1-9][0-9]*$ ]] || { echo "gpu-check: GPU_CHECK_SLOWER takes a whole factor >= 1, found '$slower'" >&2; exit 2; }

if dry && [[ -z ${OUT:-} ]]; then rm -rf "$root/target/gpu-check-dry"; fi
out="${OUT:-$(dry && echo "$root/target/gpu-check-dry" || echo /tmp/gpu-check)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
rm -f "$out/summary.txt" "$out/figures.json" "$out/logs.tar.gz"
# The work folder sits beside $OUT (same file system, so each result file is renamed into place
# whole), never inside it: only the three result files may land in $OUT.
work="$(mktemp -d "$(dirname "$out")/.gpu-check-work.XXXXXX" 2>/dev/null || mktemp -d)"
trap 'rm -rf "$work"' EXIT
logs="$work/logs"
mkdir -p "$logs"
: > "$work/steps.tsv"
: > "$work/environment.tsv"
echo "mode=$mode deadline=$deadline started=$(date +%s)" > "$work/meta"

# ---- what runs: the JDK, the jar, the test classes, the JUnit console launcher ----
bundle=.cache/gpu-bundle
junit_version="$(sed -n 's:.*<junit.version>\(.*\)</junit.version>.*:\1:p' pom.xml | head -1)"
if dry; then
  java="${JAVA_HOME:?gpu-check --dry-run needs JAVA_HOME (Java 25)}/bin/java"
  jar=target/gemma4j.jar
  test_classes=target/core/test-classes
  console=target/junit-console/junit-platform-console-standalone-$junit_version.jar
  if [[ ! -f $console ]]; then
    ./mvnw -q -B -o -N dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit_version" \
      -DoutputDirectory=target/junit-console >/dev/null 2>&1 ||
      ./mvnw -q -B -N dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit_version" \
        -DoutputDirectory=target/junit-console
  fi
  if [[ -z ${GEMMA4J_CUDA_LIB:-} ]]; then
    fake=target/fakecuda/libfakecuda.so
    if [[ ! -f $fake || -n "$(find cuda-kernels -newer "$fake" -type f -print -quit)" ]]; then
      cuda-kernels/emulation/build-fake-driver.sh "$fake" || exit 1
    fi
    export GEMMA4J_CUDA_LIB="$root/$fake" GEMMA4J_CUBLAS_LIB="$root/$fake"
  fi
else
  java="$bundle/jdk/bin/java"
  [[ -x $java ]] || java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
  jar="$bundle/gemma4j.jar"; [[ -f $jar ]] || jar=target/gemma4j.jar
  test_classes="$bundle/test-classes"; [[ -d $test_classes ]] || test_classes=target/core/test-classes
  console="$bundle/junit-platform-console-standalone-$junit_version.jar"
  if [[ ! -f .cache/tokenizer/tokenizer.json && -f $bundle/tokenizer.json.gz ]]; then
    mkdir -p .cache/tokenizer && gunzip -c "$bundle/tokenizer.json.gz" > .cache/tokenizer/tokenizer.json
  fi
fi
for need in "$java" "$jar" "$test_classes" "$console"; do
  [[ -e $need ]] || { echo "gpu-check: $need is missing (scripts/gpu-bundle.sh, or ./mvnw package test-compile)" >&2; exit 1; }
done
python3 - "$jar" <<'PY' || { echo "gpu-check: $jar holds no kernels (dev/gemma4j/cuda/gemma4j.fatbin); build it where nvcc is" >&2; exit 1; }
import sys, zipfile
sys.exit(0 if "dev/gemma4j/cuda/gemma4j.fatbin" in zipfile.ZipFile(sys.argv[1]).namelist() else 1)
PY
# A JVM that crashes (a bad pointer handed to the driver, say) leaves its report with the logs.
jv=("$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dgemma4j.home="$root"
    "-XX:ErrorFile=$logs/hs_err_pid%p.log")
junit=("${jv[@]}" -jar "$console" execute --class-path "$jar:$test_classes" --include-tag gpu
       --details=tree --disable-banner --disable-ansi-colors)

# ---- results: rebuilt after every step ----
report() {
  python3 scripts/gpu-check-report.py "$work" "$out" 2>"$work/report.err" ||
    { echo "gpu-check: the report failed: $(tail -1 "$work/report.err")" > "$out/summary.txt"; cat "$work/report.err" >> "$out/summary.txt"; }
  # A log past 4 MiB keeps its first and last 2 MiB, so the tarball stays far below 16 MiB.
  find "$logs" -type f -size +4M -print0 | while IFS= read -r -d '' big; do
    { head -c 2M "$big"; printf '\n[... %s bytes cut by gpu-check ...]\n' "$(stat -c %s "$big")"; tail -c 2M "$big"; } \
      > "$big.cut" && mv -f "$big.cut" "$big"
  done
  tar -C "$work" -czf "$work/logs.tar.gz" logs && mv -f "$work/logs.tar.gz" "$out/logs.tar.gz"
}
env_line() { printf '%s\t%s\n' "$1" "$2" >> "$work/environment.tsv"; }

n=0
# step NAME KIND EXPECTED_S TIMEOUT_S SWITCH -- COMMAND...
# Runs COMMAND (a program or a function of this script) under timeout with its output in the log
# logs/ID.log; in COMMAND, @LOG@ stands for logs/ID without an extension (for --json @LOG@.json).
# SWITCH is `-` or PROPERTY=VALUE, the CudaSwitches value the step measures.
step() {
  local name=$1 kind=$2 expected=$3 limit=$4 switch=$5 status rc budget start arg
  shift 6
  n=$((n + 1)) expected=$((expected * slower)) limit=$((limit * slower))
  local id; id="$(printf '%02d-%s' "$n" "$name")"
  [[ $switch == - ]] || id+="-${switch#gemma4j.cuda.}"
  id="${id//=/-}"
  local log="$logs/$id.log" left=$((deadline - SECONDS))
  local -a cmd=()
  for arg in "$@"; do cmd+=("${arg//@LOG@/$logs/$id}"); done
  budget=$((limit < left ? limit : left)) budget=$((budget > 1 ? budget : 1))
  start=$SECONDS
  if [[ -n ${skip_reason:-} ]]; then
    status=skipped; rc=-; budget=0
    echo "skipped: $skip_reason" > "$log"
  elif (( left < expected )); then
    status="skipped"; rc=-; budget=0
    echo "skipped at the deadline: $((left > 0 ? left : 0)) s left of ${deadline} s, the step is expected to take ${expected} s" > "$log"
  else
    { echo "# $id: $(printf '%q ' "${cmd[@]}")"; echo "# timeout ${budget} s (own ${limit} s, ${left} s left)"; } > "$log"
    if declare -F "${cmd[0]}" >/dev/null; then
      "${cmd[@]}" >> "$log" 2>&1
    else
      timeout -k 5 "$budget" "${cmd[@]}" >> "$log" 2>&1
    fi
    rc=$?
    status=failed
    (( rc == 0 )) && status=ok
    (( rc == 124 || (rc == 137 && SECONDS - start >= budget) )) && status="timed out"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$name" "$kind" "$switch" "$expected" "$limit" "$budget" \
    "$status" "$rc" "$((SECONDS - start))" >> "$work/steps.tsv"
  printf '%-44s %-10s %4s s  %s\n' "$id" "$status" "$((SECONDS - start))" "$(tail -c 2000 "$log" | tr '\r' '\n' | grep -v -e '^$' -e '^fakecuda: ' | tail -1 | cut -c1-100)"
  report
}
skip_reason=

# ---- environment: the card, the driver, and which CUDA libraries will load ----
# The search mirrors dev.gemma4j.cuda.CudaLibraries: an explicit path, then the loader, then the
# install locations and the NVIDIA wheels of Python environments.
python_package_dirs() {
  local roots=() r e
  [[ -n ${VIRTUAL_ENV:-} ]] && roots+=("$VIRTUAL_ENV/lib")
  [[ -n ${CONDA_PREFIX:-} ]] && roots+=("$CONDA_PREFIX/lib")
  IFS=: read -ra e <<< "${PATH:-}"
  for r in "${e[@]}"; do [[ $r == /* ]] && roots+=("$(realpath -m "$r/../lib")"); done
  roots+=("$HOME/.local/lib" /usr/local/lib /usr/lib /opt/conda/lib)
  for r in "${roots[@]}"; do
    for e in "$r"/python3*/site-packages "$r"/python3*/dist-packages; do [[ -d $e ]] && echo "$e"; done
  done | awk '!seen[$0]++'
}
find_library() {  # VARIABLE SONAME... [-- PYTHON_SUBDIRS...]: prints "path<TAB>how found"
  local variable=$1 s d; shift
  local sonames=() subdirs=()
  while (( $# )) && [[ $1 != -- ]]; do sonames+=("$1"); shift; done
  (( $# )) && { shift; subdirs=("$@"); }
  local explicit="${!variable:-}"
  if [[ -n $explicit ]]; then
    if [[ -d $explicit ]]; then
      for s in "${sonames[@]}"; do [[ -e $explicit/$s ]] && { printf '%s\t%s\n' "$explicit/$s" "$variable"; return; }; done
    fi
    printf '%s\t%s\n' "$explicit" "$variable"; return
  fi
  for s in "${sonames[@]}"; do
    local IFS=:
    for d in ${LD_LIBRARY_PATH:-}; do [[ -n $d && -e $d/$s ]] && { printf '%s\t%s\n' "$d/$s" "LD_LIBRARY_PATH"; return; }; done
    unset IFS
    d="$(ldconfig -p 2>/dev/null | awk -v s="$s" '$1 == s && /x86-64/ { print $NF; exit }')"
    [[ -n $d ]] && { printf '%s\t%s\n' "$d" "ld.so.cache"; return; }
  done
  local dirs=()
  for d in "${CUDA_HOME:-}" "${CUDA_PATH:-}"; do [[ -n $d ]] && dirs+=("$d/lib64" "$d/targets/x86_64-linux/lib"); done
  dirs+=(/usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib)
  while IFS= read -r d; do dirs+=("$d/lib64" "$d/targets/x86_64-linux/lib"); done < <(find /usr/local -maxdepth 1 -name 'cuda-*' -type d 2>/dev/null | sort -r)
  dirs+=(/usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib/wsl/lib /usr/local/nvidia/lib64)
  [[ -n ${CONDA_PREFIX:-} ]] && dirs+=("$CONDA_PREFIX/lib")
  if (( ${#subdirs[@]} )); then
    while IFS= read -r d; do for s in "${subdirs[@]}"; do dirs+=("$d/$s"); done; done < <(python_package_dirs)
  fi
  for d in "${dirs[@]}"; do
    for s in "${sonames[@]}"; do [[ -e $d/$s ]] && { printf '%s\t%s\n' "$d/$s" "install location"; return; }; done
  done
  printf '%s\t%s\n' "not found" "searched ${#dirs[@]} folders"
}
environment() {
  local smi line cuda cublas lt dir
  if ! command -v nvidia-smi >/dev/null; then
    env_line gpu "nvidia-smi: not installed"
  elif smi="$(timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader 2>&1)"; then
    env_line gpu "$(head -1 <<< "$smi")"
    env_line "driver / cuda" "$(timeout 20 nvidia-smi 2>/dev/null | grep -o 'Driver Version.*CUDA Version: [0-9.]*' | tr -s ' ')"
    timeout 20 nvidia-smi
  else
    env_line gpu "nvidia-smi: ${smi:-not found}"
    echo "nvidia-smi: ${smi:-not found}"
  fi
  uname -a; "$java" -version 2>&1
  IFS=$'\t' read -r cuda line < <(find_library GEMMA4J_CUDA_LIB libcuda.so.1)
  env_line libcuda.so.1 "$cuda ($line$([[ -e $cuda ]] && echo ", $(readlink -f "$cuda")"))"
  IFS=$'\t' read -r cublas line < <(find_library GEMMA4J_CUBLAS_LIB libcublas.so.13 libcublas.so.12 -- nvidia/cu13/lib nvidia/cublas/lib)
  env_line libcublas "$cublas ($line$([[ -e $cublas ]] && echo ", $(readlink -f "$cublas")"))"
  if [[ -e $cublas ]] && ! dry; then
    dir="$(dirname "$cublas")"
    echo "RUNPATH of $cublas: $( (readelf -d "$cublas" || objdump -p "$cublas") 2>/dev/null | grep -E 'RUNPATH|RPATH' | tr -s ' ')"
    timeout 10 ldd "$cublas"
    lt="$(timeout 10 ldd "$cublas" 2>/dev/null | awk '/libcublasLt/ { print $3 == "not" ? "not found" : $3; exit }')"
    env_line libcublasLt "${lt:-not a need of libcublas} (the loader's choice for libcublas; in its folder: $(find "$dir" -maxdepth 1 -name 'libcublasLt.so.*' -printf '%f ' 2>/dev/null))"
    # cuBLAS opened by absolute path finds libcublasLt only through its RUNPATH or the loader's
    # path: where neither holds it, the run would fail at the first GEMM, so put its folder first.
    if [[ $lt == "not found" ]]; then
      export LD_LIBRARY_PATH="$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
      env_line "LD_LIBRARY_PATH" "$LD_LIBRARY_PATH (libcublasLt was not found from libcublas; its folder put first)"
    fi
  elif dry; then
    env_line libcublasLt "the stand-in driver implements the cuBLAS calls itself"
  fi
  env_line java "$("$java" -version 2>&1 | head -1)"
  cat "$work/environment.tsv"
}
step environment env 0 60 - -- environment

# ---- the steps, most telling first ----
if dry; then
  # fp16 checkpoints (no conversion kernels) with a small vocabulary, a few tokens: the emulation
  # runs every GPU thread in turn on one host thread, and a step of these shapes takes a second or so. The test steps
  # run one quick test per class through the same launcher (scripts/test.sh runs the whole classes
  # on the stand-in already).
  models=target/gpu-check-models
  "$java" -Dgemma4j.home="$root" -cp "$jar" dev.gemma4j.testmodels.TestModels "$models" tiny-mqa tiny-mha --dtype f16 >/dev/null &&
    python3 - "$models" tiny-mqa-f16 tiny-mha-f16 <<'PY' || exit 1
# The presets with their embedding cut to its first 4,096 rows: Gemma's 256,000 would make the
# sampling and logits kernels of every step start a million emulated threads.
import json, os, struct, sys
vocab = 4096
for name in sys.argv[2:]:
    src, dst = os.path.join(sys.argv[1], name), os.path.join(sys.argv[1], name + "-v%d" % vocab)
    os.makedirs(dst, exist_ok=True)
    config = json.load(open(os.path.join(src, "config.json")))
    config["vocab_size"] = vocab
    json.dump(config, open(os.path.join(dst, "config.json"), "w"), indent=2)
    with open(os.path.join(src, "model.safetensors"), "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta, tensors, out, blobs = header.pop("__metadata__", None), {}, 0, []
    for key, t in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        begin, end = t["data_offsets"]
        if key == "model.embed_tokens.weight":
            end = begin + (end - begin) * vocab // t["shape"][0]
            t["shape"][0] = vocab
        blobs.append(data[begin:end])
        tensors[key] = dict(t, data_offsets=[out, out + end - begin])
        out += end - begin
    if meta is not None:
        tensors["__metadata__"] = meta
    text = json.dumps(tensors).encode()
    text += b" " * (-len(text) % 8)
    with open(os.path.join(dst, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
PY
  m2=$models/tiny-mqa-f16-v4096 m7=$models/tiny-mha-f16-v4096
  prompt=(--prompt-tokens 8 --new-tokens 3) profile=1 few=1,2 batches=1,3
  prefill=(--prompt-tokens 32 --new-tokens 2) ctx4k=(--prompt-tokens 40 --new-tokens 2) ctx8k=(--prompt-tokens 48 --new-tokens 2)
  budget=(--gpu-memory 80MiB --prompt-tokens 24 --new-tokens 2 --max-batch 8) ltrun=(--prompt-tokens 8 --new-tokens 2)
  kernel_tests=(--select-method dev.gemma4j.cuda.KernelsGpuTest#embeddingGatherIsExact)  # the bindings test's PTX needs a real driver
  backend_tests=(--select-method dev.gemma4j.cuda.CudaBackendGpuTest#aPlanThatDoesNotFitIsRefusedBeforeAnyAllocation
                 --select-method dev.gemma4j.cuda.CudaDecodeStepGpuTest#thePoolHandsOutItsSlotsAndRefusesBeyondThem)
  parity_models=("$m2" "$m7") parity=(--prompt-tokens 4 --new-tokens 2) hf_shapes=()
else
  m2=synthetic-2b m7=synthetic-7b
  prompt=(--prompt-tokens 128 --new-tokens 128) profile=8 few=1,8 batches=1,8,32,64
  prefill=(--prompt-tokens 1024 --new-tokens 16) ctx4k=(--prompt-tokens 4096 --new-tokens 32) ctx8k=(--prompt-tokens 8160 --new-tokens 32)
  budget=(--gpu-memory 18GiB --prompt-tokens 2048 --new-tokens 256 --max-batch 512) ltrun=(--prompt-tokens 128 --new-tokens 4)
  kernel_tests=(--select-class dev.gemma4j.cuda.KernelsGpuTest --select-class dev.gemma4j.cuda.CudaBindingsGpuTest)
  backend_tests=(--select-class dev.gemma4j.cuda.CudaBackendGpuTest --select-class dev.gemma4j.cuda.CudaDecodeStepGpuTest
                 --select-class dev.gemma4j.cuda.BatchInvarianceGpuTest --select-class dev.gemma4j.cuda.CudaBf16GpuTest
                 --select-class dev.gemma4j.cuda.CudaGemma23GpuTest)
  parity_models=(tiny-mqa tiny-mha synthetic-2b synthetic-7b) parity=() hf_shapes=(synthetic-2b synthetic-7b)
fi
# Each step's two numbers: expected and own time limit in seconds on the device (see the header).
gemv=gemma4j.cuda.decodeGemv attention=gemma4j.cuda.decodeAttention prefill_attention=gemma4j.cuda.prefillAttention

step tests-kernels tests 30 120 - -- "${junit[@]}" "${kernel_tests[@]}" --reports-dir=@LOG@-junit
for v in cublas own; do
  step decode-2b bench 10 90 "$gemv=$v" -- "${jv[@]}" "-D$gemv=$v" -jar "$jar" bench -m "$m2" --device cuda \
    --batch "$few" "${prompt[@]}" --profile "$profile" --json @LOG@.json
done
for v in cublas own; do
  step decode-7b bench 15 120 "$gemv=$v" -- "${jv[@]}" "-D$gemv=$v" -jar "$jar" bench -m "$m7" --device cuda \
    --batch "$few" "${prompt[@]}" --profile "$profile" --json @LOG@.json
done
for m in 2b 7b; do
  model=$m2; [[ $m == 7b ]] && model=$m7
  for v in simt wmma; do
    step "prefill-$m" bench 12 90 "$prefill_attention=$v" -- "${jv[@]}" "-D$prefill_attention=$v" -jar "$jar" bench \
      -m "$model" --device cuda --batch 1 "${prefill[@]}" --json @LOG@.json
  done
done
for v in scalar vector; do
  step ctx4096-2b bench 10 90 "$attention=$v" -- "${jv[@]}" "-D$attention=$v" -jar "$jar" bench -m "$m2" --device cuda \
    --batch 1 "${ctx4k[@]}" --json @LOG@.json
done
step tests-backend tests 45 150 - -- "${junit[@]}" "${backend_tests[@]}" --reports-dir=@LOG@-junit
step batches-2b bench 15 90 - -- "${jv[@]}" -jar "$jar" bench -m "$m2" --device cuda --batch "$batches" "${prompt[@]}" \
  --json @LOG@.json
step batches-7b bench 20 120 - -- "${jv[@]}" -jar "$jar" bench -m "$m7" --device cuda --batch "$batches" "${prompt[@]}" \
  --json @LOG@.json
for m in "${parity_models[@]}"; do
  expected=5; [[ $m == synthetic-2b ]] && expected=25; [[ $m == synthetic-7b ]] && expected=15
  step "parity-$(basename "$m")" parity "$expected" 150 - -- "${jv[@]}" -jar "$jar" parity -m "$m" "${parity[@]}"
done
step budget-7b-18gib bench 15 90 - -- "${jv[@]}" -jar "$jar" bench -m "$m7" --device cuda "${budget[@]}" --json @LOG@.json
# cuBLASLt's trace names each matmul's shapes and the algorithm picked (tile, split-K, reduction);
# cuBLAS's own log, the calls gemma4j makes.
step cublaslt-2b cublaslt 10 60 - -- env CUBLASLT_LOG_LEVEL=2 CUBLASLT_LOG_FILE=@LOG@-cublaslt-%i.log \
  CUBLAS_LOGINFO_DBG=1 CUBLAS_LOGDEST_DBG=@LOG@-cublas.log \
  "${jv[@]}" -jar "$jar" bench -m "$m2" --device cuda --batch "$few" "${ltrun[@]}"
for v in scalar vector; do
  step ctx8192-2b bench 12 90 "$attention=$v" -- "${jv[@]}" "-D$attention=$v" -jar "$jar" bench -m "$m2" --device cuda \
    --batch 1 "${ctx8k[@]}" --json @LOG@.json
done

# Hugging Face transformers on the same card, where PyTorch and transformers import.
if ! python3 -c 'import torch, transformers' > "$work/hf-import.log" 2>&1; then
  skip_reason="PyTorch and transformers are not importable here ($(tail -1 "$work/hf-import.log"))"
fi
hf_ids=2,651,1234,4567,235,9999,17,42
step hf-logits-gemma4j hf 5 60 - -- "${jv[@]}" -jar "$jar" logits -m tiny-mqa --device cuda --tokens "$hf_ids" \
  --out "$work/g4j-tiny-mqa.npy"
step hf-logits hf 10 90 - -- python3 scripts/hf-peer.py test-models/generated/tiny-mqa-f32 "$work/g4j-tiny-mqa.npy" "$hf_ids"
for m in "${hf_shapes[@]}"; do
  step "hf-speed-${m#synthetic-}" hf 40 150 - -- python3 scripts/hf-peer.py speed "$m" 128 128 1024
done
skip_reason=

report
echo
cat "$out/summary.txt"

# ---- the result's own check: what the device's limits let come back ----
problems=()
entries=$(find "$out" -mindepth 1 | wc -l)
(( entries <= 4 )) || problems+=("$entries entries in $out, at most 4 may be there: $(find "$out" -mindepth 1 -printf '%P ')")
for f in "$out"/*; do
  (( $(stat -c %s "$f") <= 16 * 1024 * 1024 )) || problems+=("$f is over 16 MiB")
done
check="$(python3 - "$out" "$work/steps.tsv" "$mode" <<'PY'
import json, sys, tarfile
out, tsv, mode = sys.argv[1:]
steps = [line.split("\t") for line in open(tsv).read().splitlines()]
problems = []
summary = open(out + "/summary.txt").read()
if not summary.strip():
    problems.append("summary.txt is empty")
figures = json.load(open(out + "/figures.json"))
if len(figures["steps"]) != len(steps):
    problems.append("figures.json has %d steps, steps.tsv %d" % (len(figures["steps"]), len(steps)))
names = set(tarfile.open(out + "/logs.tar.gz").getnames())
for s in steps:
    if "logs/%s.log" % s[0] not in names:
        problems.append("logs.tar.gz holds no logs/%s.log" % s[0])
    if s[0] not in summary:
        problems.append("summary.txt does not name step %s" % s[0])
for s in figures["steps"]:
    counts = (s.get("figures") or {}).get("counts", {})
    if s["kind"] == "tests" and s["status"] != "skipped" and (not counts.get("tests_successful")
                                                               or counts.get("tests_aborted")):
        problems.append("step %s: of %s tests found, %s successful, %s aborted" % (
            s["id"], counts.get("tests_found"), counts.get("tests_successful"), counts.get("tests_aborted")))
    # The dry run must reach every step but the Hugging Face ones (no PyTorch in CI).
    if s["status"] in ("failed", "timed out") or (mode == "dry-run" and s["status"] == "skipped"
                                                  and not s["name"].startswith("hf-")):
        problems.append("step %s: %s%s: %s" % (s["id"], s["status"], "" if s["rc"] is None else " (rc %d)" % s["rc"],
                                              s["last_line"][:200]))
print("\n".join(problems))
PY
)" || problems+=("the output does not parse: $check")
[[ -n $check ]] && mapfile -t -O "${#problems[@]}" problems <<< "$check"
if (( ${#problems[@]} )); then
  printf 'gpu-check: %s\n' "${problems[@]}" >&2
  exit 1
fi
echo "gpu-check: $(wc -l < "$work/steps.tsv") steps, $entries files in $out, within the device's limits"
