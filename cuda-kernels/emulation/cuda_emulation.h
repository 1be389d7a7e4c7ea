// Runs gemma4j's CUDA kernels on the host, for checking their results on machines without a GPU.
//
// Every thread of a block is a fiber (a context with its own stack) on the launching OS thread;
// blocks run one after another, so a kernel's __shared__ variables (function-local statics here)
// belong to the running block. A thread runs until it reaches a barrier (__syncthreads(), or a warp's
// __syncwarp() and shuffles), then the next thread runs; a barrier releases its threads once all of
// them (less those that returned) have arrived. Successive rounds between barriers run the threads
// in alternating order, ascending then descending, so a read of another thread's write that lacks a
// barrier sees a stale value in one of the two directions, whichever thread writes. A thread that
// returns drops out of its barriers, as an exited thread does on the GPU; threads that wait at
// barriers that can never complete (a __syncthreads() some threads skip) stop the emulation with the
// cause. Compiled with g++ against the CUDA headers (fp16/bf16 host conversions).
#pragma once

// Defined before the CUDA headers, which keep an existing definition of these four.
#define __host__
#define __device__
#define __global__
#define __shared__ static

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <vector_functions.h>
#include <vector_types.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <ucontext.h>
#include <sys/mman.h>
#include <type_traits>
#include <vector>

#undef __launch_bounds__
#define __launch_bounds__(...)

namespace emulation {

// A barrier of fibers: `expected` threads take part (fewer once some have returned); the phase
// completes, and `generation` advances, when the last of them arrives.
struct Barrier {
    int expected = 0;
    int arrived = 0;
    unsigned long generation = 0;
};

struct BlockState {
    explicit BlockState(int threads) {
        block.expected = threads;
        const int warps = (threads + 31) / 32;
        warp.resize(warps);
        for (int w = 0; w < warps; ++w) warp[w].expected = std::min(32, threads - 32 * w);
        exchange.resize((size_t)warps * 32);
        wmma_tile.resize((size_t)warps * 256);
    }
    Barrier block;
    std::vector<Barrier> warp;
    std::vector<uint64_t> exchange;  // one slot per thread for shuffles
    std::vector<float> wmma_tile;     // 256 floats per warp for nvcuda::wmma::mma_sync
};

inline BlockState* current_block = nullptr;
inline thread_local int linear_thread = 0;

#if defined(__x86_64__)
// The context of a fiber is its saved stack pointer: switch_stack pushes the callee-saved registers
// and the SSE and x87 control words, stores the stack pointer in *from, loads `to`, pops the other
// fiber's and returns into it. Unlike swapcontext it makes no system call (no signal mask).
extern "C" void gemma4j_emulation_switch_stack(void** from, void* to);
asm(R"(
    .text
    .globl gemma4j_emulation_switch_stack
    .hidden gemma4j_emulation_switch_stack
    .type gemma4j_emulation_switch_stack, @function
gemma4j_emulation_switch_stack:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size gemma4j_emulation_switch_stack, .-gemma4j_emulation_switch_stack
)");

struct Context {
    void* sp = nullptr;
};

inline void switch_context(Context& from, Context& to) { gemma4j_emulation_switch_stack(&from.sp, to.sp); }

// A context that starts `entry` (which never returns) on the stack [base, base + size).
inline void make_context(Context& c, char* base, size_t size, void (*entry)()) {
    auto* top = reinterpret_cast<uint64_t*>(reinterpret_cast<uintptr_t>(base + size) & ~uintptr_t{15});
    uint32_t control[2];
    asm volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(control[0]), "=m"(control[1]));
    // Below the top: entry's return slot (unused), entry as switch_stack's return address, six
    // registers, the control words. After `ret` the stack pointer is 8 mod 16, as at a call.
    uint64_t* sp = top - 2;
    sp[0] = reinterpret_cast<uint64_t>(entry);
    sp[1] = 0;
    sp -= 6;
    for (int i = 0; i < 6; ++i) sp[i] = 0;
    sp -= 1;
    std::memcpy(sp, control, sizeof control);
    c.sp = sp;
}
#else
struct Context {
    ucontext_t u;
};

inline void switch_context(Context& from, Context& to) { swapcontext(&from.u, &to.u); }

inline void make_context(Context& c, char* base, size_t size, void (*entry)()) {
    getcontext(&c.u);
    c.u.uc_stack.ss_sp = base;
    c.u.uc_stack.ss_size = size;
    c.u.uc_link = nullptr;
    makecontext(&c.u, entry, 0);
}
#endif

