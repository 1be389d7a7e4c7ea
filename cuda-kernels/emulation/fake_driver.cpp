// A fake libcuda + libcublas for checking gemma4j's Java CUDA backend on a machine without a GPU.
// Device memory is host memory (mmap with a guard page after each buffer); kernels are the real
// cuda-kernels sources run by the host emulation; cublasGemmEx is a plain loop. Misuse a real
// driver would reject (no current context, copies outside an allocation, wrong block size,
// unknown pointers) returns an error and prints why.
//
// Work runs synchronously at the call, except on a stream that is capturing (cuStreamBeginCapture_v2
// to cuStreamEndCapture): there kernel launches, async copies and memsets, and cublasGemmEx on a
// handle bound to that stream are recorded as graph nodes, in call order, and run only when an
// instantiated graph is launched (cuGraphLaunch), as on a GPU. A kernel node holds a copy of the
// argument values taken at capture time; a copy node reads and writes its host memory at launch
// time; a GEMM node holds alpha and beta as read at capture time (cuBLAS's host pointer mode).
// The capture rules follow the CUDA driver API documentation: a capture begins only on a stream
// that is not capturing (else CUDA_ERROR_ILLEGAL_STATE); synchronising a capturing stream, and any
// call that is unsafe during a capture (synchronous copies and memsets, allocation and freeing,
// stream, context and event synchronisation) while a capture prohibits it, returns
// CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED and invalidates that capture; further work on an
// invalidated capture returns CUDA_ERROR_STREAM_CAPTURE_INVALIDATED, and so does
// cuStreamEndCapture, which then ends the capture and returns no graph. A capture begun in
// CU_STREAM_CAPTURE_MODE_GLOBAL prohibits unsafe calls from every thread, one begun in
// THREAD_LOCAL from its own thread, one begun in RELAXED from none.
//
// gemma4j_fake_counters (at the end of this file) reports how much work ran directly and how much
// through graphs, and how many graphs and executable graphs are alive.
#include "cuda_emulation.h"
#include "../gemma4j.cu"

#include <chrono>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

namespace {

std::mutex lock;
std::map<uintptr_t, size_t> allocations;       // device buffers: start -> bytes
std::map<uintptr_t, size_t> mapped;            // start -> mapped bytes (for munmap)
std::map<void*, size_t> pinned;
std::set<void*> events, streams, handles;
std::set<void*> captured_events;               // events last recorded on a capturing stream
std::map<void*, void*> handle_stream;          // cuBLAS handle -> stream set by cublasSetStream (null: legacy)
size_t allocated = 0;
int primary_refs = 0;
int context_token = 0x1234;
thread_local void* current = nullptr;
const size_t kTotal = 8ull << 30;
bool initialised = false;

// gemma4j_fake_counters' values, in its order.
std::atomic<long long> direct_kernels{0}, graph_launches{0}, graph_kernels{0}, direct_gemms{0}, graph_gemms{0},
    graph_uploads{0};

CUresult fail(CUresult code, const std::string& why) {
    std::fprintf(stderr, "fakecuda: %s\n", why.c_str());
    std::fflush(stderr);
    return code;
}

bool inside(uintptr_t p, size_t bytes) {
    auto it = allocations.upper_bound(p);
    if (it == allocations.begin()) return false;
    --it;
    return p >= it->first && p + bytes <= it->first + it->second;
}

bool inside_pinned(uintptr_t p, size_t bytes) {
    auto it = pinned.upper_bound((void*)p);
    if (it == pinned.begin()) return false;
    --it;
    return p >= (uintptr_t)it->first && p + bytes <= (uintptr_t)it->first + it->second;
}

// A kernel may dereference device memory and, through unified addressing, cuMemAllocHost memory.
bool device_addressable(uintptr_t p) {
    std::lock_guard<std::mutex> g(lock);
    return inside(p, 1) || inside_pinned(p, 1);
}

#define NEED_CONTEXT(name) \
    if (current != &context_token) return fail(201, std::string(name) + " without a current context")

// One kernel launch with its argument values copied out of cuLaunchKernel's kernelParams.
struct KernelCall {
    virtual ~KernelCall() = default;
    virtual void run() const = 0;
    // Index of the first pointer argument that is neither null nor device-addressable, or -1.
    virtual int stray_pointer() const = 0;
};

template <typename T>
bool stray(const T& value) {
    if constexpr (std::is_pointer_v<T>) {
        return value != nullptr && !device_addressable((uintptr_t)value);
    } else {
        return false;
    }
}

template <typename... P>
struct BoundKernel final : KernelCall {
    void (*kernel)(P...);
    dim3 grid, block;
    std::tuple<std::remove_cv_t<P>...> args;

    BoundKernel(void (*k)(P...), dim3 g, dim3 b, std::tuple<std::remove_cv_t<P>...> a)
        : kernel(k), grid(g), block(b), args(std::move(a)) {}

    void run() const override {
        std::apply([this](const auto&... a) { emulation::launch(kernel, grid, block, a...); }, args);
    }

