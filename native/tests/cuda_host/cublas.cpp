/*
 * cublas.cpp: the part of cuBLAS that dbn4j's CudaBackend calls, emulated on the host for the Java tests on the
 * emulated CUDA backend (libcublas.so.13 of tests/CMakeLists.txt, beside the emulated libcudart.so.13). A GEMM is
 * queued on the handle's stream like a kernel (run at once, or recorded by a capture), alpha and beta read at the
 * call (host pointer mode); where it runs, every matrix it reads or writes must lie in device memory (else it faults,
 * cuda_runtime.h's device_access_ok). Math: FP32
 * with FP32 sums (16 partial sums in k order, added pairwise); TF32 mode (CUBLAS_TF32_TENSOR_OP_MATH, or compute
 * type 32F_FAST_TF32) rounds A and B to 10 mantissa bits first, 32F_FAST_16BF to bfloat16 (7 bits), as the tensor
 * cores take them, so the accuracy that the Java tests expect of those modes is tested against that rounding.
 */
#include <stdlib.h>

#include <vector>

#include "cuda_runtime.h"

extern "C" {

struct cublasContext {
    cudaStream_t stream = nullptr;
    int math = 0;
};
typedef cublasContext *cublasHandle_t;

enum {
    STATUS_SUCCESS = 0,
    STATUS_NOT_INITIALIZED = 1,
    STATUS_INVALID_VALUE = 7,
    STATUS_EXECUTION_FAILED = 13,
    STATUS_NOT_SUPPORTED = 15,
};
enum { OP_N = 0, OP_T = 1 };
enum { TF32_TENSOR_OP_MATH = 3, MATH_MODE_MASK = 0xf };
enum { R_32F = 0 };
enum { COMPUTE_32F = 68, COMPUTE_32F_FAST_16BF = 75, COMPUTE_32F_FAST_TF32 = 77 };

} // extern "C"

namespace {

// x rounded to nearest even with `bits` mantissa bits kept (NaN and infinity unchanged).
float round_mantissa(float x, int bits) {
    uint32_t u;
    memcpy(&u, &x, 4);
    if ((u & 0x7f800000u) == 0x7f800000u) return x;
    const int drop = 23 - bits;
    const uint32_t half = 1u << (drop - 1), lsb = (u >> drop) & 1u;
    u = (u + half - 1u + lsb) & ~((1u << drop) - 1u);
    memcpy(&x, &u, 4);
    return x;
}

// C (m x n, column-major, ldc) = alpha op(A) op(B) + beta C, C not read when beta == 0; inputs rounded to `bits`
// mantissa bits (23: as they are).
int gemm(cublasHandle_t h, int ta, int tb, int m, int n, int k, float alpha, const float *A, int lda, const float *B,
         int ldb, float beta, float *C, int ldc, int bits) {
    if (!h) return STATUS_NOT_INITIALIZED;
    if ((ta != OP_N && ta != OP_T) || (tb != OP_N && tb != OP_T) || m < 0 || n < 0 || k < 0 || ldc < (m > 1 ? m : 1)
        || lda < ((ta == OP_N ? m : k) > 1 ? (ta == OP_N ? m : k) : 1)
        || ldb < ((tb == OP_N ? k : n) > 1 ? (tb == OP_N ? k : n) : 1))
        return STATUS_INVALID_VALUE;
    if (m == 0 || n == 0) return STATUS_SUCCESS;
    dbn4j_host::enqueue(h->stream, [=]() {
        // Where it runs (a replay too): every element it reads or writes in device memory, else it faults.
        const auto extent = [](int rows, int cols, int ld) { return ((size_t)(cols - 1) * ld + rows) * sizeof(float); };
        using dbn4j_host::device_access_ok;
        if (k > 0 && !(device_access_ok(A, ta == OP_N ? extent(m, k, lda) : extent(k, m, lda), "cuBLAS GEMM A")
                       && device_access_ok(B, tb == OP_N ? extent(k, n, ldb) : extent(n, k, ldb), "cuBLAS GEMM B")))
            return;
        if (!device_access_ok(C, extent(m, n, ldc), "cuBLAS GEMM C")) return;
        // op(A) as m rows of k, op(B) as n columns of k: each C element one contiguous dot product.
        std::vector<float> a((size_t)m * k), b((size_t)n * k);
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++) {
                float v = ta == OP_N ? A[i + (size_t)p * lda] : A[p + (size_t)i * lda];
                a[(size_t)i * k + p] = bits < 23 ? round_mantissa(v, bits) : v;
            }
        for (int j = 0; j < n; j++)
            for (int p = 0; p < k; p++) {
                float v = tb == OP_N ? B[p + (size_t)j * ldb] : B[j + (size_t)p * ldb];
                b[(size_t)j * k + p] = bits < 23 ? round_mantissa(v, bits) : v;
            }
        for (int j = 0; j < n; j++)
            for (int i = 0; i < m; i++) {
                const float *ar = &a[(size_t)i * k], *bc = &b[(size_t)j * k];
                // 16 partial sums (the compiler vectorizes them), added pairwise at the end.
                float lane[16] = {};
                int p = 0;
                for (; p + 16 <= k; p += 16)
                    for (int l = 0; l < 16; l++) lane[l] += ar[p + l] * bc[p + l];
                for (; p < k; p++) lane[p & 15] += ar[p] * bc[p];
                for (int w = 8; w > 0; w >>= 1)
                    for (int l = 0; l < w; l++) lane[l] += lane[l + w];
                float &c = C[i + (size_t)j * ldc];
                c = beta == 0.0f ? alpha * lane[0] : alpha * lane[0] + beta * c;
            }
    });
    return STATUS_SUCCESS;
}

} // namespace

