// A fake libcuda + libcublas for checking gemma4j's Java CUDA backend on a machine without a GPU.
// Device memory is host memory (mmap with a guard page after each buffer); kernels are the real
// cuda-kernels sources run by the host emulation; cublasGemmEx is a plain loop. Misuse a real
// driver would reject (no current context, copies outside an allocation, wrong block size,
// unknown pointers) returns an error and prints why.
#include "cuda_emulation.h"
#include "../gemma4j.cu"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

namespace {

std::mutex lock;
std::map<uintptr_t, size_t> allocations;       // device buffers: start -> bytes
std::map<uintptr_t, size_t> mapped;            // start -> mapped bytes (for munmap)
std::map<void*, size_t> pinned;
std::set<void*> events, streams, handles;
size_t allocated = 0;
int primary_refs = 0;
int context_token = 0x1234;
thread_local void* current = nullptr;
const size_t kTotal = 8ull << 30;
bool initialised = false;

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

#define NEED_CONTEXT(name) \
    if (current != &context_token) return fail(201, std::string(name) + " without a current context")

using Launcher = void (*)(dim3, dim3, void**);

template <typename... P, size_t... I>
void call(void (*k)(P...), dim3 g, dim3 b, void** params, std::index_sequence<I...>) {
    emulation::launch(k, g, b, *static_cast<std::remove_cv_t<P>*>(params[I])...);
}

struct Function {
    const char* name;
    int threads;
    bool grid_stride;
    void (*run)(dim3, dim3, void**);
};

template <typename... P>
void run_any(void (*k)(P...), dim3 g, dim3 b, void** params) {
    call(k, g, b, params, std::index_sequence_for<P...>{});
}

#define KERNEL(name, threads, stride) \
    Function{#name, threads, stride, [](dim3 g, dim3 b, void** p) { run_any(name, g, b, p); }}

Function functions[] = {
    KERNEL(embedding_gather, EMBEDDING_THREADS, false),
    KERNEL(rmsnorm_f16, RMSNORM_THREADS, false),
    KERNEL(rope_and_cache, ROPE_THREADS, false),
    KERNEL(geglu_f32, GEGLU_THREADS, true),
    KERNEL(geglu_f16, GEGLU_THREADS, true),
    KERNEL(attention_decode_partial, DECODE_THREADS, false),
    KERNEL(attention_decode_combine, COMBINE_THREADS, false),
    KERNEL(attention_prefill, PREFILL_THREADS, false),
    KERNEL(convert_bf16_to_f16, CONVERT_THREADS, true),
    KERNEL(convert_f32_to_f16, CONVERT_THREADS, true),
    KERNEL(synthetic_fill, SYNTHETIC_THREADS, true),
};

const char* error_name(int e) {
    switch (e) {
        case 0: return "CUDA_SUCCESS";
        case 1: return "CUDA_ERROR_INVALID_VALUE";
        case 2: return "CUDA_ERROR_OUT_OF_MEMORY";
        case 201: return "CUDA_ERROR_INVALID_CONTEXT";
        case 400: return "CUDA_ERROR_INVALID_HANDLE";
        case 500: return "CUDA_ERROR_NOT_FOUND";
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
                     "%zu events, %zu streams, %zu cuBLAS handles\n", allocations.size(), allocated, pinned.size(),
                     events.size(), streams.size(), handles.size());
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
    return 0;
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
    (void)mapped;
    return 0;
}
CUresult cuMemFree_v2(CUdeviceptr p) {
    NEED_CONTEXT("cuMemFree_v2");
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
    std::lock_guard<std::mutex> g(lock);
    *pp = std::malloc(bytes);
    pinned[*pp] = bytes;
    return 0;
}
CUresult cuMemFreeHost(void* p) {
    NEED_CONTEXT("cuMemFreeHost");
    std::lock_guard<std::mutex> g(lock);
    if (!pinned.erase(p)) return fail(1, "cuMemFreeHost of memory not from cuMemAllocHost");
    std::free(p);
    return 0;
}
#define CHECK_STREAM(name, s) \
    if (!streams.count((void*)(s))) return fail(400, std::string(name) + " on an unknown stream")
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t n, void* s) {
    NEED_CONTEXT("cuMemcpyHtoDAsync_v2");
    CHECK_STREAM("cuMemcpyHtoDAsync_v2", s);
    if (!inside(dst, n)) return fail(1, "cuMemcpyHtoDAsync_v2 outside an allocation: " + std::to_string(n) + " bytes");
    std::memcpy((void*)dst, src, n);
    return 0;
}
CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t n, void* s) {
    NEED_CONTEXT("cuMemcpyDtoHAsync_v2");
    CHECK_STREAM("cuMemcpyDtoHAsync_v2", s);
    if (!inside(src, n)) return fail(1, "cuMemcpyDtoHAsync_v2 outside an allocation: " + std::to_string(n) + " bytes");
    std::memcpy(dst, (void*)src, n);
    return 0;
}
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t n, void* s) {
    NEED_CONTEXT("cuMemcpyDtoDAsync_v2");
    CHECK_STREAM("cuMemcpyDtoDAsync_v2", s);
    if (!inside(dst, n) || !inside(src, n)) return fail(1, "cuMemcpyDtoDAsync_v2 outside an allocation");
    std::memmove((void*)dst, (void*)src, n);
    return 0;
}
CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char v, size_t n, void* s) {
    NEED_CONTEXT("cuMemsetD8Async");
    CHECK_STREAM("cuMemsetD8Async", s);
    if (!inside(dst, n)) return fail(1, "cuMemsetD8Async outside an allocation");
    std::memset((void*)dst, v, n);
    return 0;
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
    if (!streams.erase(s)) return fail(400, "cuStreamDestroy_v2 of an unknown stream");
    delete (int*)s;
    return 0;
}
CUresult cuStreamSynchronize(void* s) {
    NEED_CONTEXT("cuStreamSynchronize");
    CHECK_STREAM("cuStreamSynchronize", s);
    return 0;
}
CUresult cuEventCreate(void** e, unsigned) {
    NEED_CONTEXT("cuEventCreate");
    *e = new int(9);
    events.insert(*e);
    return 0;
}
CUresult cuEventRecord(void* e, void* s) {
    NEED_CONTEXT("cuEventRecord");
    CHECK_STREAM("cuEventRecord", s);
    if (!events.count(e)) return fail(400, "cuEventRecord of an unknown event");
    return 0;
}
CUresult cuEventSynchronize(void* e) {
    NEED_CONTEXT("cuEventSynchronize");
    if (!events.count(e)) return fail(400, "cuEventSynchronize of an unknown event");
    return 0;
}
CUresult cuEventDestroy_v2(void* e) {
    NEED_CONTEXT("cuEventDestroy_v2");
    if (!events.erase(e)) return fail(400, "cuEventDestroy_v2 of an unknown event");
    delete (int*)e;
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
    Function* fn = (Function*)f;
    if (extra != nullptr || shared != 0) return fail(1, "unexpected extra or shared memory");
    if ((int)bx != fn->threads || by != 1 || bz != 1) {
        return fail(1, std::string(fn->name) + ": block " + std::to_string(bx) + " instead of " +
                           std::to_string(fn->threads));
    }
    if (gx == 0 || gy == 0 || gz == 0 || gy > 65535 || gz > 65535) return fail(1, "bad grid");
    // Grid-stride kernels are correct for any grid: a few blocks keep the emulation fast.
    if (fn->grid_stride && gx > 4) gx = 4;
    fn->run(dim3(gx, gy, gz), dim3(bx, 1, 1), params);
    return 0;
}