    int stray_pointer() const override {
        int found = -1;
        int index = 0;
        std::apply([&](const auto&... a) { ((found < 0 && stray(a) ? found = index : 0, ++index), ...); }, args);
        return found;
    }
};

// Reads each argument from kernelParams[i] as the kernel's i-th parameter type.
template <typename... P, size_t... I>
std::shared_ptr<const KernelCall> copy_arguments(void (*k)(P...), dim3 g, dim3 b, void** params, std::index_sequence<I...>) {
    return std::make_shared<BoundKernel<P...>>(
        k, g, b, std::tuple<std::remove_cv_t<P>...>(*static_cast<std::remove_cv_t<P>*>(params[I])...));
}

template <typename... P>
std::shared_ptr<const KernelCall> bind_any(void (*k)(P...), dim3 g, dim3 b, void** params) {
    return copy_arguments(k, g, b, params, std::index_sequence_for<P...>{});
}

struct Function {
    const char* name;
    int threads;
    bool grid_stride;  // correct for any grid size (the stand-in shrinks such grids)
    std::shared_ptr<const KernelCall> (*bind)(dim3, dim3, void**);
};

#define KERNEL(name, threads, stride)                                                                   \
    Function{#name, threads, stride,                                                                    \
             [](dim3 g, dim3 b, void** p) -> std::shared_ptr<const KernelCall> { return bind_any(name, g, b, p); }}

Function functions[] = {
    KERNEL(embedding_gather, EMBEDDING_THREADS, false),
    KERNEL(embedding_gather_bf16, EMBEDDING_THREADS, false),
    KERNEL(rmsnorm_bf16, RMSNORM_THREADS, false),
    KERNEL(rope_and_cache_bf16, ROPE_THREADS, false),
    KERNEL(geglu_f32_bf16, GEGLU_THREADS, true),
    KERNEL(attention_decode_partial_bf16, DECODE_THREADS, false),
    KERNEL(attention_decode_combine_bf16, COMBINE_THREADS, false),
    KERNEL(attention_prefill_bf16, PREFILL_THREADS, false),
    KERNEL(convert_f32_to_bf16, CONVERT_THREADS, true),
    KERNEL(convert_f16_to_bf16, CONVERT_THREADS, true),
    KERNEL(rmsnorm_f16, RMSNORM_THREADS, false),
    KERNEL(rmsnorm_add_f32, RMSNORM_THREADS, false),
    KERNEL(rmsnorm_add_f32_bf16, RMSNORM_THREADS, false),
    KERNEL(softcap_f32, SOFTCAP_THREADS, true),
    KERNEL(rope_and_cache, ROPE_THREADS, false),
    KERNEL(geglu_f32, GEGLU_THREADS, true),
    KERNEL(geglu_f16, GEGLU_THREADS, true),
    KERNEL(attention_decode_partial, DECODE_THREADS, false),
    KERNEL(attention_decode_combine, COMBINE_THREADS, false),
    KERNEL(attention_decode_vector_partial, DECODE_VECTOR_THREADS, false),
    KERNEL(attention_decode_vector_combine, COMBINE_VECTOR_THREADS, false),
    KERNEL(attention_prefill, PREFILL_THREADS, false),
    KERNEL(attention_prefill_mma, PREFILL_MMA_THREADS, false),
    KERNEL(convert_bf16_to_f16, CONVERT_THREADS, true),
    KERNEL(convert_f32_to_f16, CONVERT_THREADS, true),
    KERNEL(synthetic_fill, SYNTHETIC_THREADS, true),
    // Blocks take rounds of pairs of output columns, grid-stride.
    KERNEL(gemv_f16_accumulate, GEMV_THREADS, true),
    KERNEL(gemv_rmsnorm_f32, GEMV_THREADS, true),
    KERNEL(gemv_rmsnorm_geglu, GEMV_THREADS, true),
    KERNEL(gemv_rmsnorm_rope, GEMV_THREADS, true),
    // One block per row (argmax, pick) or per (chunk, row) with gridDim.x the chunk count
    // (candidates, softmax sums): none is grid-stride, so their grids run as given.
    KERNEL(sample_argmax, ARGMAX_THREADS, false),
    KERNEL(sample_candidates, SAMPLE_THREADS, false),
    KERNEL(sample_softmax_sums, SAMPLE_THREADS, false),
    KERNEL(sample_pick, SAMPLE_THREADS, false),
};

// One recorded operation of a graph. run() executes it and returns CUDA_SUCCESS, or an error
// when memory it names was freed since the capture (a GPU would fault: CUDA_ERROR_ILLEGAL_ADDRESS).
struct Node {
    enum class Kind { kernel, copy, memset, gemm } kind;
    std::function<CUresult()> run;
};

struct Capture {
    int mode;                    // CUstreamCaptureMode
    std::thread::id thread;      // the thread that began it
    bool invalidated = false;
    std::vector<Node> nodes;
};

struct Graph {
    std::vector<Node> nodes;
};

// An executable graph: its own copy of the graph's nodes, so it outlives cuGraphDestroy.
struct GraphExec {
    std::vector<Node> nodes;
};

std::map<void*, Capture> captures;  // capturing stream -> its capture (guarded by `lock`)
std::set<Graph*> graphs;            // live CUgraph handles (guarded by `lock`)
std::set<GraphExec*> execs;         // live CUgraphExec handles (guarded by `lock`)

const int kModeGlobal = 0, kModeThreadLocal = 1;

// A call that is unsafe during stream capture: returns CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED and
// invalidates every capture that prohibits it from this thread (GLOBAL: any thread; THREAD_LOCAL:
// the capturing thread), or returns CUDA_SUCCESS when none does.
CUresult unsafe_during_capture(const char* name) {
    std::lock_guard<std::mutex> g(lock);
    bool prohibited = false;
    for (auto& [stream, capture] : captures) {
        if (capture.mode == kModeGlobal ||
            (capture.mode == kModeThreadLocal && capture.thread == std::this_thread::get_id())) {
            capture.invalidated = true;
            prohibited = true;
        }
    }
    if (!prohibited) return 0;
    return fail(900, std::string(name) + " while a stream is capturing: the capture is invalidated");
}

// Runs `node` now on stream s, or appends it to s's capture. CUDA_SUCCESS, the node's error, or
// CUDA_ERROR_STREAM_CAPTURE_INVALIDATED when s's capture was invalidated.
CUresult submit(void* s, const char* name, Node node) {
    {
        std::lock_guard<std::mutex> g(lock);
        auto it = captures.find(s);
        if (it != captures.end()) {
            if (it->second.invalidated) {
                return fail(901, std::string(name) + " on a stream whose capture was invalidated");
            }
            it->second.nodes.push_back(std::move(node));
            return 0;
        }
    }
    if (node.kind == Node::Kind::kernel) direct_kernels++;
    if (node.kind == Node::Kind::gemm) direct_gemms++;
    return node.run();
}

const char* error_name(int e) {
    switch (e) {
        case 0: return "CUDA_SUCCESS";
        case 1: return "CUDA_ERROR_INVALID_VALUE";
        case 2: return "CUDA_ERROR_OUT_OF_MEMORY";
        case 201: return "CUDA_ERROR_INVALID_CONTEXT";
        case 400: return "CUDA_ERROR_INVALID_HANDLE";
        case 401: return "CUDA_ERROR_ILLEGAL_STATE";
        case 500: return "CUDA_ERROR_NOT_FOUND";
        case 700: return "CUDA_ERROR_ILLEGAL_ADDRESS";
        case 900: return "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED";
        case 901: return "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED";
        case 907: return "CUDA_ERROR_CAPTURED_EVENT";
        case 908: return "CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD";
        default: return nullptr;
    }
}

}  // namespace

