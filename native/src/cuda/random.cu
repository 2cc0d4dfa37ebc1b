/*
 * random.cu: the Philox4x32-10 stream of kernels.h on the GPU (own implementation with __umulhi, no cuRAND):
 * random_bits, uniform, bernoulli, gaussian (Box-Muller with the CPU's log_pos/cos_2pi) and the fused
 * sigmoid_bernoulli. Words are bit-identical to the CPU's for the same (seed, offset); uniform, bernoulli, the
 * gaussian and sigmoid_bernoulli's p and s are bit-identical too (same float operations; fused multiply-adds only
 * where the CPU's exp_neg has fma1).
 * One thread per Philox block (4 words / elements; 8 half words / elements for the Bernoulli samplers; the fused
 * sampler loads and stores its 8 elements as vectors where they are aligned); gaussian: one thread per element.
 * Test: ctest -R cuda.
 */
#include "internal.cuh"

namespace dbn4j_cuda {
namespace {

// Thread t computes block (offset >> 2) + t and applies op to each of its PER pieces that falls in the call:
// PER = 4 words (element j = word offset + j), or PER = 8 half words for the Bernoulli samplers (kernels.h:
// element j = half word 2 offset + j, the low 16 bits of word offset + j/2 for even j, the high 16 for odd j).
template <int PER> __device__ __forceinline__ uint32_t piece(const Words4 &b, int l) {
    if (PER == 4) return b.w[l];
    return l & 1 ? b.w[l >> 1] >> 16 : b.w[l >> 1] & 0xffffu;
}

// With base not NULL the word offset is *base + offset, read on the device (a CUDA graph replays its launch
// arguments, so a replay that must draw new numbers takes its offset from memory).
template <int PER, class Op>
__global__ void k_stream(uint64_t seed, const uint64_t *base, uint64_t offset, int64_t n, Op op) {
    if (base) offset += *base;
    const int64_t head = (PER / 4) * (int64_t)(offset & 3);
    const int64_t nblocks = (head + n + PER - 1) / PER;
    DBN4J_GRID_STRIDE(t, nblocks) {
        Words4 b = stream_block(seed, (offset >> 2) + (uint64_t)t);
        int64_t j0 = PER * t - head;
#pragma unroll
        for (int l = 0; l < PER; l++) {
            int64_t j = j0 + l;
            if (j >= 0 && j < n) op(j, piece<PER>(b, l));
        }
    }
}

// Each op's each_pointer(f) calls f on every pointer it holds: the host emulation (native/tests/cuda_host) checks
// them as it checks a kernel's pointer arguments. Nothing on a device calls it.
struct BitsOp {
    uint32_t *out;
    __device__ void operator()(int64_t j, uint32_t w) const { out[j] = w; }
    template <class F> void each_pointer(F f) const { f(out); }
};
struct UniformOp {
    float *out;
    __device__ void operator()(int64_t j, uint32_t w) const { out[j] = uniform1(w); }
    template <class F> void each_pointer(F f) const { f(out); }
};
struct BernoulliOp {
    const float *p;
    float *out;
    __device__ void operator()(int64_t j, uint32_t h) const { out[j] = uniform16((uint16_t)h) < p[j] ? 1.0f : 0.0f; }
    template <class F> void each_pointer(F f) const {
        f(p);
        f(out);
    }
};
// p = sigmoid(x + b), s = uniform16 < p: add_row_bias + sigmoid_forward + random_bernoulli in one pass.
struct SigmoidBernoulliOp {
    const float *x, *b;
    float *p, *s;
    int N;
    bool small;   // fewer than 2^32 elements: the column by a 32-bit division
    __device__ float prob(int64_t j, float z) const {
        if (b) z = __fadd_rn(z, b[small ? (int)((uint32_t)j % (uint32_t)N) : (int)(j % N)]);
        return sigmoid1(z);
    }
    __device__ void operator()(int64_t j, uint32_t h) const {
        float y = prob(j, x[j]);
        p[j] = y;
        s[j] = uniform16((uint16_t)h) < y ? 1.0f : 0.0f;
    }
    template <class F> void each_pointer(F f) const {
        f(x);
        f(b);
        f(p);
        f(s);
    }
};

// W consecutive floats at q (aligned to W floats), loaded or stored as one vector access.
template <int W> struct Vec;
template <> struct Vec<4> {
    static __device__ void load(const float *q, float *v) {
        float4 a = *reinterpret_cast<const float4 *>(q);
        v[0] = a.x, v[1] = a.y, v[2] = a.z, v[3] = a.w;
    }
    static __device__ void store(float *q, const float *v) {
        *reinterpret_cast<float4 *>(q) = make_float4(v[0], v[1], v[2], v[3]);
    }
};
template <> struct Vec<2> {
    static __device__ void load(const float *q, float *v) {
        float2 a = *reinterpret_cast<const float2 *>(q);
        v[0] = a.x, v[1] = a.y;
    }
    static __device__ void store(float *q, const float *v) { *reinterpret_cast<float2 *>(q) = make_float2(v[0], v[1]); }
};

// The 8 elements j0 .. j0 + 7 of one Philox block (all inside the call), their x loaded and p, s stored W at a time.
template <int W>
__device__ __forceinline__ void sigmoid_bernoulli8(const SigmoidBernoulliOp &op, const Words4 &b, int64_t j0) {
    float z[8], y[8], smp[8];
#pragma unroll
    for (int l = 0; l < 8; l += W) Vec<W>::load(op.x + j0 + l, z + l);
#pragma unroll
    for (int l = 0; l < 8; l++) {
        y[l] = op.prob(j0 + l, z[l]);
        smp[l] = uniform16((uint16_t)piece<8>(b, l)) < y[l] ? 1.0f : 0.0f;
    }
#pragma unroll
    for (int l = 0; l < 8; l += W) {
        Vec<W>::store(op.p + j0 + l, y + l);
        Vec<W>::store(op.s + j0 + l, smp + l);
    }
}

// sigmoid_bernoulli: k_stream's blocks (PER = 8), with a thread's 8 elements loaded and stored as float4 (or float2)
// where they are whole and x, p and s aligned for it; a warp then moves contiguous 16-byte pieces instead of 4-byte
// ones 32 bytes apart (the store pattern that kept the 4096 x 4096 sampler at 0.7 of 4.2 TB/s). The same values.
__global__ void k_sigmoid_bernoulli(uint64_t seed, const uint64_t *base, uint64_t offset, int64_t n,
                                    SigmoidBernoulliOp op) {
    if (base) offset += *base;
    const int64_t head = 2 * (int64_t)(offset & 3);
    const int64_t nblocks = (head + n + 7) / 8;
    DBN4J_GRID_STRIDE(t, nblocks) {
        Words4 b = stream_block(seed, (offset >> 2) + (uint64_t)t);
        const int64_t j0 = 8 * t - head;
        const uintptr_t at = (uintptr_t)(op.x + j0) | (uintptr_t)(op.p + j0) | (uintptr_t)(op.s + j0);
        if (j0 >= 0 && j0 + 8 <= n && (at & 15) == 0) {
            sigmoid_bernoulli8<4>(op, b, j0);
        } else if (j0 >= 0 && j0 + 8 <= n && (at & 7) == 0) {
            sigmoid_bernoulli8<2>(op, b, j0);
        } else {
#pragma unroll
            for (int l = 0; l < 8; l++) {
                int64_t j = j0 + l;
                if (j >= 0 && j < n) op(j, piece<8>(b, l));
            }
        }
    }
}

// PER = 4: words; PER = 8: half words, which count 2 offset + n and so need offset < 2^63 (checked here for a
// host offset; a device offset is the graph's bookkeeping, which starts from a checked RandomStream).
template <int PER, class Op>
int launch_stream(const char *fn, uint64_t seed, const uint64_t *base, uint64_t offset, int64_t n, Op op,
                  void *stream) {
    if (PER == 8 && !base && (offset >> 63))
        return fail(DBN4J_EINVAL, "%s: offset=%llu >= 2^63", fn, (unsigned long long)offset);
    // An offset read on the device has a head (offset & 3) unknown here: size the grid for the largest, 3.
    const int64_t head = (PER / 4) * (base ? 3 : (int64_t)(offset & 3));
    int64_t nblocks = (head + n + PER - 1) / PER;
    k_stream<PER><<<grid_for(nblocks), THREADS, 0, as_stream(stream)>>>(seed, base, offset, n, op);
    return check_launch(fn);
}

__global__ void k_set_u64(uint64_t *p, uint64_t value) { *p = value; }
__global__ void k_add_u64(uint64_t *p, uint64_t delta) { *p += delta; }

// Element i from words offset + 2i and offset + 2i + 1 (the second may start the next block); with base not NULL
// the offset is *base + offset, as in k_stream.
__global__ void k_gaussian(uint64_t seed, const uint64_t *base, uint64_t offset, const float *mean, float stddev,
                           float *out, int64_t n) {
    if (base) offset += *base;
    DBN4J_GRID_STRIDE(i, n) {
        uint64_t w1 = offset + 2 * (uint64_t)i, w2 = w1 + 1;
        Words4 b1 = stream_block(seed, w1 >> 2);
        uint32_t u1 = b1.w[w1 & 3], u2;
        if ((w2 >> 2) == (w1 >> 2)) {
            u2 = b1.w[w2 & 3];
        } else {
            u2 = stream_block(seed, w2 >> 2).w[w2 & 3];
        }
        float m = mean ? mean[i] : 0.0f;
        out[i] = __fadd_rn(m, __fmul_rn(stddev, gaussian1(u1, u2)));
    }
}

__global__ void k_philox1(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1,
                          uint32_t *out) {
    Words4 b = philox_block(c0, c1, c2, c3, k0, k1);
    for (int l = 0; l < 4; l++) out[l] = b.w[l];
}

int check_random(const char *fn, const void *out, int64_t n) {
    if (n < 0) return fail(DBN4J_EINVAL, "%s: n=%lld < 0", fn, (long long)n);
    if (n > 0 && !out) return fail(DBN4J_EINVAL, "%s: out is NULL with n=%lld", fn, (long long)n);
    return DBN4J_OK;
}

int uniform(const char *fn, uint64_t seed, const uint64_t *base, uint64_t offset, float *out, int64_t n,
            void *stream) {
    if (int rc = check_random(fn, out, n)) return rc;
    if (n == 0) return DBN4J_OK;
    return launch_stream<4>(fn, seed, base, offset, n, UniformOp{out}, stream);
}

int bernoulli(const char *fn, uint64_t seed, const uint64_t *base, uint64_t offset, const float *p, float *out,
              int64_t n, void *stream) {
    if (int rc = check_random(fn, out, n)) return rc;
    if (n == 0) return DBN4J_OK;
    if (!p) return fail(DBN4J_EINVAL, "%s: p is NULL with n=%lld", fn, (long long)n);
    if (partial(out, p, n)) return fail(DBN4J_EINVAL, "%s: out partially overlaps p (only out == p is allowed)", fn);
    return launch_stream<8>(fn, seed, base, offset, n, BernoulliOp{p, out}, stream);
}

int gaussian(const char *fn, uint64_t seed, const uint64_t *base, uint64_t offset, const float *mean, float stddev,
             float *out, int64_t n, void *stream) {
    if (int rc = check_random(fn, out, n)) return rc;
    if (n == 0) return DBN4J_OK;
    if (mean && partial(out, mean, n))
        return fail(DBN4J_EINVAL, "%s: out partially overlaps mean (only out == mean is allowed)", fn);
    k_gaussian<<<grid_for(n), THREADS, 0, as_stream(stream)>>>(seed, base, offset, mean, stddev, out, n);
    return check_launch(fn);
}

int sigmoid_bernoulli(const char *fn, uint64_t seed, const uint64_t *base, uint64_t offset, const float *x,
                      const float *b, float *p, float *s, int B, int N, void *stream) {
    if (int rc = check_rows(fn, B, N)) return rc;
    int64_t n = (int64_t)B * N;
    if (n == 0) return DBN4J_OK;
    if (!x || !p || !s) return fail(DBN4J_EINVAL, "%s: %s is NULL with B=%d N=%d", fn, !x ? "x" : !p ? "p" : "s", B, N);
    if (partial(p, x, n)) return fail(DBN4J_EINVAL, "%s: p partially overlaps x (only p == x is allowed)", fn);
    if (overlap(s, n, x, n) || overlap(s, n, p, n)) return fail(DBN4J_EINVAL, "%s: s overlaps x or p", fn);
    if (overlap(b, N, p, n) || overlap(b, N, s, n)) return fail(DBN4J_EINVAL, "%s: b overlaps p or s", fn);
    const bool small = n <= (int64_t)UINT32_MAX;
    if (!base && (offset >> 63)) return fail(DBN4J_EINVAL, "%s: offset=%llu >= 2^63", fn, (unsigned long long)offset);
    // An offset read on the device has a head unknown here: size the grid for the largest (6 half words).
    const int64_t head = 2 * (base ? 3 : (int64_t)(offset & 3));
    k_sigmoid_bernoulli<<<grid_for((head + n + 7) / 8), THREADS, 0, as_stream(stream)>>>(
        seed, base, offset, n, SigmoidBernoulliOp{x, b, p, s, N, small});
    return check_launch(fn);
}

} // namespace
} // namespace dbn4j_cuda

