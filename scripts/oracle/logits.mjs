// Runs a GGUF model through llama.cpp (node-llama-cpp 3.22.1, prebuilt CPU binary) and writes the
// raw logits of every position plus a greedy continuation, for gemma4j's whole-model parity tests.
//
//   node logits.mjs --check
//       loads the prebuilt llama.cpp binary and prints its build; exits non-zero if it cannot load.
//   node logits.mjs --model M.gguf --input requests.json --out DIR
//       requests.json: {"sequences": [[2, 651, ...], ...], "generate": 32}
//       For each sequence i, in a fresh context: the prompt is evaluated in one batch with the raw
//       logits of every position returned; the first new token is their last row's argmax (ties to
//       the lowest id); each further token comes from feeding the previous one back alone (the
//       decode path) through llama.cpp's greedy sampler (llama_sampler_greedy: the first largest raw
//       logit in id order, so again ties to the lowest id). Full logits are not fetched for decode
//       steps: node-llama-cpp hands them over as a sorted Map, about 0.2 s per 256000-entry row,
//       against 0.05 s for the token alone.
//       DIR/seq-<i>.f32: float32 in x86-64 byte order (little-endian), prompt length x vocab: row r
//       holds the logits after prompt token r.
//       DIR/result.json: {"vocab", "llamaCpp", "model": {"description", "trainContextSize",
//       "embeddingLength", "bos", "eos", "tensorTypes"}, "sequences": [{"prompt", "continuation", "rows",
//       "logits"}]} ("logits" names the seq-<i>.f32 file; "tensorTypes" maps each tensor's name to its
//       ggml type number as llama.cpp's GGUF reader found it).
//
// node-llama-cpp is imported from $GEMMA4J_ORACLE_DIR/node_modules, else from
// <gemma4j home>/.cache/oracle/node_modules (home: $GEMMA4J_HOME, else this checkout), where
// scripts/install-oracle.sh installs it.
//
// Settings that make llama.cpp a faithful fp32 reference: CPU only (gpu: false, gpuLayers: 0),
// an F32 KV cache (the default F16 cache would round K and V), no flash attention (llama.cpp's
// CPU flash attention is an online-softmax kernel with F16 accumulators for an F16 cache; without it
// KQ, the masked softmax and KQV are separate F32 operations), at most 2 threads. Logits come from controlledEvaluate with generateNext.logits; with the default sampler
// options (temperature 0: greedy only, no penalties, no token bias) the sampler chain leaves the
// logits untouched, so they are the model's raw output.

import {existsSync, mkdirSync, readFileSync, writeFileSync} from "node:fs";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath, pathToFileURL} from "node:url";

const MAX_THREADS = 2;

function fail(message) {
    process.stderr.write(`logits.mjs: ${message}\n`);
    process.exit(1);
}

function parseArgs(argv) {
    const args = {check: false};
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--check") args.check = true;
        else if (a === "--model" || a === "--input" || a === "--out") {
            if (i + 1 >= argv.length) fail(`${a} needs a value`);
            args[a.slice(2)] = argv[++i];
        } else fail(`unknown argument '${a}' (expected --check, or --model M.gguf --input requests.json --out DIR)`);
    }
    if (!args.check && (!args.model || !args.input || !args.out)) {
        fail("expected --check, or all of --model M.gguf --input requests.json --out DIR");
    }
    return args;
}

async function importNodeLlamaCpp() {
    const home = process.env.GEMMA4J_HOME || resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
    const oracleDir = process.env.GEMMA4J_ORACLE_DIR || join(home, ".cache", "oracle");
    const entry = join(oracleDir, "node_modules", "node-llama-cpp", "dist", "index.js");
    if (!existsSync(entry)) {
        fail(`node-llama-cpp not found: expected ${entry} (run scripts/install-oracle.sh)`);
    }
    return await import(pathToFileURL(entry).href);
}

function validateRequest(request, where) {
    if (!request || !Array.isArray(request.sequences) || request.sequences.length === 0) {
        fail(`${where}: expected {"sequences": [[token ids], ...], "generate": N} with at least one sequence`);
    }
    if (!Number.isInteger(request.generate) || request.generate < 1) {
        fail(`${where}: "generate" must be an integer >= 1, found ${JSON.stringify(request.generate)}`);
    }
    request.sequences.forEach((seq, i) => {
        if (!Array.isArray(seq) || seq.length === 0 || !seq.every(Number.isInteger)) {
            fail(`${where}: sequences[${i}] must be a non-empty array of integer token ids`);
        }
    });
}

// Raw logits as a dense Float32Array indexed by token id; every id must be present exactly once.
function denseLogits(logitsMap, vocab, where) {
    if (!(logitsMap instanceof Map) || logitsMap.size !== vocab) {
        fail(`${where}: expected logits for all ${vocab} tokens, got ${logitsMap instanceof Map ? logitsMap.size : typeof logitsMap}`);
    }
    const dense = new Float32Array(vocab).fill(Number.NaN);
    for (const [token, value] of logitsMap) {
        if (!Number.isInteger(token) || token < 0 || token >= vocab || !Number.isNaN(dense[token])) {
            fail(`${where}: unexpected or repeated token id ${token} in the logits`);
        }
        dense[token] = value;
    }
    return dense;
}

