/*
 * The CUDA runtime as the CUDA backend's sources use it, emulated on the CPU for test_cuda_host: the .cu files of
 * native/src/cuda compile as C++ against this header (cuda_host/rewrite.cmake turns each launch `k<<<...>>>(args)`
 * into a call of dbn4j_host::Launch first), and test_cuda then runs on any machine.
 *
 * What it models:
 *   - a kernel launch runs its blocks one after another; the threads of a block are fibers (cuda_host.cpp) that
 *     switch only at __syncthreads and at warp shuffles, in index order or, with DBN4J_HOST_ORDER=reverse, in
 *     reverse order (threads and blocks): a kernel whose result depends on that order has a race;
 *   - __shared__ memory is a static per kernel (one block runs at a time), filled with 0xff bytes at each block's
 *     start (fresh_shared), device memory is host memory (so AddressSanitizer sees a kernel read past an
 *     allocation), the arithmetic intrinsics are the IEEE operations they name (no contraction: compiled with
 *     -ffp-contract=off);
 *   - every allocation is known as device or pinned memory: a kernel's pointer argument (or a pointer its op lists
 *     with each_pointer) outside device memory, or a GEMM operand not wholly in it, faults as on a device
 *     (cudaErrorIllegalAddress, sticky, reported at the next synchronization and by every later call; the reason
 *     printed); a memset or copy not wholly in it (or a copy's host side in it) aborts with what it was;
 *   - work queued on a stream runs only when something waits for it: a synchronization of the stream or device,
 *     another stream waiting on an event recorded after it, cudaFree. So a host read of a result that nothing
 *     waited for sees the old contents, as it may on a device; DBN4J_HOST_STREAMS picks the order of work that no
 *     event orders (deferred: as late as it may; others-first; interleaved: the streams' work alternating item by
 *     item) or none of this (immediate), see cuda_host.cpp;
 *   - a stream capture records launches, memsets and copies (and the emulated cuBLAS GEMMs) into a graph that a
 *     launch replays in an order its dependencies allow, picked by DBN4J_HOST_STREAMS (recording order, the main
 *     branch first, or the branches in turn); events fork other streams into a capture and join them back, and
 *     ending a capture with a stream not joined fails as CUDA does;
 *   - while a thread captures (thread-local mode), its cudaMalloc, cudaFree, cudaMemcpy, device synchronization
 *     and synchronization of the capturing stream fail and invalidate its captures; only it may end them.
 * What it does not: concurrency between streams or blocks (deferred work runs in queue order when waited for, one
 * kernel at a time; interleaved, the streams' kernels alternate; a graph's branches in one of three orders),
 * memory faults other than the pointers above as CUDA errors (an index past an array is a crash or an
 * AddressSanitizer report here), timing. Lenient where CUDA is undefined: threads that have exited count as arrived
 * at __syncthreads, and work on the legacy stream (nullptr) runs at once.
 */
#ifndef DBN4J_HOST_CUDA_RUNTIME_H
#define DBN4J_HOST_CUDA_RUNTIME_H

#define CUDART_VERSION 13000   // the runtime API it stands in for

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <atomic>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static

// ---- types ----
enum cudaError_t {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInsufficientDriver = 35,
    cudaErrorNoDevice = 100,
    cudaErrorInvalidDevice = 101,
    cudaErrorDevicesUnavailable = 46,
    cudaErrorStubLibrary = 34,
    cudaErrorCallRequiresNewerDriver = 36,
    cudaErrorSystemDriverMismatch = 803,
    cudaErrorInvalidConfiguration = 9,
    cudaErrorInvalidResourceHandle = 400,
    cudaErrorIllegalState = 401,
    cudaErrorStreamCaptureUnsupported = 900,
    cudaErrorStreamCaptureInvalidated = 901,
    cudaErrorStreamCaptureUnjoined = 904,
    cudaErrorStreamCaptureIsolation = 905,
    cudaErrorStreamCaptureWrongThread = 908,
    cudaErrorIllegalAddress = 700,
};
enum cudaMemcpyKind {
    cudaMemcpyHostToHost = 0,
    cudaMemcpyHostToDevice = 1,
    cudaMemcpyDeviceToHost = 2,
    cudaMemcpyDeviceToDevice = 3,
};
enum cudaStreamCaptureMode {
    cudaStreamCaptureModeGlobal = 0,
    cudaStreamCaptureModeThreadLocal = 1,
    cudaStreamCaptureModeRelaxed = 2,
};
constexpr unsigned cudaStreamNonBlocking = 1;
constexpr unsigned cudaEventDisableTiming = 2;

