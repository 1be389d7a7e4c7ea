// The table and JSON of scripts/bench-vs-llamacpp.sh, from the JSON each run left in its work folder.
//
//   node bench-summary.mjs --dir DIR --dtypes bf16,f16 --reps N --threads T --layers L --shape SHAPE --cpu NAME
//                          --flags "avx512f ..." [--json OUT]
//       DIR/gemma4j-<dtype>-<figure>-<rep>.json: `gemma4j bench --json` (batch 1);
//       DIR/llamacpp-<dtype>-<figure>-<rep>.json: bench.mjs; <figure> is "decode" (128-token prompt,
//       32 new tokens: decode tok/s and the 128-token prefill) or "prefill512" (a 512-token prompt).
//       Prints one row per figure and dtype: min / median / max of each engine over the repetitions,
//       the ratio of the medians (gemma4j ÷ llama.cpp), and each median as a fraction of its limit.
//
// The limits: every gemma4j bench run measures the memory read bandwidth and the fp32 FMA peak of its
// T threads before it times anything; the table takes the best of each over all runs of the script
// (another process on the machine only ever lowers a measurement) and states every fraction, of both
// engines, against that one pair, with
// gemma4j's cost model: a decode step reads every weight once plus the F32 KV cache at the mean
// position (both engines cache K and V in F32 and store the same weights), a prompt costs 2 flops per
// projection weight per token plus the last token's logits.

import {readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";

function fail(message) {
    process.stderr.write(`bench-summary.mjs: ${message}\n`);
    process.exit(1);
}

function parseArgs(argv) {
    const args = {};
    const keys = ["--dir", "--dtypes", "--reps", "--threads", "--layers", "--shape", "--cpu", "--flags", "--json"];
    for (let i = 0; i < argv.length; i++) {
        if (!keys.includes(argv[i])) fail(`unknown argument '${argv[i]}' (expected ${keys.join(", ")})`);
        if (i + 1 >= argv.length) fail(`${argv[i]} needs a value`);
        args[argv[i].slice(2)] = argv[++i];
    }
    for (const k of ["dir", "dtypes", "reps", "threads", "layers", "shape", "cpu", "flags"]) {
        if (args[k] == null) fail(`--${k} is required`);
    }
    args.dtypes = args.dtypes.split(",");
    args.reps = Number(args.reps);
    args.threads = Number(args.threads);
    args.layers = Number(args.layers);
    return args;
}

function read(file) {
    try {
        return JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
        fail(`cannot read ${file}: ${e.message}`);
    }
}

// gemma4j bench's JSON holds one row per batch size; the script runs batch 1 only.
function batchOne(json, file) {
    const row = json.batches?.find((b) => b.batch === 1);
    if (row == null) fail(`${file}: expected a "batches" row with batch 1`);
    return row;
}

function stats(values) {
    const s = [...values].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return {runs: values, min: s[0], median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, max: s[s.length - 1]};
}

const args = parseArgs(process.argv.slice(2));
const file = (engine, dtype, figure, rep) => join(args.dir, `${engine}-${dtype}-${figure}-${rep}.json`);
const reps = [...Array(args.reps).keys()].map((r) => r + 1);
const first = read(file("gemma4j", args.dtypes[0], "decode", 1));
const measured = [];
for (const dtype of args.dtypes) {
    for (const run of ["decode", "prefill512"]) {
        for (const rep of reps) {
            const f = file("gemma4j", dtype, run, rep);
            const l = read(f).limits;
            if (!(l?.bandwidth_bytes_per_s > 0) || !(l?.flops_per_s > 0)) {
                fail(`${f}: expected positive limits.bandwidth_bytes_per_s and limits.flops_per_s, found ${JSON.stringify(l)}`);
            }
            measured.push({run: `${dtype}-${run}-${rep}`, bandwidth_bytes_per_s: l.bandwidth_bytes_per_s, flops_per_s: l.flops_per_s});
        }
    }
}
const limits = {
    bandwidth_bytes_per_s: Math.max(...measured.map((m) => m.bandwidth_bytes_per_s)),
    bandwidth_source: first.limits.bandwidth_source,
    flops_per_s: Math.max(...measured.map((m) => m.flops_per_s)),
    flops_source: first.limits.flops_source,
};

// Per figure: where its runs are, what each engine reports, and its limit from gemma4j's cost model.
const FIGURES = [
    {name: "decode", label: "decode tok/s (128-token prompt, 32 new)", run: "decode", prompt: 128,
        gemma4j: (b) => b.decode_tokens_per_s_per_sequence, llamacpp: (l) => l.decodeTokensPerSecond,
        limit: (cost, b) => limits.bandwidth_bytes_per_s / b.bytes_per_decode_step, against: "memory bandwidth"},
    {name: "prefill128", label: "prefill tok/s (128 tokens)", run: "decode", prompt: 128,
        gemma4j: (b) => b.prefill_tokens_per_s, llamacpp: (l) => l.prefillTokensPerSecond,
        limit: (cost) => prefillLimit(cost, 128), against: "FMA peak"},
    {name: "prefill512", label: "prefill tok/s (512 tokens)", run: "prefill512", prompt: 512,
        gemma4j: (b) => b.prefill_tokens_per_s, llamacpp: (l) => l.prefillTokensPerSecond,
        limit: (cost) => prefillLimit(cost, 512), against: "FMA peak"},
];

function prefillLimit(cost, tokens) {
    return limits.flops_per_s * tokens / (2 * cost.matmul_parameters * tokens + 2 * cost.logit_parameters);
}

const rows = [];
let llamaInfo = null;
for (const dtype of args.dtypes) {
    for (const f of FIGURES) {
        const g = [], l = [];
        let limit = null;
        for (const rep of reps) {
            const gf = file("gemma4j", dtype, f.run, rep);
            const gj = read(gf);
            const b = batchOne(gj, gf);
            if (gj.settings.prompt_tokens !== f.prompt) fail(`${gf}: expected a ${f.prompt}-token prompt, found ${gj.settings.prompt_tokens}`);
            g.push(f.gemma4j(b));
            limit ??= f.limit(gj.cost, b);
            const lf = file("llamacpp", dtype, f.run, rep);
            const lj = read(lf);
            if (lj.promptTokens !== f.prompt) fail(`${lf}: expected a ${f.prompt}-token prompt, found ${lj.promptTokens}`);
            if (lj.threads !== args.threads) fail(`${lf}: expected ${args.threads} threads, found ${lj.threads}`);
            l.push(f.llamacpp(lj));
            llamaInfo ??= {release: lj.llamaCpp, system_info: lj.systemInfo};
        }
        const gs = stats(g), ls = stats(l);
        gs.fraction_of_limit = gs.median / limit;
        ls.fraction_of_limit = ls.median / limit;
        rows.push({dtype, figure: f.name, label: f.label, prompt_tokens: f.prompt, limit_tokens_per_s: limit,
            limit_from: f.against, gemma4j: gs, llama_cpp: ls, ratio_of_medians: gs.median / ls.median});
    }
}

const num = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const pct = (v) => `${(100 * v).toFixed(1)}%`;
const triple = (s) => `${num(s.min)} / ${num(s.median)} / ${num(s.max)}`;
const header = ["figure", "gemma4j min/med/max", "llama.cpp min/med/max", "ratio", "gemma4j frac", "llama.cpp frac", "limit tok/s"];
const cells = rows.map((r) => [`${r.dtype} ${r.label}`, triple(r.gemma4j), triple(r.llama_cpp), r.ratio_of_medians.toFixed(2),
    pct(r.gemma4j.fraction_of_limit), pct(r.llama_cpp.fraction_of_limit), num(r.limit_tokens_per_s)]);
const width = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c].length)));
const line = (row) => row.map((v, c) => (c === 0 ? v.padEnd(width[c]) : v.padStart(width[c]))).join("  ");