extern "C" {

CUresult cuGetErrorName(CUresult e, const char** s) {
    *s = error_name(e);
    return *s ? 0 : 1;
}
CUresult cuGetErrorString(CUresult e, const char** s) {
    *s = error_name(e) ? "fake driver error" : nullptr;
    return *s ? 0 : 1;
}
CUresult cuInit(unsigned) {
    initialised = true;
    return 0;
}
CUresult cuDriverGetVersion(int* v) {
    *v = 13000;
    return 0;
}
CUresult cuDeviceGetCount(int* c) {
    *c = 1;
    return 0;
}
CUresult cuDeviceGet(int* d, int ordinal) {
    if (ordinal != 0) return fail(101, "no device " + std::to_string(ordinal));
    *d = 0;
    return 0;
}
CUresult cuDeviceGetName(char* name, int len, int) {
    std::snprintf(name, len, "Fake Emulated GPU");
    return 0;
}
CUresult cuDeviceGetAttribute(int* pi, int attrib, int) {
    switch (attrib) {
        case 75: *pi = 9; return 0;   // compute capability major
        case 76: *pi = 0; return 0;   // minor
        case 16: *pi = 3; return 0;   // multiprocessors
        default: *pi = 1024; return 0;
    }
}
CUresult cuDeviceTotalMem_v2(size_t* b, int) {
    *b = kTotal;
    return 0;
}
CUresult cuDevicePrimaryCtxRetain(void** ctx, int) {
    if (!initialised) return fail(3, "cuDevicePrimaryCtxRetain before cuInit");
    std::lock_guard<std::mutex> g(lock);
    primary_refs++;
    *ctx = &context_token;
    return 0;
}
CUresult cuDevicePrimaryCtxRelease_v2(int) {
    std::lock_guard<std::mutex> g(lock);
    if (primary_refs == 0) return fail(201, "primary context released more often than retained");
    if (--primary_refs == 0) {
        std::fprintf(stderr, "fakecuda: primary context released; live: %zu device buffers (%zu bytes), %zu pinned, "
                     "%zu events, %zu streams, %zu cuBLAS handles, %zu graphs, %zu executable graphs, "
                     "%zu captures\n", allocations.size(), allocated, pinned.size(), events.size(), streams.size(),
                     handles.size(), graphs.size(), execs.size(), captures.size());
    }
    return 0;
}
CUresult cuCtxSetCurrent(void* ctx) {
    if (ctx != &context_token && ctx != nullptr) return fail(201, "cuCtxSetCurrent with an unknown context");
    current = ctx;
    return 0;
}
CUresult cuCtxSynchronize() {
    NEED_CONTEXT("cuCtxSynchronize");
    return unsafe_during_capture("cuCtxSynchronize");
}
CUresult cuMemGetInfo_v2(size_t* free, size_t* total) {
    NEED_CONTEXT("cuMemGetInfo_v2");
    std::lock_guard<std::mutex> g(lock);
    *free = kTotal - allocated;
    *total = kTotal;
    return 0;
}
CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t bytes) {
    NEED_CONTEXT("cuMemAlloc_v2");
    if (CUresult r = unsafe_during_capture("cuMemAlloc_v2")) return r;
    if (bytes == 0) return fail(1, "cuMemAlloc_v2 of 0 bytes");
    std::lock_guard<std::mutex> g(lock);
    if (allocated + bytes > kTotal) return 2;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t body = (bytes + page - 1) / page * page;
    void* m = mmap(nullptr, body + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return 2;
    mprotect((char*)m + body, page, PROT_NONE);
    // Put the buffer's end next to the guard page, 256-byte aligned start (as cuMemAlloc).
    uintptr_t start = ((uintptr_t)m + body - bytes) & ~(uintptr_t)255;
    std::memset((void*)start, 0xCD, bytes);  // undefined contents, made visible
    allocations[start] = bytes;
    mapped[start] = (uintptr_t)m;
    allocated += bytes;
    *p = start;
    return 0;
}
CUresult cuMemFree_v2(CUdeviceptr p) {
    NEED_CONTEXT("cuMemFree_v2");
    if (CUresult r = unsafe_during_capture("cuMemFree_v2")) return r;
    std::lock_guard<std::mutex> g(lock);
    auto it = allocations.find(p);
    if (it == allocations.end()) return fail(1, "cuMemFree_v2 of an address that is not an allocation");
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t body = (it->second + page - 1) / page * page;
    munmap((void*)mapped[p], body + page);
    allocated -= it->second;
    mapped.erase(p);
    allocations.erase(it);
    return 0;
}
CUresult cuMemAllocHost_v2(void** pp, size_t bytes) {
    NEED_CONTEXT("cuMemAllocHost_v2");
    if (CUresult r = unsafe_during_capture("cuMemAllocHost_v2")) return r;
    std::lock_guard<std::mutex> g(lock);
    *pp = std::malloc(bytes);
    pinned[*pp] = bytes;
    return 0;
}
CUresult cuMemFreeHost(void* p) {
    NEED_CONTEXT("cuMemFreeHost");
    if (CUresult r = unsafe_during_capture("cuMemFreeHost")) return r;
    std::lock_guard<std::mutex> g(lock);
    if (!pinned.erase(p)) return fail(1, "cuMemFreeHost of memory not from cuMemAllocHost");
    std::free(p);
    return 0;
}

// Synchronous copies and memsets (on the legacy stream, unsafe during a capture).
CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t n) {
    NEED_CONTEXT("cuMemcpyHtoD_v2");
    if (CUresult r = unsafe_during_capture("cuMemcpyHtoD_v2")) return r;
    if (!inside(dst, n)) return fail(1, "cuMemcpyHtoD_v2 outside an allocation: " + std::to_string(n) + " bytes");
    std::memcpy((void*)dst, src, n);
    return 0;
}
CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t n) {
    NEED_CONTEXT("cuMemcpyDtoH_v2");
    if (CUresult r = unsafe_during_capture("cuMemcpyDtoH_v2")) return r;
    if (!inside(src, n)) return fail(1, "cuMemcpyDtoH_v2 outside an allocation: " + std::to_string(n) + " bytes");
    std::memcpy(dst, (void*)src, n);
    return 0;
}
CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t n) {
    NEED_CONTEXT("cuMemcpyDtoD_v2");
    if (CUresult r = unsafe_during_capture("cuMemcpyDtoD_v2")) return r;
    if (!inside(dst, n) || !inside(src, n)) return fail(1, "cuMemcpyDtoD_v2 outside an allocation");
    std::memmove((void*)dst, (void*)src, n);
    return 0;
}
CUresult cuMemsetD8_v2(CUdeviceptr dst, unsigned char v, size_t n) {
    NEED_CONTEXT("cuMemsetD8_v2");
    if (CUresult r = unsafe_during_capture("cuMemsetD8_v2")) return r;
    if (!inside(dst, n)) return fail(1, "cuMemsetD8_v2 outside an allocation");
    std::memset((void*)dst, v, n);
    return 0;
}
CUresult cuMemsetD32_v2(CUdeviceptr dst, unsigned v, size_t n) {
    NEED_CONTEXT("cuMemsetD32_v2");
    if (CUresult r = unsafe_during_capture("cuMemsetD32_v2")) return r;
    if (dst % 4 != 0) return fail(1, "cuMemsetD32_v2 at an address that is not 4-byte aligned");
    if (!inside(dst, 4 * n)) return fail(1, "cuMemsetD32_v2 outside an allocation");
    for (size_t i = 0; i < n; i++) ((unsigned*)dst)[i] = v;
    return 0;
}