// cuBLAS
typedef int cublasStatus_t;
cublasStatus_t cublasCreate_v2(void** h) {
    if (current != &context_token) return fail(1, "cublasCreate without a current context");
    *h = new int(3);
    handles.insert(*h);
    return 0;
}
cublasStatus_t cublasDestroy_v2(void* h) {
    if (!handles.erase(h)) return fail(7, "cublasDestroy of an unknown handle");
    delete (int*)h;
    return 0;
}
cublasStatus_t cublasGetVersion_v2(void*, int* v) {
    *v = 130000;
    return 0;
}
cublasStatus_t cublasSetStream_v2(void* h, void* s) {
    if (!handles.count(h) || !streams.count(s)) return fail(7, "cublasSetStream: unknown handle or stream");
    return 0;
}
void* workspace_for = nullptr;
cublasStatus_t cublasSetWorkspace_v2(void* h, void* w, size_t bytes) {
    if (!handles.count(h)) return fail(7, "cublasSetWorkspace: unknown handle");
    if (!inside((uintptr_t)w, bytes)) return fail(7, "cublasSetWorkspace outside an allocation");
    return 0;
}
cublasStatus_t cublasSetMathMode(void*, int mode) {
    return mode == 16 ? 0 : fail(7, "unexpected math mode " + std::to_string(mode));
}
const char* cublasGetStatusName(int s) {
    return s == 0 ? "CUBLAS_STATUS_SUCCESS" : s == 7 ? "CUBLAS_STATUS_INVALID_VALUE" : "CUBLAS_STATUS_OTHER";
}
const char* cublasGetStatusString(int) {
    return "fake cuBLAS status";
}

static double load(const void* p, int type, size_t i) {
    return type == 2 ? (double)__half2float(((const __half*)p)[i]) : (double)((const float*)p)[i];
}

cublasStatus_t cublasGemmEx(void* h, int ta, int tb, int m, int n, int k, const void* alpha, const void* A, int at,
                            int lda, const void* B, int bt, int ldb, const void* beta, void* C, int ct, int ldc,
                            int compute, int algo) {
    if (current != &context_token) return fail(7, "cublasGemmEx without a current context");
    if (!handles.count(h)) return fail(7, "cublasGemmEx: unknown handle");
    if (compute != 68 || algo != -1) return fail(7, "cublasGemmEx: compute " + std::to_string(compute));
    if (at != 2 || bt != 2 || (ct != 2 && ct != 0)) return fail(7, "cublasGemmEx: types");
    int arows = ta ? k : m, acols = ta ? m : k, brows = tb ? n : k, bcols = tb ? k : n;
    if (m < 1 || n < 1 || k < 1 || lda < arows || ldb < brows || ldc < m) return fail(7, "cublasGemmEx: dims");
    size_t cbytes = ct == 2 ? 2 : 4;
    if (!inside((uintptr_t)A, 2 * ((size_t)lda * (acols - 1) + arows)) ||
        !inside((uintptr_t)B, 2 * ((size_t)ldb * (bcols - 1) + brows)) ||
        !inside((uintptr_t)C, cbytes * ((size_t)ldc * (n - 1) + m))) {
        return fail(7, "cublasGemmEx: an operand lies outside its allocation");
    }
    float a = *(const float*)alpha, b = *(const float*)beta;
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
            else ((float*)C)[ci] = r;
        }
    }
    return 0;
}

}  // extern "C"