extern "C" {

int cublasCreate_v2(cublasHandle_t *h) {
    if (!h) return STATUS_INVALID_VALUE;
    *h = new cublasContext();
    return STATUS_SUCCESS;
}

int cublasDestroy_v2(cublasHandle_t h) {
    if (!h) return STATUS_NOT_INITIALIZED;
    delete h;
    return STATUS_SUCCESS;
}

int cublasSetStream_v2(cublasHandle_t h, cudaStream_t stream) {
    if (!h) return STATUS_NOT_INITIALIZED;
    h->stream = stream;
    return STATUS_SUCCESS;
}

int cublasSetWorkspace_v2(cublasHandle_t h, void *workspace, size_t bytes) {
    if (!h) return STATUS_NOT_INITIALIZED;
    if (workspace) dbn4j_host::require_device(workspace, bytes, false, "cublasSetWorkspace");
    return STATUS_SUCCESS;
}

int cublasSetMathMode(cublasHandle_t h, int mode) {
    if (!h) return STATUS_NOT_INITIALIZED;
    h->math = mode;
    return STATUS_SUCCESS;
}

int cublasGetVersion_v2(cublasHandle_t h, int *version) {
    if (!h) return STATUS_NOT_INITIALIZED;
    *version = 130100;
    return STATUS_SUCCESS;
}

const char *cublasGetStatusString(int status) {
    switch (status) {
    case STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    default: return "CUBLAS_STATUS_UNKNOWN (emulated cuBLAS)";
    }
}

int cublasSgemm_v2(cublasHandle_t h, int ta, int tb, int m, int n, int k, const float *alpha, const float *A, int lda,
                   const float *B, int ldb, const float *beta, float *C, int ldc) {
    if (!alpha || !beta) return STATUS_INVALID_VALUE;
    const int bits = h && (h->math & MATH_MODE_MASK) == TF32_TENSOR_OP_MATH ? 10 : 23;
    return gemm(h, ta, tb, m, n, k, *alpha, A, lda, B, ldb, *beta, C, ldc, bits);
}

int cublasGemmEx(cublasHandle_t h, int ta, int tb, int m, int n, int k, const void *alpha, const void *A, int atype,
                 int lda, const void *B, int btype, int ldb, const void *beta, void *C, int ctype, int ldc,
                 int compute, int) {
    if (!alpha || !beta) return STATUS_INVALID_VALUE;
    if (atype != R_32F || btype != R_32F || ctype != R_32F) return STATUS_NOT_SUPPORTED;
    int bits;
    switch (compute) {
    case COMPUTE_32F: bits = 23; break;
    case COMPUTE_32F_FAST_TF32: bits = 10; break;
    case COMPUTE_32F_FAST_16BF: bits = 7; break;
    default: return STATUS_NOT_SUPPORTED;
    }
    return gemm(h, ta, tb, m, n, k, *(const float *)alpha, (const float *)A, lda, (const float *)B, ldb,
                *(const float *)beta, (float *)C, ldc, bits);
}

} // extern "C"