// One emulated thread: its context, its stack, and the barrier phase it waits for (if any).
struct Fiber {
    Context context;
    Barrier* waiting = nullptr;
    unsigned long phase = 0;
    bool done = false;
};

// 256 KiB per thread (wmma fragments of 256 elements per lane live on it), mapped once for the
// largest block seen and touched only as deep as the kernels go.
constexpr size_t fiber_stack_bytes = 256 * 1024;

struct FiberPool {
    std::vector<Fiber> fibers;
    char* stacks = nullptr;
    size_t capacity = 0;
    Context scheduler;
    void (*body)(void*) = nullptr;
    void* body_argument = nullptr;
    std::exception_ptr failure;

    void reserve(int threads) {
        if ((size_t)threads <= capacity) return;
        if (stacks != nullptr) munmap(stacks, capacity * fiber_stack_bytes);
        void* p = mmap(nullptr, (size_t)threads * fiber_stack_bytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
        if (p == MAP_FAILED) throw std::runtime_error("cannot map the stacks of " + std::to_string(threads) + " emulated threads");
        stacks = static_cast<char*>(p);
        capacity = (size_t)threads;
        fibers = std::vector<Fiber>((size_t)threads);
    }
};

inline thread_local FiberPool pool;

inline void run_fiber(int t);

// Arrives at `b`; returns when its phase has completed (at once for the last to arrive).
inline void arrive_and_wait(Barrier& b) {
    if (++b.arrived == b.expected) {
        b.arrived = 0;
        ++b.generation;
        return;
    }
    Fiber& f = pool.fibers[(size_t)linear_thread];
    f.waiting = &b;
    f.phase = b.generation;
    switch_context(f.context, pool.scheduler);
}

// A returning thread: it no longer takes part, and counts as arrived for the current phase.
inline void arrive_and_drop(Barrier& b) {
    --b.expected;
    if (b.arrived == b.expected && b.arrived > 0) {
        b.arrived = 0;
        ++b.generation;
    }
}

}  // namespace emulation

inline dim3 gridDim;
inline dim3 blockDim;
inline dim3 blockIdx;
inline thread_local uint3 threadIdx;

inline void __syncthreads() { emulation::arrive_and_wait(emulation::current_block->block); }

inline void __syncwarp(unsigned = 0xffffffffu) {
    emulation::arrive_and_wait(emulation::current_block->warp[(size_t)emulation::linear_thread / 32]);
}

namespace emulation {

template <typename T>
T shuffle_from(T v, int source_lane) {
    static_assert(sizeof(T) <= sizeof(uint64_t), "shuffle of at most 8 bytes");
    const int warp = linear_thread / 32;
    uint64_t slot = 0;
    std::memcpy(&slot, &v, sizeof(T));
    current_block->exchange[linear_thread] = slot;
    __syncwarp();
    T result;
    const uint64_t other = current_block->exchange[warp * 32 + source_lane];
    std::memcpy(&result, &other, sizeof(T));
    __syncwarp();
    return result;
}

}  // namespace emulation

template <typename T>
T __shfl_xor_sync(unsigned, T v, int lane_mask, int = 32) {
    return emulation::shuffle_from(v, (emulation::linear_thread % 32) ^ lane_mask);
}

template <typename T>
T __shfl_up_sync(unsigned, T v, unsigned delta, int = 32) {
    const int lane = emulation::linear_thread % 32;
    return emulation::shuffle_from(v, lane >= (int)delta ? lane - (int)delta : lane);
}

inline int atomicAdd(int* p, int v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) {
    return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
inline int atomicMin(int* p, int v) {
    int old = __atomic_load_n(p, __ATOMIC_SEQ_CST);
    while (v < old && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
    }
    return old;
}
inline int atomicMax(int* p, int v) {
    int old = __atomic_load_n(p, __ATOMIC_SEQ_CST);
    while (v > old && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
    }
    return old;
}

inline unsigned atomicOr(unsigned* p, unsigned v) { return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); }
inline unsigned atomicMax(unsigned* p, unsigned v) {
    unsigned old = __atomic_load_n(p, __ATOMIC_SEQ_CST);
    while (v > old && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
    }
    return old;
}

// Round-to-nearest arithmetic without contraction (the test build uses -ffp-contract=off).
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
// The device's fast division is within 2 ulp for divisors of normal size; the host's is exact.
inline float __fdividef(float a, float b) { return a / b; }