#define CHECK_STREAM(name, s) \
    if (!streams.count((void*)(s))) return fail(400, std::string(name) + " on an unknown stream")

// Async copies and memsets: bounds are checked at the call; a graph node checks the device range
// again at launch (the buffer may have been freed) and reads or writes host memory then.
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t n, void* s) {
    NEED_CONTEXT("cuMemcpyHtoDAsync_v2");
    CHECK_STREAM("cuMemcpyHtoDAsync_v2", s);
    if (!inside(dst, n)) return fail(1, "cuMemcpyHtoDAsync_v2 outside an allocation: " + std::to_string(n) + " bytes");
    return submit(s, "cuMemcpyHtoDAsync_v2", Node{Node::Kind::copy, [=]() -> CUresult {
        if (!inside(dst, n)) return fail(700, "graph memcpy HtoD into freed device memory");
        std::memcpy((void*)dst, src, n);
        return 0;
    }});
}
CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t n, void* s) {
    NEED_CONTEXT("cuMemcpyDtoHAsync_v2");
    CHECK_STREAM("cuMemcpyDtoHAsync_v2", s);
    if (!inside(src, n)) return fail(1, "cuMemcpyDtoHAsync_v2 outside an allocation: " + std::to_string(n) + " bytes");
    return submit(s, "cuMemcpyDtoHAsync_v2", Node{Node::Kind::copy, [=]() -> CUresult {
        if (!inside(src, n)) return fail(700, "graph memcpy DtoH from freed device memory");
        std::memcpy(dst, (void*)src, n);
        return 0;
    }});
}
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t n, void* s) {
    NEED_CONTEXT("cuMemcpyDtoDAsync_v2");
    CHECK_STREAM("cuMemcpyDtoDAsync_v2", s);
    if (!inside(dst, n) || !inside(src, n)) return fail(1, "cuMemcpyDtoDAsync_v2 outside an allocation");
    return submit(s, "cuMemcpyDtoDAsync_v2", Node{Node::Kind::copy, [=]() -> CUresult {
        if (!inside(dst, n) || !inside(src, n)) return fail(700, "graph memcpy DtoD on freed device memory");
        std::memmove((void*)dst, (void*)src, n);
        return 0;
    }});
}
CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char v, size_t n, void* s) {
    NEED_CONTEXT("cuMemsetD8Async");
    CHECK_STREAM("cuMemsetD8Async", s);
    if (!inside(dst, n)) return fail(1, "cuMemsetD8Async outside an allocation");
    return submit(s, "cuMemsetD8Async", Node{Node::Kind::memset, [=]() -> CUresult {
        if (!inside(dst, n)) return fail(700, "graph memset on freed device memory");
        std::memset((void*)dst, v, n);
        return 0;
    }});
}
CUresult cuStreamCreate(void** s, unsigned flags) {
    NEED_CONTEXT("cuStreamCreate");
    if (flags != 1) return fail(1, "expected CU_STREAM_NON_BLOCKING");
    *s = new int(7);
    streams.insert(*s);
    return 0;
}
CUresult cuStreamDestroy_v2(void* s) {
    NEED_CONTEXT("cuStreamDestroy_v2");
    if (!streams.count(s)) return fail(400, "cuStreamDestroy_v2 of an unknown stream");
    {
        std::lock_guard<std::mutex> g(lock);
        // The driver documentation leaves this case open; the stand-in refuses it so that no
        // capture outlives its stream.
        if (captures.count(s)) return fail(401, "cuStreamDestroy_v2 of a stream that is capturing (end the capture first)");
    }
    streams.erase(s);
    delete (int*)s;
    return 0;
}
CUresult cuStreamSynchronize(void* s) {
    NEED_CONTEXT("cuStreamSynchronize");
    CHECK_STREAM("cuStreamSynchronize", s);
    {
        // Synchronising the capturing stream itself is invalid in every capture mode.
        std::lock_guard<std::mutex> g(lock);
        auto it = captures.find(s);
        if (it != captures.end()) {
            if (it->second.invalidated) return fail(901, "cuStreamSynchronize of a stream whose capture was invalidated");
            it->second.invalidated = true;
            return fail(900, "cuStreamSynchronize of a capturing stream: the capture is invalidated");
        }
    }
    return unsafe_during_capture("cuStreamSynchronize");
}
// An event: whether it keeps time (not CU_EVENT_DISABLE_TIMING, flag 2) and, once recorded outside a
// capture, the host time of the recording. Work runs synchronously at the call, so the host time
// between two recordings is the time the stand-in spent on the work queued between them.
struct Event {
    bool timing;
    bool recorded = false;
    std::chrono::steady_clock::time_point at;
};

