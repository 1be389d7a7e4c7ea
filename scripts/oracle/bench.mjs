// Times llama.cpp (node-llama-cpp 3.22.1, prebuilt CPU binary) on a GGUF model the way `gemma4j bench`
// times gemma4j at batch 1, for scripts/bench-vs-llamacpp.sh.
//
//   node bench.mjs --model M.gguf --threads T --prompt prompt.json --new-tokens N [--out result.json]
//       prompt.json: a JSON array of token ids (BenchCheckpoints prompt writes gemma4j bench's prompt).
//       First a warm-up in the same context: the whole prompt and up to 3 decode steps. Then, timed:
//       the prompt in one batch with the first new token sampled from its last position (the prefill,
//       as gemma4j bench times it: prompt plus first token), then N - 1 decode steps of one token
//       each, greedy (llama_sampler_greedy). Loading the model and creating the context are not timed.
//       Prints (and with --out writes) {"llamaCpp", "systemInfo", "threads", "model": {"description",
//       "sizeBytes"}, "promptTokens", "newTokens", "prefillSeconds", "prefillTokensPerSecond",
//       "decodeSteps", "decodeSeconds", "decodeTokensPerSecond", "tokens"}.
//
// node-llama-cpp is imported as logits.mjs imports it ($GEMMA4J_ORACLE_DIR/node_modules, else
// <gemma4j home>/.cache/oracle/node_modules).
//
// Settings that match gemma4j's CPU engine: CPU only (gpu: false, gpuLayers: 0), an F32 KV cache
// (gemma4j's CPU cache is fp32), no flash attention, one sequence, a batch as large as the prompt (so
// the prompt is one pass, as gemma4j prefills it), exactly T threads for prompt and decode
// (threads: {ideal: T, min: T}, and maxThreads T for the whole Llama instance).

import {existsSync, readFileSync, writeFileSync} from "node:fs";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath, pathToFileURL} from "node:url";

const WARM_UP_STEPS = 3;

function fail(message) {
    process.stderr.write(`bench.mjs: ${message}\n`);
    process.exit(1);
}

function parseArgs(argv) {
    const args = {};
    const usage = "expected --model M.gguf --threads T --prompt prompt.json --new-tokens N [--out result.json]";
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (!["--model", "--threads", "--prompt", "--new-tokens", "--out"].includes(a)) fail(`unknown argument '${a}' (${usage})`);
        if (i + 1 >= argv.length) fail(`${a} needs a value`);
        args[a.slice(2)] = argv[++i];
    }
    if (!args.model || !args.threads || !args.prompt || !args["new-tokens"]) fail(usage);
    for (const key of ["threads", "new-tokens"]) {
        const v = Number(args[key]);
        if (!Number.isInteger(v) || v < (key === "threads" ? 1 : 2)) {
            fail(`--${key} must be an integer >= ${key === "threads" ? 1 : 2} (the first new token comes from the prefill),`
                + ` found '${args[key]}'`);
        }
        args[key] = v;
    }
    return args;
}

async function importNodeLlamaCpp() {
    const home = process.env.GEMMA4J_HOME || resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
    const oracleDir = process.env.GEMMA4J_ORACLE_DIR || join(home, ".cache", "oracle");
    const entry = join(oracleDir, "node_modules", "node-llama-cpp", "dist", "index.js");
    if (!existsSync(entry)) fail(`node-llama-cpp not found: expected ${entry} (run scripts/install-oracle.sh)`);
    return await import(pathToFileURL(entry).href);
}

function seconds(fromNs, toNs) {
    return Number(toNs - fromNs) / 1e9;
}

// The prompt evaluated in one batch, the first new token sampled from its last position; then
// `steps` decode steps, each feeding back the token before. Returns the new tokens and both times.
async function generate(sequence, prompt, steps, where) {
    const t0 = process.hrtime.bigint();
    const promptOut = await sequence.controlledEvaluate(
        prompt.map((t, i) => (i === prompt.length - 1 ? [t, {generateNext: {token: true}}] : t)));
    const first = promptOut[prompt.length - 1]?.next?.token;
    if (!Number.isInteger(first)) fail(`${where}: llama.cpp sampled ${JSON.stringify(first)} after the prompt`);
    const t1 = process.hrtime.bigint();
    const tokens = [first];
    for (let s = 0; s < steps; s++) {
        const [step] = await sequence.controlledEvaluate([[tokens[tokens.length - 1], {generateNext: {token: true}}]]);
        const next = step?.next?.token;
        if (!Number.isInteger(next)) fail(`${where}: llama.cpp sampled ${JSON.stringify(next)} at decode step ${s}`);
        tokens.push(next);
    }
    const t2 = process.hrtime.bigint();
    return {tokens, prefillSeconds: seconds(t0, t1), decodeSeconds: seconds(t1, t2)};
}

const args = parseArgs(process.argv.slice(2));
const prompt = JSON.parse(readFileSync(args.prompt, "utf8"));
if (!Array.isArray(prompt) || prompt.length === 0 || !prompt.every(Number.isInteger)) {
    fail(`${args.prompt}: expected a non-empty JSON array of integer token ids`);
}
const lib = await importNodeLlamaCpp();
const llama = await lib.getLlama({
    gpu: false, build: "never", usePrebuiltBinaries: true, skipDownload: true,
    progressLogs: false, maxThreads: args.threads, logLevel: lib.LlamaLogLevel.error,
});
const model = await llama.loadModel({modelPath: resolve(args.model), gpuLayers: 0});
// Vocabulary size = rows of the embedding, ggml dims [hidden, vocab].
const embedding = (model.fileInfo.fullTensorInfo ?? model.fileInfo.tensorInfo ?? [])
    .find((t) => t.name === "token_embd.weight");
if (embedding == null || embedding.dimensions.length !== 2) {
    fail(`${args.model}: expected a 2-dimensional tensor token_embd.weight, found ${JSON.stringify(embedding?.dimensions)}`);
}
const nVocab = Number(embedding.dimensions[1]);
prompt.forEach((t, i) => {
    if (t < 0 || t >= nVocab) fail(`${args.prompt}: id ${t} at ${i} is outside the vocabulary [0, ${nVocab})`);
});
const newTokens = args["new-tokens"];
const context = await model.createContext({
    contextSize: prompt.length + newTokens, batchSize: prompt.length, sequences: 1,
    threads: {ideal: args.threads, min: args.threads}, flashAttention: false,
    experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32",
});
const sequence = context.getSequence();

await generate(sequence, prompt, Math.min(WARM_UP_STEPS, newTokens - 1), `${args.model}, warm-up`);
await sequence.clearHistory();
const run = await generate(sequence, prompt, newTokens - 1, args.model);

await context.dispose();
const info = llama.llamaCppRelease;
const result = {
    llamaCpp: `${info.repo} ${info.release}`,
    systemInfo: llama.systemInfo,
    threads: args.threads,
    model: {description: model.typeDescription, sizeBytes: model.size},
    promptTokens: prompt.length,
    newTokens,
    prefillSeconds: run.prefillSeconds,
    prefillTokensPerSecond: prompt.length / run.prefillSeconds,
    decodeSteps: newTokens - 1,
    decodeSeconds: run.decodeSeconds,
    decodeTokensPerSecond: (newTokens - 1) / run.decodeSeconds,
    tokens: run.tokens,
};
await model.dispose();
await llama.dispose();
const text = JSON.stringify(result, null, 2);
if (args.out) writeFileSync(args.out, text + "\n");
process.stdout.write(text + "\n");