using namespace dbn4j_cuda;

extern "C" {

int dbn4j_cuda_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
    const char *fn = "dbn4j_cuda_philox4x32_10";
    if (!ctr || !key || !out) return fail(DBN4J_EINVAL, "%s: NULL argument", fn);
    uint32_t *d = nullptr;
    cudaError_t err = cudaMalloc(&d, 16);
    if (err != cudaSuccess) {
        cudaGetLastError();
        return fail_cuda(err, "%s: cudaMalloc(16 bytes)", fn);
    }
    k_philox1<<<1, 1>>>(ctr[0], ctr[1], ctr[2], ctr[3], key[0], key[1], d);
    int rc = check_launch(fn);
    if (rc == DBN4J_OK) {
        err = cudaMemcpy(out, d, 16, cudaMemcpyDeviceToHost);
        if (err != cudaSuccess) rc = fail_cuda(err, "%s: cudaMemcpy(16 bytes, device to host)", fn);
    }
    cudaFree(d);
    return rc;
}

int dbn4j_cuda_random_bits(uint64_t seed, uint64_t offset, uint32_t *out, int64_t n, void *stream) {
    const char *fn = "dbn4j_cuda_random_bits";
    if (int rc = check_random(fn, out, n)) return rc;
    if (n == 0) return DBN4J_OK;
    return launch_stream<4>(fn, seed, nullptr, offset, n, BitsOp{out}, stream);
}