CUresult cuEventCreate(void** e, unsigned flags) {
    NEED_CONTEXT("cuEventCreate");
    *e = new Event{(flags & 2u) == 0};
    events.insert(*e);
    return 0;
}
CUresult cuEventElapsedTime_v2(float* ms, void* start, void* end) {
    NEED_CONTEXT("cuEventElapsedTime_v2");
    if (!events.count(start) || !events.count(end)) return fail(400, "cuEventElapsedTime_v2 of an unknown event");
    Event* a = (Event*)start;
    Event* b = (Event*)end;
    if (!a->timing || !b->timing) return fail(400, "cuEventElapsedTime_v2 of an event created with CU_EVENT_DISABLE_TIMING");
    if (!a->recorded || !b->recorded) return fail(400, "cuEventElapsedTime_v2 of an event never recorded");
    *ms = std::chrono::duration<float, std::milli>(b->at - a->at).count();
    return 0;
}
CUresult cuEventRecord(void* e, void* s) {
    NEED_CONTEXT("cuEventRecord");
    CHECK_STREAM("cuEventRecord", s);
    if (!events.count(e)) return fail(400, "cuEventRecord of an unknown event");
    std::lock_guard<std::mutex> g(lock);
    auto it = captures.find(s);
    if (it != captures.end()) {
        if (it->second.invalidated) return fail(901, "cuEventRecord on a stream whose capture was invalidated");
        captured_events.insert(e);
    } else {
        captured_events.erase(e);
        ((Event*)e)->recorded = true;
        ((Event*)e)->at = std::chrono::steady_clock::now();
    }
    return 0;
}
CUresult cuEventSynchronize(void* e) {
    NEED_CONTEXT("cuEventSynchronize");
    if (!events.count(e)) return fail(400, "cuEventSynchronize of an unknown event");
    if (CUresult r = unsafe_during_capture("cuEventSynchronize")) return r;
    std::lock_guard<std::mutex> g(lock);
    if (captured_events.count(e)) return fail(907, "cuEventSynchronize of an event last recorded on a capturing stream");
    return 0;
}
CUresult cuEventDestroy_v2(void* e) {
    NEED_CONTEXT("cuEventDestroy_v2");
    if (!events.erase(e)) return fail(400, "cuEventDestroy_v2 of an unknown event");
    {
        std::lock_guard<std::mutex> g(lock);
        captured_events.erase(e);
    }
    delete (Event*)e;
    return 0;
}
CUresult cuModuleLoadData(void** m, const void* image) {
    NEED_CONTEXT("cuModuleLoadData");
    if (*(const uint32_t*)image != 0xBA55ED50u) return fail(200, "module image is not a fatbin");
    *m = (void*)functions;
    return 0;
}
CUresult cuModuleUnload(void* m) {
    NEED_CONTEXT("cuModuleUnload");
    if (CUresult r = unsafe_during_capture("cuModuleUnload")) return r;
    return m == (void*)functions ? 0 : fail(400, "unknown module");
}
CUresult cuModuleGetFunction(void** f, void*, const char* name) {
    NEED_CONTEXT("cuModuleGetFunction");
    for (auto& fn : functions) {
        if (std::strcmp(fn.name, name) == 0) {
            *f = &fn;
            return 0;
        }
    }
    return fail(500, std::string("no kernel ") + name);
}
CUresult cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shared, void* s, void** params, void** extra) {
    NEED_CONTEXT("cuLaunchKernel");
    CHECK_STREAM("cuLaunchKernel", s);
    const Function* fn = (const Function*)f;
    if (extra != nullptr || shared != 0) return fail(1, "unexpected extra or shared memory");
    if ((int)bx != fn->threads || by != 1 || bz != 1) {
        return fail(1, std::string(fn->name) + ": block " + std::to_string(bx) + " instead of " +
                           std::to_string(fn->threads));
    }
    if (gx == 0 || gy == 0 || gz == 0 || gy > 65535 || gz > 65535) return fail(1, "bad grid");
    // Grid-stride kernels are correct for any grid: a few blocks keep the emulation fast.
    if (fn->grid_stride && gx > 4) gx = 4;
    // The argument values are copied here, as the driver does: later changes to the memory
    // behind params affect neither this launch nor a graph that recorded it.
    std::shared_ptr<const KernelCall> call = fn->bind(dim3(gx, gy, gz), dim3(bx, 1, 1), params);
    const std::string name = fn->name;
    // A GPU faults (CUDA_ERROR_ILLEGAL_ADDRESS) on a pointer argument outside device-addressable
    // memory; the emulation would read host memory or crash instead, so the stand-in checks first.
    if (int i = call->stray_pointer(); i >= 0) {
        return fail(700, name + ": pointer argument " + std::to_string(i) + " is outside every allocation");
    }
    return submit(s, "cuLaunchKernel", Node{Node::Kind::kernel, [call, name]() -> CUresult {
        if (int i = call->stray_pointer(); i >= 0) {
            return fail(700, "graph kernel " + name + ": pointer argument " + std::to_string(i) +
                                 " is outside every allocation (freed after the capture?)");
        }
        call->run();
        return 0;
    }});
}