typedef struct CUstream_st *cudaStream_t;
typedef struct CUevent_st *cudaEvent_t;
typedef struct CUgraph_st *cudaGraph_t;
typedef struct CUgraphExec_st *cudaGraphExec_t;
typedef struct CUgraphNode_st *cudaGraphNode_t;
enum cudaGraphNodeType {   // the emulation's nodes are all kernels (launches, copies, memsets and GEMMs alike)
    cudaGraphNodeTypeKernel = 0,
    cudaGraphNodeTypeMemcpy = 1,
    cudaGraphNodeTypeMemset = 2,
    cudaGraphNodeTypeEmpty = 5,
};
struct cudaGraphEdgeData {
    unsigned char from_port, to_port, type, reserved[5];
};

struct cudaDeviceProp {
    char name[256];
    int major, minor;
    size_t totalGlobalMem;
    int multiProcessorCount;
};

struct uint3 {
    unsigned x, y, z;
};
struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
};
struct alignas(8) float2 {
    float x, y;
};
struct alignas(16) float4 {
    float x, y, z, w;
};
inline float2 make_float2(float x, float y) { return float2{x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }

// The running thread's coordinates (set by the scheduler before it resumes a fiber).
extern uint3 threadIdx, blockIdx;
extern dim3 blockDim, gridDim;

// ---- runtime API (cuda_host.cpp), with C linkage as the toolkit's (libcudart.so.13 of the Java tests exports it) ----
extern "C" {
cudaError_t cudaGetDeviceCount(int *count);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *prop, int device);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total_bytes);
cudaError_t cudaGetLastError(void);
const char *cudaGetErrorString(cudaError_t err);
const char *cudaGetErrorName(cudaError_t err);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *stream, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
cudaError_t cudaDeviceSynchronize(void);
cudaError_t cudaEventCreateWithFlags(cudaEvent_t *event, unsigned flags);
cudaError_t cudaEventDestroy(cudaEvent_t event);
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream = nullptr);
cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned flags = 0);
cudaError_t cudaMalloc(void **p, size_t bytes);
cudaError_t cudaFree(void *p);
cudaError_t cudaMallocHost(void **p, size_t bytes);
cudaError_t cudaFreeHost(void *p);
cudaError_t cudaMallocAsync(void **p, size_t bytes, cudaStream_t stream);
cudaError_t cudaFreeAsync(void *p, cudaStream_t stream);
cudaError_t cudaMemsetAsync(void *p, int value, size_t bytes, cudaStream_t stream = nullptr);
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream = nullptr);
cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode mode);
cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t *graph);
cudaError_t cudaGraphInstantiate(cudaGraphExec_t *exec, cudaGraph_t graph, unsigned long long flags = 0);
cudaError_t cudaGraphDestroy(cudaGraph_t graph);
cudaError_t cudaGraphGetNodes(cudaGraph_t graph, cudaGraphNode_t *nodes, size_t *count);
cudaError_t cudaGraphGetEdges(cudaGraph_t graph, cudaGraphNode_t *from, cudaGraphNode_t *to,
                              cudaGraphEdgeData *data, size_t *count);
cudaError_t cudaGraphNodeGetType(cudaGraphNode_t node, cudaGraphNodeType *type);
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream);
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec);
}
template <class T> cudaError_t cudaMalloc(T **p, size_t bytes) { return cudaMalloc((void **)p, bytes); }