inline int min(int a, int b) { return a < b ? a : b; }

// The parts of nvcuda::wmma the kernels use: m16n16k16 fragments of fp16 A and B with fp32
// accumulators. The element-to-lane mapping of a real fragment is unspecified; here every lane
// holds the whole tile, element (r, c) at x[r * cols + c], so code that indexes x[i] must learn an
// element's row or column from a loaded fragment (as it must on a GPU) rather than assume one.
// Each *_sync call is warp-collective: it synchronises the warp on entry (lanes that read what
// another lane's call wrote synchronise themselves, with __syncwarp, as on a GPU). Products of
// fp16 values are exact in fp32; mma_sync adds them in k order with fp32 rounding (tensor cores
// may add in another order: differences are within fp32 accumulation error).
namespace nvcuda::wmma {

struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };

template <typename Use, int M, int N, int K, typename T, typename Layout = void>
struct fragment {
    static_assert(M == 16 && N == 16 && K == 16, "the emulation has the m16n16k16 shape only");
    static constexpr int rows = 16;
    static constexpr int cols = 16;
    static constexpr int num_elements = rows * cols;
    using element_type = T;
    T x[num_elements];
};

}  // namespace nvcuda::wmma

namespace emulation {

// wmma requires 256-bit aligned pointers and ldm a multiple of 16 bytes; a GPU gives undefined
// results otherwise, so the emulation stops with the cause.
template <typename T>
void check_wmma_operand(const T* p, unsigned ldm, const char* call) {
    if (reinterpret_cast<uintptr_t>(p) % 32 != 0 || (ldm * sizeof(T)) % 16 != 0) {
        std::fprintf(stderr, "%s: pointer %p must be 32-byte aligned and ldm %u a multiple of %zu elements\n", call,
                     (const void*)p, ldm, 16 / sizeof(T));
        std::abort();
    }
}

template <typename Layout>
constexpr bool is_row_major() {
    return std::is_same_v<Layout, nvcuda::wmma::row_major>;
}

}  // namespace emulation

namespace nvcuda::wmma {

template <typename Use, int M, int N, int K, typename T, typename Layout>
void fill_fragment(fragment<Use, M, N, K, T, Layout>& a, const T& v) {
    __syncwarp();
    for (auto& e : a.x) e = v;
}

// A or B fragment: element (r, c) at p[r * ldm + c] (row_major) or p[c * ldm + r] (col_major).
template <typename Use, int M, int N, int K, typename T, typename Layout>
void load_matrix_sync(fragment<Use, M, N, K, T, Layout>& a, const T* p, unsigned ldm) {
    static_assert(!std::is_void_v<Layout>, "an A or B fragment has a layout");
    emulation::check_wmma_operand(p, ldm, "load_matrix_sync");
    __syncwarp();
    constexpr int rows = fragment<Use, M, N, K, T, Layout>::rows, cols = fragment<Use, M, N, K, T, Layout>::cols;
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
            a.x[r * cols + c] = emulation::is_row_major<Layout>() ? p[(size_t)r * ldm + c] : p[(size_t)c * ldm + r];
        }
    }
}

template <int M, int N, int K>
void load_matrix_sync(fragment<accumulator, M, N, K, float>& a, const float* p, unsigned ldm, layout_t layout) {
    emulation::check_wmma_operand(p, ldm, "load_matrix_sync");
    __syncwarp();
    for (int r = 0; r < 16; ++r) {
        for (int c = 0; c < 16; ++c) {
            a.x[r * 16 + c] = layout == mem_row_major ? p[(size_t)r * ldm + c] : p[(size_t)c * ldm + r];
        }
    }
}

template <int M, int N, int K>
void store_matrix_sync(float* p, const fragment<accumulator, M, N, K, float>& a, unsigned ldm, layout_t layout) {
    emulation::check_wmma_operand(p, ldm, "store_matrix_sync");
    __syncwarp();
    if (emulation::linear_thread % 32 == 0) {  // every lane holds the same tile; one writes it
        for (int r = 0; r < 16; ++r) {
            for (int c = 0; c < 16; ++c) {
                (layout == mem_row_major ? p[(size_t)r * ldm + c] : p[(size_t)c * ldm + r]) = a.x[r * 16 + c];
            }
        }
    }
}