// Stream capture and graphs.
CUresult cuStreamBeginCapture_v2(void* s, int mode) {
    NEED_CONTEXT("cuStreamBeginCapture_v2");
    CHECK_STREAM("cuStreamBeginCapture_v2", s);
    if (mode < 0 || mode > 2) return fail(1, "cuStreamBeginCapture_v2: unknown capture mode " + std::to_string(mode));
    std::lock_guard<std::mutex> g(lock);
    if (captures.count(s)) return fail(401, "cuStreamBeginCapture_v2 on a stream that is already capturing");
    captures.emplace(s, Capture{mode, std::this_thread::get_id(), false, {}});
    return 0;
}
CUresult cuStreamEndCapture(void* s, void** graph) {
    NEED_CONTEXT("cuStreamEndCapture");
    CHECK_STREAM("cuStreamEndCapture", s);
    std::lock_guard<std::mutex> g(lock);
    auto it = captures.find(s);
    if (it == captures.end()) return fail(401, "cuStreamEndCapture on a stream that is not capturing");
    if (it->second.mode != 2 && it->second.thread != std::this_thread::get_id()) {
        return fail(908, "cuStreamEndCapture from another thread than cuStreamBeginCapture_v2 (mode not RELAXED)");
    }
    Capture capture = std::move(it->second);
    captures.erase(it);
    if (capture.invalidated) {
        *graph = nullptr;
        return fail(901, "cuStreamEndCapture: the capture was invalidated; no graph");
    }
    Graph* made = new Graph{std::move(capture.nodes)};
    graphs.insert(made);
    *graph = made;
    return 0;
}
CUresult cuGraphInstantiateWithFlags(void** exec, void* graph, unsigned long long flags) {
    NEED_CONTEXT("cuGraphInstantiateWithFlags");
    if (flags != 0) return fail(1, "cuGraphInstantiateWithFlags: flags " + std::to_string(flags) + " (expected 0)");
    std::lock_guard<std::mutex> g(lock);
    if (!graphs.count((Graph*)graph)) return fail(1, "cuGraphInstantiateWithFlags of an unknown or destroyed graph");
    GraphExec* made = new GraphExec{((Graph*)graph)->nodes};
    execs.insert(made);
    *exec = made;
    return 0;
}
// Nothing to copy: the nodes already live in host memory. Checked like cuGraphLaunch.
CUresult cuGraphUpload(void* exec, void* s) {
    NEED_CONTEXT("cuGraphUpload");
    CHECK_STREAM("cuGraphUpload", s);
    std::lock_guard<std::mutex> g(lock);
    if (!execs.count((GraphExec*)exec)) return fail(1, "cuGraphUpload of an unknown or destroyed executable graph");
    auto it = captures.find(s);
    if (it != captures.end()) {
        it->second.invalidated = true;
        return fail(900, "cuGraphUpload into a capturing stream: the capture is invalidated");
    }
    graph_uploads++;
    return 0;
}
CUresult cuGraphLaunch(void* exec, void* s) {
    NEED_CONTEXT("cuGraphLaunch");
    CHECK_STREAM("cuGraphLaunch", s);
    GraphExec* e = (GraphExec*)exec;
    {
        std::lock_guard<std::mutex> g(lock);
        if (!execs.count(e)) return fail(1, "cuGraphLaunch of an unknown or destroyed executable graph");
        auto it = captures.find(s);
        if (it != captures.end()) {
            it->second.invalidated = true;
            return fail(900, "cuGraphLaunch into a capturing stream: the capture is invalidated");
        }
    }
    graph_launches++;
    for (size_t i = 0; i < e->nodes.size(); i++) {
        const Node& node = e->nodes[i];
        if (CUresult r = node.run()) return fail(r, "cuGraphLaunch: node " + std::to_string(i) + " failed");
        if (node.kind == Node::Kind::kernel) graph_kernels++;
        if (node.kind == Node::Kind::gemm) graph_gemms++;
    }
    return 0;
}
CUresult cuGraphExecDestroy(void* exec) {
    NEED_CONTEXT("cuGraphExecDestroy");
    if (CUresult r = unsafe_during_capture("cuGraphExecDestroy")) return r;
    std::lock_guard<std::mutex> g(lock);
    if (!execs.erase((GraphExec*)exec)) return fail(1, "cuGraphExecDestroy of an unknown or destroyed executable graph");
    delete (GraphExec*)exec;
    return 0;
}
CUresult cuGraphDestroy(void* graph) {
    NEED_CONTEXT("cuGraphDestroy");
    std::lock_guard<std::mutex> g(lock);
    if (!graphs.erase((Graph*)graph)) return fail(1, "cuGraphDestroy of an unknown or destroyed graph");
    delete (Graph*)graph;
    return 0;
}

