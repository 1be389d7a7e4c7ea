// Runs gemma4j's CUDA kernels on the host, for checking their results on machines without a GPU.
//
// Every thread of a block is an OS thread; blocks run one after another, so a kernel's
// __shared__ variables (function-local statics here) belong to the running block.
// __syncthreads() is a barrier over the block's threads, each warp shuffle a barrier over its
// warp's 32 threads, so lanes run independently between synchronisation points (like Volta's
// independent thread scheduling, stricter than lock-step execution). A thread that returns drops
// out of its barriers, as an exited thread does on the GPU. Compiled with g++ against the CUDA
// headers (fp16/bf16 host conversions).
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
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#undef __launch_bounds__
#define __launch_bounds__(...)

namespace emulation {

struct BlockState {
    explicit BlockState(int threads) : block(threads) {
        const int warps = (threads + 31) / 32;
        for (int w = 0; w < warps; ++w) {
            warp.push_back(std::make_unique<std::barrier<>>(std::min(32, threads - 32 * w)));
        }
        exchange.resize((size_t)warps * 32);
    }
    std::barrier<> block;
    std::vector<std::unique_ptr<std::barrier<>>> warp;
    std::vector<uint64_t> exchange;  // one slot per thread for shuffles
};

inline BlockState* current_block = nullptr;
inline thread_local int linear_thread = 0;

}  // namespace emulation

inline dim3 gridDim;
inline dim3 blockDim;
inline dim3 blockIdx;
inline thread_local uint3 threadIdx;

inline void __syncthreads() { emulation::current_block->block.arrive_and_wait(); }

inline void __syncwarp(unsigned = 0xffffffffu) {
    emulation::current_block->warp[emulation::linear_thread / 32]->arrive_and_wait();
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

inline int min(int a, int b) { return a < b ? a : b; }

using std::isnan;

namespace emulation {

// Runs kernel<<<grid, block>>>(args...) to completion (no kernel uses dynamic shared memory).
template <typename... Params, typename... Args>
void launch(void (*kernel)(Params...), dim3 grid, dim3 block, Args... args) {
    const int threads = (int)(block.x * block.y * block.z);
    if (block.y != 1 || block.z != 1 || threads % 32 != 0 || threads > 1024) {
        throw std::invalid_argument("emulated blocks are 1-D with a multiple of 32 threads, at most 1024; found " +
                                    std::to_string(threads));
    }
    gridDim = grid;
    blockDim = block;
    for (unsigned z = 0; z < grid.z; ++z) {
        for (unsigned y = 0; y < grid.y; ++y) {
            for (unsigned x = 0; x < grid.x; ++x) {
                blockIdx = dim3(x, y, z);
                BlockState state(threads);
                current_block = &state;
                std::vector<std::thread> workers;
                workers.reserve(threads);
                for (int t = 0; t < threads; ++t) {
                    workers.emplace_back([&, t] {
                        linear_thread = t;
                        threadIdx = make_uint3((unsigned)t, 0u, 0u);
                        kernel(static_cast<Params>(args)...);
                        state.warp[t / 32]->arrive_and_drop();
                        state.block.arrive_and_drop();
                    });
                }
                for (auto& w : workers) w.join();
                current_block = nullptr;
            }
        }
    }
}

}  // namespace emulation