// d = a * b + c; lane l computes elements l, l + 32, ... into the warp's scratch tile, then every
// lane copies the whole result (d may be c; the next call's entry barrier keeps the scratch tile
// until every lane has copied it).
template <int M, int N, int K, typename LayoutA, typename LayoutB>
void mma_sync(fragment<accumulator, M, N, K, float>& d, const fragment<matrix_a, M, N, K, __half, LayoutA>& a,
              const fragment<matrix_b, M, N, K, __half, LayoutB>& b, const fragment<accumulator, M, N, K, float>& c) {
    float* tile = emulation::current_block->wmma_tile.data() + (size_t)(emulation::linear_thread / 32) * 256;
    __syncwarp();
    for (int e = emulation::linear_thread % 32; e < 256; e += 32) {
        const int r = e / 16, col = e % 16;
        float sum = c.x[e];
        for (int k = 0; k < 16; ++k) sum += __half2float(a.x[r * 16 + k]) * __half2float(b.x[k * 16 + col]);
        tile[e] = sum;
    }
    __syncwarp();
    for (int e = 0; e < 256; ++e) d.x[e] = tile[e];
}

}  // namespace nvcuda::wmma

using std::isnan;

namespace emulation {

// The entry of every fiber: runs the launch's kernel body as the thread the scheduler resumed, then
// hands control back for good (the scheduler never resumes a finished fiber).
inline void fiber_entry() {
    const int t = linear_thread;
    try {
        pool.body(pool.body_argument);
    } catch (...) {
        if (!pool.failure) pool.failure = std::current_exception();
    }
    arrive_and_drop(current_block->warp[(size_t)t / 32]);
    arrive_and_drop(current_block->block);
    Fiber& f = pool.fibers[(size_t)t];
    f.done = true;
    switch_context(f.context, pool.scheduler);
    std::abort();  // unreachable
}

// Runs every thread of the current block to its end: rounds alternate between ascending and
// descending thread order; in each round every thread that is not waiting for an incomplete phase runs
// until it waits again or returns.
inline void run_block(int threads) {
    for (int t = 0; t < threads; ++t) {
        Fiber& f = pool.fibers[(size_t)t];
        f = Fiber{};
        make_context(f.context, pool.stacks + (size_t)t * fiber_stack_bytes, fiber_stack_bytes, &fiber_entry);
    }
    int left = threads;
    for (bool ascending = true; left > 0; ascending = !ascending) {
        int ran = 0;
        for (int i = 0; i < threads; ++i) {
            const int t = ascending ? i : threads - 1 - i;
            Fiber& f = pool.fibers[(size_t)t];
            if (f.done || (f.waiting != nullptr && f.waiting->generation == f.phase)) continue;
            f.waiting = nullptr;
            linear_thread = t;
            threadIdx = make_uint3((unsigned)t, 0u, 0u);
            switch_context(pool.scheduler, f.context);
            ++ran;
            if (f.done) --left;
        }
        if (ran == 0) {
            std::fprintf(stderr, "emulation: %d of %d threads of block (%u, %u, %u) wait at a barrier that the others "
                         "never reach (a __syncthreads() or warp collective not every thread takes)\n",
                         left, threads, blockIdx.x, blockIdx.y, blockIdx.z);
            std::abort();
        }
    }
}

// Runs kernel<<<grid, block>>>(args...) to completion (no kernel uses dynamic shared memory).
template <typename... Params, typename... Args>
void launch(void (*kernel)(Params...), dim3 grid, dim3 block, Args... args) {
    const int threads = (int)(block.x * block.y * block.z);
    if (block.y != 1 || block.z != 1 || threads % 32 != 0 || threads > 1024) {
        throw std::invalid_argument("emulated blocks are 1-D with a multiple of 32 threads, at most 1024; found " +
                                    std::to_string(threads));
    }
    pool.reserve(threads);
    auto body = [&] { kernel(static_cast<Params>(args)...); };
    pool.body = [](void* p) { (*static_cast<decltype(body)*>(p))(); };
    pool.body_argument = &body;
    pool.failure = nullptr;
    gridDim = grid;
    blockDim = block;
    for (unsigned z = 0; z < grid.z; ++z) {
        for (unsigned y = 0; y < grid.y; ++y) {
            for (unsigned x = 0; x < grid.x; ++x) {
                blockIdx = dim3(x, y, z);
                BlockState state(threads);
                current_block = &state;
                run_block(threads);
                current_block = nullptr;
                if (pool.failure) std::rethrow_exception(pool.failure);
            }
        }
    }
}

}  // namespace emulation