// cuBLAS
typedef int cublasStatus_t;
cublasStatus_t cublasCreate_v2(void** h) {
    if (current != &context_token) return fail(1, "cublasCreate without a current context");
    *h = new int(3);
    std::lock_guard<std::mutex> g(lock);
    handles.insert(*h);
    handle_stream[*h] = nullptr;
    return 0;
}
cublasStatus_t cublasDestroy_v2(void* h) {
    std::lock_guard<std::mutex> g(lock);
    if (!handles.erase(h)) return fail(7, "cublasDestroy of an unknown handle");
    handle_stream.erase(h);
    delete (int*)h;
    return 0;
}
cublasStatus_t cublasGetVersion_v2(void*, int* v) {
    *v = 130000;
    return 0;
}
cublasStatus_t cublasSetStream_v2(void* h, void* s) {
    std::lock_guard<std::mutex> g(lock);
    if (!handles.count(h) || !streams.count(s)) return fail(7, "cublasSetStream: unknown handle or stream");
    handle_stream[h] = s;
    return 0;
}
cublasStatus_t cublasSetWorkspace_v2(void* h, void* w, size_t bytes) {
    if (!handles.count(h)) return fail(7, "cublasSetWorkspace: unknown handle");
    if (!inside((uintptr_t)w, bytes)) return fail(7, "cublasSetWorkspace outside an allocation");
    return 0;
}
cublasStatus_t cublasSetMathMode(void*, int mode) {
    return mode == 16 ? 0 : fail(7, "unexpected math mode " + std::to_string(mode));
}
const char* cublasGetStatusName(int s) {
    return s == 0 ? "CUBLAS_STATUS_SUCCESS" : s == 7 ? "CUBLAS_STATUS_INVALID_VALUE"
                  : s == 13 ? "CUBLAS_STATUS_EXECUTION_FAILED" : "CUBLAS_STATUS_OTHER";
}
const char* cublasGetStatusString(int) {
    return "fake cuBLAS status";
}