// Greedy choice: the largest logit, ties to the lowest token id. NaN logits are an error.
function argmax(logits, where) {
    let best = 0;
    for (let t = 0; t < logits.length; t++) {
        if (Number.isNaN(logits[t])) fail(`${where}: NaN logit at token ${t}`);
        if (logits[t] > logits[best]) best = t;
    }
    return best;
}

async function check(lib) {
    const llama = await lib.getLlama({
        gpu: false, build: "never", usePrebuiltBinaries: true, skipDownload: true,
        progressLogs: false, maxThreads: MAX_THREADS, logLevel: lib.LlamaLogLevel.error,
    });
    const info = llama.llamaCppRelease;
    process.stdout.write(`llama.cpp oracle loads: gpu=${llama.gpu}, llama.cpp release ${info.release}`
        + ` (${info.repo}), build ${llama.buildType}, cpu threads ${llama.cpuMathCores}\n`);
    await llama.dispose();
}

async function run(lib, args) {
    const request = JSON.parse(readFileSync(args.input, "utf8"));
    validateRequest(request, args.input);
    const llama = await lib.getLlama({
        gpu: false, build: "never", usePrebuiltBinaries: true, skipDownload: true,
        progressLogs: false, maxThreads: MAX_THREADS, logLevel: lib.LlamaLogLevel.error,
    });
    const model = await llama.loadModel({modelPath: resolve(args.model), gpuLayers: 0});
    // Vocabulary size = rows of the embedding, ggml dims [hidden, vocab].
    const tensors = model.fileInfo.fullTensorInfo ?? model.fileInfo.tensorInfo ?? [];
    const embedding = tensors.find((t) => t.name === "token_embd.weight");
    if (embedding == null || embedding.dimensions.length !== 2) {
        fail(`${args.model}: expected a 2-dimensional tensor token_embd.weight, found ${JSON.stringify(embedding?.dimensions)}`);
    }
    const nVocab = Number(embedding.dimensions[1]);
    // The hyper-parameters as llama.cpp read them from the GGUF metadata, for the caller to check.
    const modelInfo = {
        description: model.typeDescription, trainContextSize: model.trainContextSize,
        embeddingLength: model.embeddingVectorSize, bos: model.tokens.bos, eos: model.tokens.eos,
        tensorTypes: Object.fromEntries(tensors.map((t) => [t.name, t.ggmlType])),
    };
    mkdirSync(args.out, {recursive: true});

    const results = [];
    for (let s = 0; s < request.sequences.length; s++) {
        const prompt = request.sequences[s];
        prompt.forEach((t, i) => {
            if (t < 0 || t >= nVocab) fail(`${args.input}: sequences[${s}][${i}] = ${t} is outside the vocabulary [0, ${nVocab})`);
        });
        const rows = prompt.length;
        const context = await model.createContext({
            contextSize: prompt.length + request.generate, batchSize: prompt.length, sequences: 1,
            threads: MAX_THREADS, flashAttention: false,
            experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32",
        });
        const sequence = context.getSequence();
        const out = new Float32Array(rows * nVocab);
        const where = (r) => `${args.model}, sequence ${s}, position ${r}`;

        const promptResults = await sequence.controlledEvaluate(
            prompt.map((t) => [t, {generateNext: {logits: true}}]));
        for (let r = 0; r < rows; r++) {
            const logits = promptResults[r]?.next?.logits;
            if (logits == null) fail(`${where(r)}: llama.cpp returned no logits`);
            out.set(denseLogits(logits, nVocab, where(r)), r * nVocab);
        }
        const continuation = [argmax(out.subarray((rows - 1) * nVocab), where(rows - 1))];
        while (continuation.length < request.generate) {
            const position = prompt.length + continuation.length - 1;
            const [step] = await sequence.controlledEvaluate(
                [[continuation[continuation.length - 1], {generateNext: {token: true}}]]);
            const next = step?.next?.token;
            if (!Number.isInteger(next) || next < 0 || next >= nVocab) {
                fail(`${where(position)}: llama.cpp's greedy sampler returned ${JSON.stringify(next)}`);
            }
            continuation.push(next);
        }
        await context.dispose();

        const file = `seq-${s}.f32`;
        writeFileSync(join(args.out, file), Buffer.from(out.buffer, out.byteOffset, out.byteLength));
        results.push({prompt, continuation, rows, logits: file});
    }
    await model.dispose();
    await llama.dispose();
    const info = llama.llamaCppRelease;
    writeFileSync(join(args.out, "result.json"), JSON.stringify({
        vocab: nVocab, llamaCpp: `${info.repo} ${info.release}`, model: modelInfo, sequences: results,
    }));
}

const args = parseArgs(process.argv.slice(2));
const lib = await importNodeLlamaCpp();
if (args.check) await check(lib);
else await run(lib, args);