const out = [];
out.push(`gemma4j ${first.gemma4j.replace(/^gemma4j /, "")} vs ${llamaInfo.release} (node-llama-cpp), CPU, ${args.threads} threads each,`
    + ` ${args.reps} repetition(s), interleaved; F32 KV cache on both`);
out.push(`model: ${args.shape}'s shape, ${args.layers} layers, synthetic weights (the same bytes in safetensors and GGUF;`
    + ` q8_0 and q4_k_m: the bf16 GGUF quantized by llama.cpp, one file for both engines)`);
out.push(`machine: ${args.cpu}; ${args.flags}`);
out.push(`llama.cpp CPU backend: ${llamaInfo.system_info.trim()}`);
const range = (key, scale) => `${(Math.min(...measured.map((m) => m[key])) / scale).toFixed(1)}`
    + `-${(Math.max(...measured.map((m) => m[key])) / scale).toFixed(1)}`;
out.push(`limits, the best of ${measured.length} gemma4j bench runs: ${(limits.bandwidth_bytes_per_s / 1e9).toFixed(1)} GB/s`
    + ` ${limits.bandwidth_source} (runs: ${range("bandwidth_bytes_per_s", 1e9)});`);
out.push(`  ${(limits.flops_per_s / 1e9).toFixed(1)} GFLOP/s ${limits.flops_source} (runs: ${range("flops_per_s", 1e9)})`);
out.push("decode figures are fractions of bandwidth ÷ bytes per step, prefill figures of the FMA peak ÷ flops per token;"
    + " ratio = gemma4j median ÷ llama.cpp median");
out.push("");
out.push(line(header));
for (const row of cells) out.push(line(row));
process.stdout.write(out.join("\n") + "\n");

if (args.json) {
    writeFileSync(args.json, JSON.stringify({
        gemma4j: first.gemma4j,
        java: first.java,
        llama_cpp: llamaInfo,
        machine: {cpu: args.cpu, flags: args.flags.split(/\s+/).filter((f) => f), threads: args.threads},
        settings: {repetitions: args.reps, threads: args.threads, dtypes: args.dtypes, layers: args.layers, shape: args.shape,
            seed: first.settings.seed, kv_cache: "F32 on both", order: "per dtype, per repetition: gemma4j decode,"
                + " llama.cpp decode, gemma4j prefill512, llama.cpp prefill512"},
        limits: {...limits, taken: "the best of each over every gemma4j bench run of the script", runs: measured},
        figures: rows,
    }, null, 2) + "\n");
    process.stderr.write(`wrote ${args.json}\n`);
}