int dbn4j_cuda_random_uniform(uint64_t seed, uint64_t offset, float *out, int64_t n, void *stream) {
    return uniform("dbn4j_cuda_random_uniform", seed, nullptr, offset, out, n, stream);
}

int dbn4j_cuda_random_bernoulli(uint64_t seed, uint64_t offset, const float *p, float *out, int64_t n, void *stream) {
    return bernoulli("dbn4j_cuda_random_bernoulli", seed, nullptr, offset, p, out, n, stream);
}

int dbn4j_cuda_random_gaussian(uint64_t seed, uint64_t offset, const float *mean, float stddev, float *out, int64_t n,
                               void *stream) {
    return gaussian("dbn4j_cuda_random_gaussian", seed, nullptr, offset, mean, stddev, out, n, stream);
}

int dbn4j_cuda_random_uniform_at(uint64_t seed, const uint64_t *base, uint64_t delta, float *out, int64_t n,
                                 void *stream) {
    const char *fn = "dbn4j_cuda_random_uniform_at";
    if (!base) return fail(DBN4J_EINVAL, "%s: base is NULL", fn);
    if (int rc = check_aligned8(fn, "base", base)) return rc;
    return uniform(fn, seed, base, delta, out, n, stream);
}

int dbn4j_cuda_random_bernoulli_at(uint64_t seed, const uint64_t *base, uint64_t delta, const float *p, float *out,
                                   int64_t n, void *stream) {
    const char *fn = "dbn4j_cuda_random_bernoulli_at";
    if (!base) return fail(DBN4J_EINVAL, "%s: base is NULL", fn);
    if (int rc = check_aligned8(fn, "base", base)) return rc;
    return bernoulli(fn, seed, base, delta, p, out, n, stream);
}