namespace dbn4j_host {

// Runs `work` on `stream` now, or records it into the stream's capture (the emulated cuBLAS queues its GEMMs so).
cudaError_t enqueue(cudaStream_t stream, std::function<void()> work);
// Queues a kernel of `grid` x `block` threads on `stream` (runs it now, or records it in the stream's capture);
// a bad configuration becomes the thread's last error, as a failed launch does.
// `check` runs once where the kernel runs, before its threads (each replay of a graph too); false: a fault, the
// threads do not run.
void launch(dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t stream, std::function<void()> body,
            std::function<bool()> check);
// Suspends the calling thread at a block barrier / exchanges 8 bytes with lane (lane ^ mask) of its warp.
void block_barrier();
uint64_t shuffle_xor(unsigned member_mask, uint64_t bits, int lane_mask);
// Aborts, naming `what`, unless [p, p + bytes) lies in one live allocation of cudaMalloc or cudaMallocAsync (with
// pinned_ok also of cudaMallocHost, which a device reaches too): for copies and memsets, which would copy from the
// wrong memory on a device, where this emulation would quietly read host memory.
void require_device(const void *p, size_t bytes, bool pinned_ok, const char *what);
// For what a kernel (or a GEMM) reads or writes: whether [p, p + bytes) lies in one live device allocation. If not,
// the kernel faults as on a device: the reason is printed, and the context is poisoned with cudaErrorIllegalAddress
// (sticky: the next synchronization and every later call report it; no later kernel runs).
bool device_access_ok(const void *p, size_t bytes, const char *what);
// A pointer argument of kernel `kernel` (argument `index`, from 0): null or in device memory (device_access_ok).
bool kernel_pointer_ok(const char *kernel, int index, const void *p);
// At a __shared__ declaration (rewrite.cmake adds the call): the first thread of each block to reach it fills the
// variable with 0xff bytes (a NaN, an invalid bool), so that a read before any thread of the block wrote shows.
void fresh_shared(void *p, size_t bytes);

// Whether T lists the pointers it holds (the kernels' ops: each_pointer(f) calls f on each).
template <class T, class = void> struct lists_pointers : std::false_type {};
template <class T>
struct lists_pointers<T, std::void_t<decltype(std::declval<const T &>().each_pointer(
                            std::declval<void (*)(const void *)>()))>> : std::true_type {};

template <class T> bool check_argument(const char *kernel, int index, const T &v) {
    if constexpr (std::is_pointer<T>::value) {
        if (v) return kernel_pointer_ok(kernel, index, (const void *)v);
    } else if constexpr (lists_pointers<T>::value) {
        bool ok = true;
        v.each_pointer([&](const void *p) { ok = ok && (!p || kernel_pointer_ok(kernel, index, p)); });
        return ok;
    }
    return true;
}

// `k<<<grid, block, shared, stream>>>(args)`, rewritten to `Launch(grid, block, shared, stream).run("k", [=](const
// auto &...a) { k(a...); }, args)`: the arguments are copied at the launch, and each thread calls the kernel with them
// (its template arguments deduced from them, as nvcc does; its by-value parameters each thread's own copy). Where the
// kernel runs, its pointer arguments are checked first (kernel_pointer_ok).
struct Launch {
    dim3 grid, block;
    size_t shared;
    cudaStream_t stream;
    Launch(dim3 g, dim3 b, size_t s = 0, cudaStream_t st = nullptr) : grid(g), block(b), shared(s), stream(st) {}
    template <class F, class... A> void run(const char *kernel, F call, A &&...args) {
        std::tuple<std::decay_t<A>...> values(std::forward<A>(args)...);
        launch(grid, block, shared, stream, [call, values]() { std::apply(call, values); }, [kernel, values]() {
            return std::apply(
                [kernel](const auto &...v) {
                    int i = 0;
                    bool ok = true;
                    ((ok = ok && check_argument(kernel, i++, v)), ...);
                    return ok;
                },
                values);
        });
    }
};

} // namespace dbn4j_host

// ---- device intrinsics: the IEEE operations they name ----
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return sqrtf(a); }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline float __int2float_rn(int i) { return (float)i; }
inline unsigned __float_as_uint(float f) {
    unsigned u;
    memcpy(&u, &f, sizeof u);
    return u;
}
inline float __uint_as_float(unsigned u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
inline float __int_as_float(int i) { return __uint_as_float((unsigned)i); }
inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((uint64_t)a * b) >> 32); }
template <class T> inline T __ldg(const T *p) { return *p; }
template <class T> inline T __ldcg(const T *p) { return *p; }
inline void __threadfence() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void __syncthreads() { dbn4j_host::block_barrier(); }
// Fibers switch only at barriers and shuffles, so a read-modify-write is atomic as it is.
inline unsigned atomicAdd(unsigned *p, unsigned v) {
    unsigned old = *p;
    *p = old + v;
    return old;
}
template <class T> inline T __shfl_xor_sync(unsigned mask, T v, int lane_mask) {
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "__shfl_xor_sync: 8 bytes at most");
    uint64_t bits = 0;
    memcpy(&bits, &v, sizeof v);
    bits = dbn4j_host::shuffle_xor(mask, bits, lane_mask);
    T out;
    memcpy(&out, &bits, sizeof out);
    return out;
}
template <class T> inline T min(T a, T b) { return b < a ? b : a; }
template <class T> inline T max(T a, T b) { return a < b ? b : a; }

#endif
