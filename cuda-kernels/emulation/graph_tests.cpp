// Checks the stand-in driver's stream capture and CUDA graphs (fake_driver.cpp), loaded with dlopen
// as gemma4j's Java side loads it: capture records work without running it, a graph launch replays
// it in order with the argument values of the capture, copies touch host memory at launch time,
// unsafe calls invalidate a capture, and graph handles are checked and counted.
// Usage: graph_tests LIBFAKECUDA.so. Prints one line per check; exits non-zero on a failure.
#include "test_check.h"
#include <cuda_fp16.h>
#include <dlfcn.h>

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace {

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

// CUresult values (cuda.h of CUDA 13.0).
const int kSuccess = 0, kInvalidValue = 1, kIllegalState = 401, kIllegalAddress = 700, kCaptureUnsupported = 900,
          kCaptureInvalidated = 901, kCapturedEvent = 907;
// CUstreamCaptureMode values.
const int kGlobal = 0, kThreadLocal = 1, kRelaxed = 2;

void* library = nullptr;

void* symbol(const char* name) {
    void* p = dlsym(library, name);
    if (p == nullptr) {
        std::fprintf(stderr, "graph_tests: the library exports no %s\n", name);
        std::exit(2);
    }
    return p;
}

#define API(name, ...) auto name = (CUresult(*)(__VA_ARGS__))symbol(#name)

// The counters of gemma4j_fake_counters, in its order.
struct Counters {
    long long direct_kernels, graph_launches, graph_kernels, graphs, execs, direct_gemms, graph_gemms, graph_uploads;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: graph_tests LIBFAKECUDA.so\n");
        return 2;
    }
    library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
        std::fprintf(stderr, "graph_tests: %s\n", dlerror());
        return 2;
    }
    setvbuf(stdout, nullptr, _IOLBF, 0);
    std::printf("(the stand-in prints each call it refuses as a 'fakecuda:' line on stderr)\n");
    API(cuInit, unsigned);
    API(cuDevicePrimaryCtxRetain, void**, int);
    API(cuDevicePrimaryCtxRelease_v2, int);
    API(cuCtxSetCurrent, void*);
    API(cuCtxSynchronize);
    API(cuMemAlloc_v2, CUdeviceptr*, size_t);
    API(cuMemFree_v2, CUdeviceptr);
    API(cuMemAllocHost_v2, void**, size_t);
    API(cuMemFreeHost, void*);
    API(cuMemcpyHtoD_v2, CUdeviceptr, const void*, size_t);
    API(cuMemsetD8_v2, CUdeviceptr, unsigned char, size_t);
    API(cuMemcpyHtoDAsync_v2, CUdeviceptr, const void*, size_t, void*);
    API(cuMemcpyDtoHAsync_v2, void*, CUdeviceptr, size_t, void*);
    API(cuMemcpyDtoDAsync_v2, CUdeviceptr, CUdeviceptr, size_t, void*);
    API(cuMemsetD8Async, CUdeviceptr, unsigned char, size_t, void*);
    API(cuStreamCreate, void**, unsigned);
    API(cuStreamDestroy_v2, void*);
    API(cuStreamSynchronize, void*);
    API(cuEventCreate, void**, unsigned);
    API(cuEventRecord, void*, void*);
    API(cuEventSynchronize, void*);
    API(cuEventDestroy_v2, void*);
    API(cuModuleLoadData, void**, const void*);
    API(cuModuleUnload, void*);
    API(cuModuleGetFunction, void**, void*, const char*);
    API(cuLaunchKernel, void*, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, void*, void**,
        void**);
    API(cuStreamBeginCapture_v2, void*, int);
    API(cuStreamEndCapture, void*, void**);
    API(cuGraphInstantiateWithFlags, void**, void*, unsigned long long);
    API(cuGraphUpload, void*, void*);
    API(cuGraphLaunch, void*, void*);
    API(cuGraphExecDestroy, void*);
    API(cuGraphDestroy, void*);
    API(cublasCreate_v2, void**);
    API(cublasDestroy_v2, void*);
    API(cublasSetStream_v2, void*, void*);
    API(cublasGemmEx, void*, int, int, int, int, int, const void*, const void*, int, int, const void*, int, int,
        const void*, void*, int, int, int, int);
    auto counters_of = (void (*)(long long*))symbol("gemma4j_fake_counters");
    auto counters = [&] {
        long long v[8];
        counters_of(v);
        return Counters{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
    };

    void* ctx = nullptr;
    void* module = nullptr;
    void* stream = nullptr;
    const uint32_t image[4] = {0xBA55ED50u, 0, 0, 0};  // the fatbin magic number the stand-in checks
    if (cuInit(0) || cuDevicePrimaryCtxRetain(&ctx, 0) || cuCtxSetCurrent(ctx) || cuModuleLoadData(&module, image) ||
        cuStreamCreate(&stream, 1)) {
        std::fprintf(stderr, "graph_tests: driver set-up failed\n");
        return 2;
    }
    for (const char* name : {"embedding_gather", "sample_argmax", "sample_candidates", "sample_softmax_sums",
                             "sample_pick"}) {
        void* f = nullptr;
        check(cuModuleGetFunction(&f, module, name) == kSuccess && f != nullptr, "kernel %s is in the module", name);
    }
    void* embedding = nullptr;
    cuModuleGetFunction(&embedding, module, "embedding_gather");
    const Counters start = counters();

    // embedding_gather on small sizes: residual[i, d] = embed[tokens[i], d] * scale, where
    // embed[t, d] = t + d / 64 (exact in fp16 for t < 8).
    const int vocab = 8, hidden = 64, rows = 3;
    std::vector<__half> table(vocab * hidden);
    for (int t = 0; t < vocab; t++) {
        for (int d = 0; d < hidden; d++) table[t * hidden + d] = __float2half_rn((float)t + (float)d / 64.0f);
    }
    CUdeviceptr embed = 0, tokens = 0, residual = 0, residual_copy = 0;
    cuMemAlloc_v2(&embed, table.size() * sizeof(__half));
    cuMemAlloc_v2(&tokens, rows * sizeof(int));
    cuMemAlloc_v2(&residual, rows * hidden * sizeof(float));
    cuMemAlloc_v2(&residual_copy, rows * hidden * sizeof(float));
    cuMemcpyHtoD_v2(embed, table.data(), table.size() * sizeof(__half));
    cuMemsetD8_v2(tokens, 0xCD, rows * sizeof(int));
    const size_t residual_bytes = rows * hidden * sizeof(float);

    // The kernel's parameter memory, as cuLaunchKernel's kernelParams point to it.
    CUdeviceptr bad_tokens = 0;
    int n = rows, hidden_arg = hidden, vocab_arg = vocab;
    float scale = 2.0f;
    void* params[] = {&embed, &tokens, &residual, &n, &hidden_arg, &vocab_arg, &scale, &bad_tokens};
    std::vector<int> host_tokens = {2, 5, 7};
    std::vector<float> host_out(rows * hidden, -1.0f);
    // Expected host_out after the captured sequence for token ids t with the captured scale 2.
    auto matches = [&](const std::vector<int>& t) {
        for (int i = 0; i < rows; i++) {
            for (int d = 0; d < hidden; d++) {
                if (host_out[i * hidden + d] != ((float)t[i] + (float)d / 64.0f) * 2.0f) return false;
            }
        }
        return true;
    };

    // Capture: memset residual, upload tokens, gather, copy residual on the device, download the copy.
    void* graph = nullptr;
    check(cuStreamBeginCapture_v2(stream, kGlobal) == kSuccess, "begin capture (global mode)");
    check(cuMemsetD8Async(residual, 0, residual_bytes, stream) == kSuccess, "memset recorded");
    check(cuMemcpyHtoDAsync_v2(tokens, host_tokens.data(), rows * sizeof(int), stream) == kSuccess,
          "HtoD copy recorded");
    check(cuLaunchKernel(embedding, rows, 1, 1, 256, 1, 1, 0, stream, params, nullptr) == kSuccess,
          "kernel launch recorded");
    check(cuMemcpyDtoDAsync_v2(residual_copy, residual, residual_bytes, stream) == kSuccess, "DtoD copy recorded");
    check(cuMemcpyDtoHAsync_v2(host_out.data(), residual_copy, residual_bytes, stream) == kSuccess,
          "DtoH copy recorded");
    check(cuStreamBeginCapture_v2(stream, kGlobal) == kIllegalState, "begin on a capturing stream: ILLEGAL_STATE");
    const int* device_tokens = (const int*)tokens;  // the stand-in's device memory is host memory
    check(device_tokens[0] == (int)0xCDCDCDCD && host_out[0] == -1.0f && ((const float*)residual)[0] != 0.0f,
          "capture executes nothing (tokens, residual, host output untouched)");
    Counters c = counters();
    check(c.direct_kernels == start.direct_kernels && c.graph_kernels == start.graph_kernels,
          "capture counts no kernel execution");
    // Changing the parameter memory after the launch must not change the recorded launch.
    scale = 5.0f;
    n = 1;
    check(cuStreamEndCapture(stream, &graph) == kSuccess && graph != nullptr, "end capture gives a graph");
    check(counters().graphs == start.graphs + 1, "live graphs +1");
    void* exec = nullptr;
    check(cuGraphInstantiateWithFlags(&exec, graph, 0) == kSuccess && exec != nullptr, "instantiate");
    check(counters().execs == start.execs + 1, "live executable graphs +1");
    check(cuGraphUpload(exec, stream) == kSuccess, "upload the executable graph");
    Counters uploaded = counters();
    check(uploaded.graph_uploads == start.graph_uploads + 1 && uploaded.graph_launches == start.graph_launches &&
              uploaded.graph_kernels == start.graph_kernels && host_out[0] == -1.0f,
          "upload counted, runs nothing (%lld uploads, %lld launches, %lld kernel nodes)",
          uploaded.graph_uploads - start.graph_uploads, uploaded.graph_launches - start.graph_launches,
          uploaded.graph_kernels - start.graph_kernels);

    check(cuGraphLaunch(exec, stream) == kSuccess, "graph launch 1");
    check(matches(host_tokens),
          "launch 1: all %d rows gathered with the captured scale 2 and n 3 (tokens 2 5 7)", rows);
    // The HtoD node reads host_tokens at launch time; the DtoD and DtoH nodes run after the kernel.
    host_tokens = {1, 0, 6};
    std::fill(host_out.begin(), host_out.end(), -1.0f);
    check(cuGraphLaunch(exec, stream) == kSuccess, "graph launch 2");
    check(matches(host_tokens), "launch 2: rows follow the tokens in host memory at launch time (1 0 6)");
    c = counters();
    check(c.graph_launches == start.graph_launches + 2 && c.graph_kernels == start.graph_kernels + 2 &&
              c.direct_kernels == start.direct_kernels,
          "counters: 2 graph launches, 2 kernel nodes run, 0 direct kernels (%lld %lld %lld)",
          c.graph_launches - start.graph_launches, c.graph_kernels - start.graph_kernels,
          c.direct_kernels - start.direct_kernels);

    // A direct launch runs at the call and reads the parameter memory as it is now (n 1, scale 5).
    std::fill(host_out.begin(), host_out.end(), 0.0f);
    cuMemsetD8_v2(residual, 0, residual_bytes);
    check(cuLaunchKernel(embedding, 1, 1, 1, 256, 1, 1, 0, stream, params, nullptr) == kSuccess, "direct launch");
    const float* out = (const float*)residual;
    check(out[hidden - 1] == (1.0f + 63.0f / 64.0f) * 5.0f && out[hidden] == 0.0f,
          "direct launch ran at once with n 1, scale 5 (row 0 = token 1)");
    check(counters().direct_kernels == start.direct_kernels + 1, "direct kernels +1");

    // The executable graph is independent of its graph; handles are checked.
    check(cuGraphDestroy(graph) == kSuccess, "destroy graph");
    check(cuGraphDestroy(graph) == kInvalidValue, "destroy the graph again: INVALID_VALUE");
    check(cuGraphInstantiateWithFlags(&exec, graph, 0) == kInvalidValue && exec != nullptr,
          "instantiate a destroyed graph: INVALID_VALUE");
    host_tokens = {3, 3, 4};
    check(cuGraphLaunch(exec, stream) == kSuccess && matches(host_tokens),
          "the executable graph still replays after cuGraphDestroy (tokens 3 3 4)");
    check(cuGraphExecDestroy(exec) == kSuccess, "destroy executable graph");
    check(cuGraphExecDestroy(exec) == kInvalidValue, "destroy the executable graph again: INVALID_VALUE");
    check(cuGraphLaunch(exec, stream) == kInvalidValue, "launch a destroyed executable graph: INVALID_VALUE");
    check(cuGraphUpload(exec, stream) == kInvalidValue, "upload a destroyed executable graph: INVALID_VALUE");
    c = counters();
    check(c.graphs == start.graphs && c.execs == start.execs, "live graphs and executable graphs back to %lld, %lld",
          start.graphs, start.execs);
    check(cuStreamEndCapture(stream, &graph) == kIllegalState, "end a capture that never began: ILLEGAL_STATE");

    // Unsafe calls during a global capture return STREAM_CAPTURE_UNSUPPORTED and invalidate it;
    // work on the invalidated capture and cuStreamEndCapture return STREAM_CAPTURE_INVALIDATED.
    void* event = nullptr;
    cuEventCreate(&event, 0);
    CUdeviceptr spare = 0;
    cuMemAlloc_v2(&spare, 256);
    void* pinned = nullptr;
    cuMemAllocHost_v2(&pinned, 64);
    const std::vector<std::pair<const char*, std::function<CUresult()>>> unsafe = {
        {"cuStreamSynchronize", [&] { return cuStreamSynchronize(stream); }},
        {"cuCtxSynchronize", [&] { return cuCtxSynchronize(); }},
        {"cuEventSynchronize", [&] { return cuEventSynchronize(event); }},
        {"cuMemcpyHtoD_v2", [&] { return cuMemcpyHtoD_v2(spare, host_tokens.data(), 4); }},
        {"cuMemsetD8_v2", [&] { return cuMemsetD8_v2(spare, 0, 4); }},
        {"cuMemAlloc_v2", [&] { CUdeviceptr p = 0; return cuMemAlloc_v2(&p, 64); }},
        {"cuMemFree_v2", [&] { return cuMemFree_v2(spare); }},
        {"cuMemAllocHost_v2", [&] { void* p = nullptr; return cuMemAllocHost_v2(&p, 64); }},
        {"cuMemFreeHost", [&] { return cuMemFreeHost(pinned); }},
    };
    for (const auto& [name, call] : unsafe) {
        cuStreamBeginCapture_v2(stream, kGlobal);
        cuLaunchKernel(embedding, rows, 1, 1, 256, 1, 1, 0, stream, params, nullptr);
        check(call() == kCaptureUnsupported, "%s during a global capture: STREAM_CAPTURE_UNSUPPORTED", name);
        check(cuLaunchKernel(embedding, rows, 1, 1, 256, 1, 1, 0, stream, params, nullptr) == kCaptureInvalidated,
              "  then a launch on the stream: STREAM_CAPTURE_INVALIDATED");
        graph = &graph;
        check(cuStreamEndCapture(stream, &graph) == kCaptureInvalidated && graph == nullptr,
              "  then end capture: STREAM_CAPTURE_INVALIDATED and no graph");
    }
    check(counters().graphs == start.graphs && counters().direct_kernels == start.direct_kernels + 1,
          "invalidated captures leave no graph and ran no kernel");
    // The prohibited calls did nothing, so the buffers still exist.
    check(cuMemFree_v2(spare) == kSuccess && cuMemFreeHost(pinned) == kSuccess,
          "the refused cuMemFree_v2 / cuMemFreeHost freed nothing");

    // A relaxed capture allows unsafe calls, but never synchronising the capturing stream.
    cuStreamBeginCapture_v2(stream, kRelaxed);
    check(cuMemAlloc_v2(&spare, 64) == kSuccess, "cuMemAlloc_v2 during a relaxed capture is allowed");
    check(cuStreamEndCapture(stream, &graph) == kSuccess && graph != nullptr, "  and the capture ends with a graph");
    cuGraphDestroy(graph);
    cuStreamBeginCapture_v2(stream, kRelaxed);
    check(cuStreamSynchronize(stream) == kCaptureUnsupported, "cuStreamSynchronize of a relaxed capturing stream: 900");
    check(cuStreamEndCapture(stream, &graph) == kCaptureInvalidated, "  then end capture: 901");

    // Global mode prohibits unsafe calls from other threads too; thread-local mode does not.
    for (int mode : {kGlobal, kThreadLocal}) {
        cuStreamBeginCapture_v2(stream, mode);
        CUresult other = -1;
        std::thread([&] {
            cuCtxSetCurrent(ctx);
            CUdeviceptr p = 0;
            other = cuMemAlloc_v2(&p, 64);
            if (other == kSuccess) cuMemFree_v2(p);
        }).join();
        CUresult end = cuStreamEndCapture(stream, &graph);
        if (mode == kGlobal) {
            check(other == kCaptureUnsupported && end == kCaptureInvalidated,
                  "cuMemAlloc_v2 on another thread during a global capture: 900, capture invalidated");
        } else {
            check(other == kSuccess && end == kSuccess,
                  "cuMemAlloc_v2 on another thread during a thread-local capture: allowed");
            cuGraphDestroy(graph);
        }
    }

    // Launching a graph into a capturing stream is refused and invalidates the capture.
    void* memset_graph = nullptr;
    cuStreamBeginCapture_v2(stream, kGlobal);
    cuMemsetD8Async(spare, 7, 64, stream);
    cuStreamEndCapture(stream, &memset_graph);
    cuGraphInstantiateWithFlags(&exec, memset_graph, 0);
    cuGraphDestroy(memset_graph);
    cuStreamBeginCapture_v2(stream, kGlobal);
    check(cuGraphLaunch(exec, stream) == kCaptureUnsupported, "cuGraphLaunch into a capturing stream: 900");
    check(cuStreamEndCapture(stream, &graph) == kCaptureInvalidated, "  then end capture: 901");
    cuStreamBeginCapture_v2(stream, kGlobal);
    check(cuGraphUpload(exec, stream) == kCaptureUnsupported, "cuGraphUpload into a capturing stream: 900");
    check(cuStreamEndCapture(stream, &graph) == kCaptureInvalidated, "  then end capture: 901");
    // An event recorded during a capture cannot be waited on from the host.
    cuStreamBeginCapture_v2(stream, kGlobal);
    check(cuEventRecord(event, stream) == kSuccess, "cuEventRecord on a capturing stream is recorded");
    void* event_graph = nullptr;
    cuStreamEndCapture(stream, &event_graph);
    check(cuEventSynchronize(event) == kCapturedEvent, "cuEventSynchronize of a captured event: CAPTURED_EVENT");
    cuEventRecord(event, stream);
    check(cuEventSynchronize(event) == kSuccess, "after recording it outside a capture: synchronizes");
    cuGraphDestroy(event_graph);

    // A graph launch after a captured buffer was freed fails (a GPU faults) instead of writing freed memory.
    check(cuMemFree_v2(spare) == kSuccess, "free the memset graph's buffer");
    check(cuGraphLaunch(exec, stream) == kIllegalAddress, "launch a graph whose memset buffer was freed: 700");
    cuGraphExecDestroy(exec);
    CUdeviceptr scratch = 0;
    cuMemAlloc_v2(&scratch, residual_bytes);
    void* scratch_params[] = {&embed, &tokens, &scratch, &n, &hidden_arg, &vocab_arg, &scale, &bad_tokens};
    cuStreamBeginCapture_v2(stream, kGlobal);
    cuLaunchKernel(embedding, 1, 1, 1, 256, 1, 1, 0, stream, scratch_params, nullptr);
    cuStreamEndCapture(stream, &graph);
    cuGraphInstantiateWithFlags(&exec, graph, 0);
    cuMemFree_v2(scratch);
    check(cuGraphLaunch(exec, stream) == kIllegalAddress, "launch a graph whose kernel's output was freed: 700");
    cuGraphExecDestroy(exec);
    cuGraphDestroy(graph);
    // A kernel argument that points to host memory outside every allocation is an illegal address.
    std::vector<float> host_buffer(rows * hidden);
    float* host_pointer = host_buffer.data();
    void* host_params[] = {&embed, &tokens, &host_pointer, &n, &hidden_arg, &vocab_arg, &scale, &bad_tokens};
    check(cuLaunchKernel(embedding, 1, 1, 1, 256, 1, 1, 0, stream, host_params, nullptr) == kIllegalAddress,
          "a kernel pointer argument into unallocated host memory: 700");

    // cublasGemmEx on a handle whose stream captures: recorded with alpha and beta read at the call.
    // C (fp32 2x2) = alpha * A B + beta * C, column-major fp16 A = [1 2; 3 4], B = [5 6; 7 8].
    void* blas = nullptr;
    cublasCreate_v2(&blas);
    cublasSetStream_v2(blas, stream);
    const __half a_host[4] = {__float2half_rn(1), __float2half_rn(3), __float2half_rn(2), __float2half_rn(4)};
    const __half b_host[4] = {__float2half_rn(5), __float2half_rn(7), __float2half_rn(6), __float2half_rn(8)};
    CUdeviceptr a = 0, b = 0, cmat = 0;
    cuMemAlloc_v2(&a, sizeof a_host);
    cuMemAlloc_v2(&b, sizeof b_host);
    cuMemAlloc_v2(&cmat, 4 * sizeof(float));
    cuMemcpyHtoD_v2(a, a_host, sizeof a_host);
    cuMemcpyHtoD_v2(b, b_host, sizeof b_host);
    cuMemsetD8_v2(cmat, 0, 4 * sizeof(float));
    float alpha = 1.0f, beta = 0.0f;
    const int fp16 = 2, fp32 = 0, compute32f = 68, algo_default = -1;
    cuStreamBeginCapture_v2(stream, kGlobal);
    check(cublasGemmEx(blas, 0, 0, 2, 2, 2, &alpha, (void*)a, fp16, 2, (void*)b, fp16, 2, &beta, (void*)cmat, fp32, 2,
                       compute32f, algo_default) == 0,
          "cublasGemmEx recorded");
    alpha = 100.0f;
    beta = 1.0f;
    cuStreamEndCapture(stream, &graph);
    const float* cm = (const float*)cmat;
    check(cm[0] == 0.0f && counters().direct_gemms == start.direct_gemms, "capture executes no GEMM");
    cuGraphInstantiateWithFlags(&exec, graph, 0);
    cuGraphLaunch(exec, stream);
    check(cm[0] == 19.0f && cm[1] == 43.0f && cm[2] == 22.0f && cm[3] == 50.0f,
          "GEMM node uses alpha 1, beta 0 of the capture: C = [19 22; 43 50]");
    check(counters().graph_gemms == start.graph_gemms + 1, "GEMM nodes run +1");
    cublasGemmEx(blas, 0, 0, 2, 2, 2, &alpha, (void*)a, fp16, 2, (void*)b, fp16, 2, &beta, (void*)cmat, fp32, 2,
                 compute32f, algo_default);
    check(cm[0] == 1919.0f && counters().direct_gemms == start.direct_gemms + 1,
          "a direct GEMM runs at once with alpha 100, beta 1 (C[0] = 1919), direct GEMMs +1");
    cuGraphExecDestroy(exec);
    cuGraphDestroy(graph);

    // The sampling kernels as one graph: greedy rows (temperature 0) pick the largest logit.
    const int batch = 2, sample_vocab = 100, k = 4, chunks = 1;
    std::vector<float> logits(batch * sample_vocab);
    for (int i = 0; i < batch * sample_vocab; i++) logits[i] = (float)((i * 37) % 101) / 10.0f;
    // Residues of i * 37 mod 101 are distinct over 100 consecutive i, so each row has one largest logit.
    int expected[2] = {0, 0};
    for (int r = 0; r < batch; r++) {
        for (int i = 1; i < sample_vocab; i++) {
            if (logits[r * sample_vocab + i] > logits[r * sample_vocab + expected[r]]) expected[r] = i;
        }
    }
    CUdeviceptr d_logits, d_argmax, d_value, d_token, d_sum, d_temperature, d_top_k, d_top_p, d_uniform, d_picked;
    cuMemAlloc_v2(&d_logits, logits.size() * 4);
    cuMemAlloc_v2(&d_argmax, batch * 4);
    cuMemAlloc_v2(&d_value, batch * chunks * k * 4);
    cuMemAlloc_v2(&d_token, batch * chunks * k * 4);
    cuMemAlloc_v2(&d_sum, batch * chunks * 8);
    cuMemAlloc_v2(&d_temperature, batch * 4);
    cuMemAlloc_v2(&d_top_k, batch * 4);
    cuMemAlloc_v2(&d_top_p, batch * 4);
    cuMemAlloc_v2(&d_uniform, batch * 8);
    cuMemAlloc_v2(&d_picked, batch * 4);
    const float temperature[2] = {0, 0}, top_p[2] = {1, 1};
    const int top_k[2] = {0, 0};
    const double uniform[2] = {0.5, 0.5};
    cuMemcpyHtoD_v2(d_temperature, temperature, sizeof temperature);
    cuMemcpyHtoD_v2(d_top_k, top_k, sizeof top_k);
    cuMemcpyHtoD_v2(d_top_p, top_p, sizeof top_p);
    cuMemcpyHtoD_v2(d_uniform, uniform, sizeof uniform);
    void *argmax, *candidates, *sums, *pick;
    cuModuleGetFunction(&argmax, module, "sample_argmax");
    cuModuleGetFunction(&candidates, module, "sample_candidates");
    cuModuleGetFunction(&sums, module, "sample_softmax_sums");
    cuModuleGetFunction(&pick, module, "sample_pick");
    long long stride = sample_vocab;
    int vocab_value = sample_vocab, k_value = k, chunks_value = chunks;
    void* argmax_params[] = {&d_logits, &stride, &vocab_value, &d_argmax};
    void* candidates_params[] = {&d_logits, &stride, &vocab_value, &k_value, &d_value, &d_token};
    void* sums_params[] = {&d_logits, &stride, &vocab_value, &d_value, &k_value, &d_temperature, &d_sum};
    void* pick_params[] = {&d_logits, &stride,  &vocab_value,   &d_value, &d_token, &chunks_value, &k_value,
                           &d_sum,    &d_temperature, &d_top_k, &d_top_p, &d_uniform, &d_picked};
    int host_argmax[2] = {-9, -9}, host_picked[2] = {-9, -9};
    cuStreamBeginCapture_v2(stream, kGlobal);
    cuMemcpyHtoDAsync_v2(d_logits, logits.data(), logits.size() * 4, stream);
    check(cuLaunchKernel(argmax, batch, 1, 1, 1024, 1, 1, 0, stream, argmax_params, nullptr) == kSuccess &&
              cuLaunchKernel(candidates, chunks, batch, 1, 256, 1, 1, 0, stream, candidates_params, nullptr) ==
                  kSuccess &&
              cuLaunchKernel(sums, chunks, batch, 1, 256, 1, 1, 0, stream, sums_params, nullptr) == kSuccess &&
              cuLaunchKernel(pick, batch, 1, 1, 256, 1, 1, 0, stream, pick_params, nullptr) == kSuccess,
          "sampling kernels recorded (blocks 1024, 256, 256, 256)");
    cuMemcpyDtoHAsync_v2(host_argmax, d_argmax, sizeof host_argmax, stream);
    cuMemcpyDtoHAsync_v2(host_picked, d_picked, sizeof host_picked, stream);
    cuStreamEndCapture(stream, &graph);
    cuGraphInstantiateWithFlags(&exec, graph, 0);
    const Counters before_sampling = counters();
    check(cuGraphLaunch(exec, stream) == kSuccess, "sampling graph launch");
    check(host_argmax[0] == expected[0] && host_argmax[1] == expected[1], "sample_argmax: %d %d (expected %d %d)",
          host_argmax[0], host_argmax[1], expected[0], expected[1]);
    check(host_picked[0] == expected[0] && host_picked[1] == expected[1],
          "greedy sample_candidates -> softmax_sums -> pick: %d %d (expected %d %d)", host_picked[0], host_picked[1],
          expected[0], expected[1]);
    check(counters().graph_kernels == before_sampling.graph_kernels + 4, "4 kernel nodes run");
    cuGraphExecDestroy(exec);
    cuGraphDestroy(graph);
    for (CUdeviceptr p : {d_logits, d_argmax, d_value, d_token, d_sum, d_temperature, d_top_k, d_top_p, d_uniform,
                          d_picked, a, b, cmat, embed, tokens, residual, residual_copy}) {
        cuMemFree_v2(p);
    }
    cublasDestroy_v2(blas);
    cuEventDestroy_v2(event);
    c = counters();
    check(c.graphs == start.graphs && c.execs == start.execs, "no graph or executable graph left alive");
    cuStreamDestroy_v2(stream);
    cuModuleUnload(module);
    cuDevicePrimaryCtxRelease_v2(0);
    std::printf("%s: %d failure(s)\n", failures ? "FAILED" : "passed", failures);
    return failures ? 1 : 0;
}