int dbn4j_cuda_random_gaussian_at(uint64_t seed, const uint64_t *base, uint64_t delta, const float *mean,
                                  float stddev, float *out, int64_t n, void *stream) {
    const char *fn = "dbn4j_cuda_random_gaussian_at";
    if (!base) return fail(DBN4J_EINVAL, "%s: base is NULL", fn);
    if (int rc = check_aligned8(fn, "base", base)) return rc;
    return gaussian(fn, seed, base, delta, mean, stddev, out, n, stream);
}

int dbn4j_cuda_sigmoid_bernoulli(uint64_t seed, uint64_t offset, const float *x, const float *b, float *p, float *s,
                                 int B, int N, void *stream) {
    return sigmoid_bernoulli("dbn4j_cuda_sigmoid_bernoulli", seed, nullptr, offset, x, b, p, s, B, N, stream);
}

int dbn4j_cuda_sigmoid_bernoulli_at(uint64_t seed, const uint64_t *base, uint64_t delta, const float *x,
                                    const float *b, float *p, float *s, int B, int N, void *stream) {
    const char *fn = "dbn4j_cuda_sigmoid_bernoulli_at";
    if (!base) return fail(DBN4J_EINVAL, "%s: base is NULL", fn);
    if (int rc = check_aligned8(fn, "base", base)) return rc;
    return sigmoid_bernoulli(fn, seed, base, delta, x, b, p, s, B, N, stream);
}

int dbn4j_cuda_set_u64(uint64_t *p, uint64_t value, void *stream) {
    if (!p) return fail(DBN4J_EINVAL, "dbn4j_cuda_set_u64: p is NULL");
    if (int rc = check_aligned8("dbn4j_cuda_set_u64", "p", p)) return rc;
    k_set_u64<<<1, 1, 0, as_stream(stream)>>>(p, value);
    return check_launch("dbn4j_cuda_set_u64");
}

int dbn4j_cuda_add_u64(uint64_t *p, uint64_t delta, void *stream) {
    if (!p) return fail(DBN4J_EINVAL, "dbn4j_cuda_add_u64: p is NULL");
    if (int rc = check_aligned8("dbn4j_cuda_add_u64", "p", p)) return rc;
    k_add_u64<<<1, 1, 0, as_stream(stream)>>>(p, delta);
    return check_launch("dbn4j_cuda_add_u64");
}

} // extern "C"
