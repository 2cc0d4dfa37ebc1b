/*
 * Internals of the CUDA backend: error helpers, launch helpers, argument checks, and the device copies of the
 * CPU's scalar math (exp_neg, sigmoid1, tanh1, log_pos, cos_2pi, uniform1, gaussian1, Philox4x32-10).
 * The math is native/src/cpu/kernels_impl.inc operation for operation; with -fmad=false (no FMA contraction
 * beyond the explicit __fmaf_rn that mirror the CPU's fma1),
 * IEEE division/sqrt (-prec-div/-prec-sqrt default true) and denormals kept (-ftz=false default) every function
 * here rounds exactly as the CPU's. Keep both in step: test_cuda compares them bit for bit.
 */
#ifndef DBN4J_CUDA_INTERNAL_CUH
#define DBN4J_CUDA_INTERNAL_CUH

#include <stdint.h>

#include <cuda_runtime.h>

#include "dbn4j/cuda_kernels.h"

namespace dbn4j_cuda {

// ---- errors (errors.cu) ----
int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Maps a CUDA error to a DBN4J code and formats "<what>: <cudaGetErrorString>" (what is printf-formatted).
int fail_cuda(cudaError_t err, const char *what_fmt, ...) __attribute__((format(printf, 2, 3)));
// After a launch: cudaGetLastError, reported as "<fn>: kernel launch: <message>".
int check_launch(const char *fn);

inline cudaStream_t as_stream(void *s) { return static_cast<cudaStream_t>(s); }

// ---- argument checks, as in the CPU's api.cpp ----
inline bool overlap(const void *a, int64_t na, const void *b, int64_t nb) {
    uintptr_t a0 = (uintptr_t)a, b0 = (uintptr_t)b;
    return a && b && na > 0 && nb > 0 && a0 < b0 + (uintptr_t)nb * 4 && b0 < a0 + (uintptr_t)na * 4;
}
inline bool partial(const void *out, const void *in, int64_t n) { return out != in && overlap(out, n, in, n); }
// A device uint64_t or double: 8-byte aligned, or a device faults (cudaErrorMisalignedAddress) where a host does not.
inline int check_aligned8(const char *fn, const char *name, const void *p) {
    if ((uintptr_t)p & 7) return fail(DBN4J_EINVAL, "%s: %s=%p is not 8-byte aligned", fn, name, p);
    return DBN4J_OK;
}
inline int check_rows(const char *fn, int B, int N) {
    if (B < 0 || N < 0) return fail(DBN4J_EINVAL, "%s: negative size B=%d N=%d", fn, B, N);
    return DBN4J_OK;
}

// Grid of blocks of 256 threads covering `work` items (capped; kernels use grid-stride loops).
constexpr int THREADS = 256;
inline unsigned grid_for(int64_t work) {
    int64_t g = (work + THREADS - 1) / THREADS;
    if (g < 1) g = 1;
    if (g > 65535 * 8) g = 65535 * 8;
    return (unsigned)g;
}

// ---- device math: copies of kernels_impl.inc ----
__device__ __forceinline__ uint32_t as_u32(float f) { return __float_as_uint(f); }
__device__ __forceinline__ float as_f32(uint32_t u) { return __uint_as_float(u); }

constexpr float LN2_HI = 0x1.62ep-1f;
constexpr float LN2_LO = 0x1.0bfbe8p-15f;

// exp(t) for t <= 0: kernels_impl.inc exp_neg, same constants, same operation order (Estrin), fused
// multiply-adds (__fmaf_rn) exactly where the CPU's fma1 are.
__device__ __forceinline__ float exp_neg(float t) {
    const float shifter = 0x1.8p23f;
    t = t < -104.0f ? -104.0f : t;
    float kb = __fmaf_rn(t, 0x1.715476p+0f, shifter);
    float kf = __fsub_rn(kb, shifter);
    uint32_t k = as_u32(kb) - as_u32(shifter);
    float r = __fmaf_rn(kf, -LN2_LO, __fmaf_rn(kf, -LN2_HI, t));
    float r2 = __fmul_rn(r, r);
    float q01 = __fmaf_rn(0x1.555488p-3f, r, 0x1.fffffcp-2f);
    float q23 = __fmaf_rn(0x1.12408cp-7f, r, 0x1.55591cp-5f);
    float q = __fmaf_rn(__fmul_rn(r2, r2), 0x1.6a18a4p-10f, __fmaf_rn(r2, q23, q01));
    float p = __fadd_rn(1.0f, __fmaf_rn(r2, q, r));
    return __fmul_rn(__fmul_rn(p, as_f32((k + 191u) << 23)), 0x1p-64f);
}

// sigmoid1: 1/(1+e) or e/(1+e) with e = exp(-|x|). __fdiv_rn: IEEE division, as the CPU's divss.
__device__ __forceinline__ float sigmoid1(float x) {
    float e = exp_neg(as_f32(as_u32(x) | 0x80000000u));
    float num = x >= 0.0f ? 1.0f : e;
    return __fdiv_rn(num, __fadd_rn(1.0f, e));
}

__device__ __forceinline__ float tanh1(float x) {
    uint32_t sign = as_u32(x) & 0x80000000u;
    float a = as_f32(as_u32(x) & 0x7fffffffu);
    float a2 = __fmul_rn(a, a);
    float q = -0x1.9ab044p-8f;
    q = __fadd_rn(__fmul_rn(q, a2), 0x1.5927bap-6f);
    q = __fsub_rn(__fmul_rn(q, a2), 0x1.b92610p-5f);
    q = __fadd_rn(__fmul_rn(q, a2), 0x1.110d18p-3f);
    q = __fsub_rn(__fmul_rn(q, a2), 0x1.55554ap-2f);
    float small = __fadd_rn(a, __fmul_rn(__fmul_rn(a, a2), q));
    float e = exp_neg(__fmul_rn(-2.0f, a));
    float big = __fdiv_rn(__fsub_rn(1.0f, e), __fadd_rn(1.0f, e));
    float y = a < 0.55f ? small : big;
    return as_f32(as_u32(y) | sign);
}

__device__ __forceinline__ float log_pos(float u) {
    uint32_t ix = as_u32(u) - 0x3f3504f3u;
    float e = (float)((int32_t)ix >> 23);
    float m = as_f32((ix & 0x007fffffu) + 0x3f3504f3u);
    float f = __fsub_rn(m, 1.0f);
    float s = __fdiv_rn(f, __fadd_rn(2.0f, f));
    float z = __fmul_rn(s, s);
    float R = 0x1.31e5e4p-2f;
    R = __fadd_rn(__fmul_rn(R, z), 0x1.995ea4p-2f);
    R = __fadd_rn(__fmul_rn(R, z), 0x1.55557ap-1f);
    float lnm = __fadd_rn(__fmul_rn(2.0f, s), __fmul_rn(__fmul_rn(s, z), R));
    return __fadd_rn(__fmul_rn(e, LN2_HI), __fadd_rn(lnm, __fmul_rn(e, LN2_LO)));
}

__device__ __forceinline__ float cos_2pi(float u) {
    float a = u > 0.5f ? __fsub_rn(1.0f, u) : u;
    uint32_t sign = a > 0.25f ? 0x80000000u : 0u;
    float b = a > 0.25f ? __fsub_rn(0.5f, a) : a;
    float d = __fsub_rn(0.25f, b);
    float b2 = __fmul_rn(b, b), d2 = __fmul_rn(d, d);
    float c = 0x1.d9d214p+5f;
    c = __fsub_rn(__fmul_rn(c, b2), 0x1.55c5d4p+6f);
    c = __fadd_rn(__fmul_rn(c, b2), 0x1.03c1dep+6f);
    c = __fsub_rn(__fmul_rn(c, b2), 0x1.3bd3ccp+4f);
    c = __fadd_rn(1.0f, __fmul_rn(b2, c));
    float s = -0x1.2d90eap+6f;
    s = __fadd_rn(__fmul_rn(s, d2), 0x1.465e88p+6f);
    s = __fsub_rn(__fmul_rn(s, d2), 0x1.4abbb8p+5f);
    s = __fadd_rn(__fmul_rn(s, d2), 0x1.921fb6p+2f);
    s = __fmul_rn(d, s);
    float r = b <= 0.125f ? c : s;
    return as_f32(as_u32(r) ^ sign);
}

// (w >> 8) * 2^-24: the int -> float conversion is exact (24 bits), the product is a power-of-two scaling.
__device__ __forceinline__ float uniform1(uint32_t w) { return __fmul_rn(__int2float_rn((int32_t)(w >> 8)), 0x1p-24f); }
__device__ __forceinline__ float uniform16(uint16_t h) { return __fmul_rn(__int2float_rn((int32_t)h), 0x1p-16f); }

__device__ __forceinline__ float gaussian1(uint32_t w1, uint32_t w2) {
    float u1 = __fmul_rn(__int2float_rn((int32_t)((w1 >> 8) + 1u)), 0x1p-24f);
    float u2 = __fmul_rn(__int2float_rn((int32_t)(w2 >> 8)), 0x1p-24f);
    return __fmul_rn(__fsqrt_rn(__fmul_rn(-2.0f, log_pos(u1))), cos_2pi(u2));
}


// The CPU's LaneSum order (kernels_impl.inc): lane l = k % 16 adds element k in index order from +0, then
// lane l += lane l + w for w = 8, 4, 2, 1; the sum is lane 0.
struct LaneSum {
    float a[16];
    __device__ LaneSum() {
#pragma unroll
        for (int l = 0; l < 16; l++) a[l] = 0.0f;
    }
    __device__ void add(int k, float v) { a[k & 15] = __fadd_rn(a[k & 15], v); }
    __device__ float total() {
#pragma unroll
        for (int w = 8; w > 0; w >>= 1)
#pragma unroll
            for (int l = 0; l < w; l++) a[l] = __fadd_rn(a[l], a[l + w]);
        return a[0];
    }
};

// x, or +0 where |x| < FLT_MIN (a subnormal or a zero of either sign); NaN kept: the CPU's flush_subnormal
// (kernels.h's flush of a velocity and of a loss gradient).
__device__ __forceinline__ float flush_subnormal1(float x) { return fabsf(x) < 0x1p-126f ? 0.0f : x; }

// One parameter's SGD step with momentum and L2 weight decay (kernels.h's dbn4j_sgd_momentum, its float
// operations in the CPU's order): for sgd_momentum and for the steps that follow column sums.
__device__ __forceinline__ void sgd_momentum1(float *w, float g, float *v, float lr, float momentum,
                                              float weight_decay, bool nesterov) {
    float wi = *w;
    float gi = __fadd_rn(g, __fmul_rn(weight_decay, wi));
    float vi = __fsub_rn(__fmul_rn(momentum, *v), __fmul_rn(lr, gi));
    vi = flush_subnormal1(vi);   // a subnormal velocity becomes +0, as on the CPU (kernels.h)
    *v = vi;
    *w = nesterov ? __fsub_rn(__fadd_rn(wi, __fmul_rn(momentum, vi)), __fmul_rn(lr, gi)) : __fadd_rn(wi, vi);
}

// Row max and float sum of exp(x - m) in lane order: the CPU's row_max / row_sum_exp, run by one thread.
__device__ __forceinline__ float row_max(const float *x, int K) {
    float a[16];
#pragma unroll
    for (int l = 0; l < 16; l++) a[l] = -__int_as_float(0x7f800000);
    for (int k = 0; k < K; k++) a[k & 15] = x[k] > a[k & 15] ? x[k] : a[k & 15];
#pragma unroll
    for (int w = 8; w > 0; w >>= 1)
#pragma unroll
        for (int l = 0; l < w; l++) a[l] = a[l + w] > a[l] ? a[l + w] : a[l];
    return a[0];
}
__device__ __forceinline__ float row_sum_exp(const float *x, float m, int K) {
    LaneSum s;
    for (int k = 0; k < K; k++) s.add(k, exp_neg(__fsub_rn(x[k], m)));
    return s.total();
}

// Sum of v over the 32 lanes of a warp by an xor butterfly: a fixed tree, and every lane gets the same bits.
__device__ __forceinline__ double warp_sum(double v) {
#pragma unroll
    for (int m = 16; m > 0; m >>= 1) v += __shfl_xor_sync(0xffffffffu, v, m);
    return v;
}

#define DBN4J_GRID_STRIDE(i, n) \
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

// ---- Philox4x32-10 (Salmon et al., SC'11), written from the round function of kernels.h's reference ----
constexpr uint32_t PHILOX_M0 = 0xD2511F53u, PHILOX_M1 = 0xCD9E8D57u;
constexpr uint32_t PHILOX_W0 = 0x9E3779B9u, PHILOX_W1 = 0xBB67AE85u;

struct Words4 { uint32_t w[4]; };

// Block `blk` of the stream of `seed`: counter {blk lo, blk hi, 0, 0}, key {seed lo, seed hi}.
__device__ __forceinline__ Words4 philox_block(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                                               uint32_t k1) {
#pragma unroll
    for (int round = 0; round < 10; round++) {
        uint32_t hi0 = __umulhi(PHILOX_M0, c0), lo0 = PHILOX_M0 * c0;
        uint32_t hi1 = __umulhi(PHILOX_M1, c2), lo1 = PHILOX_M1 * c2;
        uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    Words4 r;
    r.w[0] = c0;
    r.w[1] = c1;
    r.w[2] = c2;
    r.w[3] = c3;
    return r;
}
__device__ __forceinline__ Words4 stream_block(uint64_t seed, uint64_t blk) {
    return philox_block((uint32_t)blk, (uint32_t)(blk >> 32), 0u, 0u, (uint32_t)seed, (uint32_t)(seed >> 32));
}
__device__ __forceinline__ uint32_t stream_word(uint64_t seed, uint64_t w) {
    Words4 b = stream_block(seed, w >> 2);
    return b.w[w & 3];
}

} // namespace dbn4j_cuda

#endif