// cudaDataType values: CUDA_R_32F 0, CUDA_R_16F 2, CUDA_R_16BF 14.
static double load(const void* p, int type, size_t i) {
    return type == 2    ? (double)__half2float(((const __half*)p)[i])
           : type == 14 ? (double)__bfloat162float(((const __nv_bfloat16*)p)[i])
                        : (double)((const float*)p)[i];
}

// C = alpha * op(A) op(B) + beta * C in double, column-major, stored as C's type.
static void gemm(int ta, int tb, int m, int n, int k, float a, const void* A, int at, int lda, const void* B, int bt,
                 int ldb, float b, void* C, int ct, int ldc) {
    for (int j = 0; j < n; j++) {
        for (int i = 0; i < m; i++) {
            double sum = 0;
            for (int p = 0; p < k; p++) {
                double av = ta ? load(A, at, (size_t)p + (size_t)i * lda) : load(A, at, (size_t)i + (size_t)p * lda);
                double bv = tb ? load(B, bt, (size_t)j + (size_t)p * ldb) : load(B, bt, (size_t)p + (size_t)j * ldb);
                sum += av * bv;
            }
            size_t ci = (size_t)i + (size_t)j * ldc;
            double old = b == 0 ? 0 : load(C, ct, ci);
            float r = (float)(a * sum + b * old);
            if (ct == 2) ((__half*)C)[ci] = __float2half_rn(r);
            else if (ct == 14) ((__nv_bfloat16*)C)[ci] = __float2bfloat16_rn(r);
            else ((float*)C)[ci] = r;
        }
    }
}

cublasStatus_t cublasGemmEx(void* h, int ta, int tb, int m, int n, int k, const void* alpha, const void* A, int at,
                            int lda, const void* B, int bt, int ldb, const void* beta, void* C, int ct, int ldc,
                            int compute, int algo) {
    if (current != &context_token) return fail(7, "cublasGemmEx without a current context");
    void* s;
    {
        std::lock_guard<std::mutex> g(lock);
        if (!handles.count(h)) return fail(7, "cublasGemmEx: unknown handle");
        s = handle_stream[h];
    }
    if (compute != 68 || algo != -1) return fail(7, "cublasGemmEx: compute " + std::to_string(compute));
    // As cuBLAS with CUBLAS_COMPUTE_32F: A and B both fp16 or both bf16, C of their type or fp32.
    if (!((at == 2 || at == 14) && bt == at && (ct == at || ct == 0))) {
        return fail(7, "cublasGemmEx: types A " + std::to_string(at) + ", B " + std::to_string(bt) + ", C " +
                           std::to_string(ct));
    }
    int arows = ta ? k : m, acols = ta ? m : k, brows = tb ? n : k, bcols = tb ? k : n;
    if (m < 1 || n < 1 || k < 1 || lda < arows || ldb < brows || ldc < m) return fail(7, "cublasGemmEx: dims");
    size_t abytes = 2 * ((size_t)lda * (acols - 1) + arows), bbytes = 2 * ((size_t)ldb * (bcols - 1) + brows);
    size_t cbytes = (ct == 0 ? 4 : 2) * ((size_t)ldc * (n - 1) + m);
    auto operands_inside = [=] {
        return inside((uintptr_t)A, abytes) && inside((uintptr_t)B, bbytes) && inside((uintptr_t)C, cbytes);
    };
    if (!operands_inside()) return fail(7, "cublasGemmEx: an operand lies outside its allocation");
    // Host pointer mode: alpha and beta are read now, also when the GEMM is captured.
    const float a = *(const float*)alpha, b = *(const float*)beta;
    Node node{Node::Kind::gemm, [=]() -> CUresult {
        if (!operands_inside()) return fail(700, "graph GEMM: an operand was freed after the capture");
        gemm(ta, tb, m, n, k, a, A, at, lda, B, bt, ldb, b, C, ct, ldc);
        return 0;
    }};
    if (s == nullptr) {
        direct_gemms++;
        node.run();
        return 0;
    }
    // The launch of cuBLAS's kernel fails on an invalidated capture.
    return submit(s, "cublasGemmEx", std::move(node)) == 0 ? 0 : 13;
}

// Work counters for tests, read through FFM or dlsym:
//   out[0] kernels executed directly by cuLaunchKernel (not recorded into a capture)
//   out[1] cuGraphLaunch calls that passed the handle and stream checks and began replaying
//   out[2] kernel nodes executed by graph launches
//   out[3] live graphs (cuStreamEndCapture minus cuGraphDestroy)
//   out[4] live executable graphs (cuGraphInstantiateWithFlags minus cuGraphExecDestroy)
//   out[5] GEMMs executed directly by cublasGemmEx (not recorded into a capture)
//   out[6] GEMM nodes executed by graph launches
//   out[7] cuGraphUpload calls that passed the handle and stream checks
// out must hold 8 values. Counts are since the library was loaded; recorded work counts nowhere
// until a graph launch runs it.
void gemma4j_fake_counters(long long* out) {
    out[0] = direct_kernels;
    out[1] = graph_launches;
    out[2] = graph_kernels;
    std::lock_guard<std::mutex> g(lock);
    out[3] = (long long)graphs.size();
    out[4] = (long long)execs.size();
    out[5] = direct_gemms;
    out[6] = graph_gemms;
    out[7] = graph_uploads;
}

}  // extern "C"
