// Row-wise helpers of the training loops: gathering rows into mini-batch order (a shuffled epoch, or one batch of
// it) and the softplus row sums of the RBM free energy (monitoring, once per epoch on a subset: scalar libm is
// enough).
// Variants: scalar only (memcpy-bound and monitoring-only). Tested through Java (RowsTest).
#include "dbn4j/kernels.h"
#include "internal.h"

#include <cmath>
#include <cstring>

using dbn4j::fail;

// src is (src_rows, N), idx is (B), dst is (B, N).
extern "C" int dbn4j_gather_rows(const float *src, int src_rows, int N, const int32_t *idx, int B, float *dst) {
    if (src_rows < 0 || N < 0 || B < 0) {
        return fail(DBN4J_EINVAL, "dbn4j_gather_rows: negative size src_rows=%d N=%d B=%d", src_rows, N, B);
    }
    if (B == 0 || N == 0) {
        return DBN4J_OK;
    }
    if (src == nullptr || idx == nullptr || dst == nullptr) {
        return fail(DBN4J_EINVAL, "dbn4j_gather_rows: NULL pointer (src=%p idx=%p dst=%p)", (const void *)src,
                    (const void *)idx, (void *)dst);
    }
    const char *s0 = (const char *)src, *s1 = s0 + (size_t)src_rows * N * sizeof(float);
    const char *d0 = (const char *)dst, *d1 = d0 + (size_t)B * N * sizeof(float);
    if (d0 < s1 && s0 < d1) {
        return fail(DBN4J_EINVAL, "dbn4j_gather_rows: dst overlaps src");
    }
    for (int r = 0; r < B; r++) {
        if (idx[r] < 0 || idx[r] >= src_rows) {
            return fail(DBN4J_EINVAL, "dbn4j_gather_rows: idx[%d]=%d outside [0, %d)", r, idx[r], src_rows);
        }
    }
    dbn4j::parallel_for(0, B, 1 + dbn4j::grain_elements() / N, [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; r++) {
            std::memcpy(dst + r * N, src + (int64_t)idx[r] * N, (size_t)N * sizeof(float));
        }
    });
    return DBN4J_OK;
}

// x is (B, N), out is (B).
extern "C" int dbn4j_softplus_row_sums(const float *x, float *out, int B, int N) {
    if (B < 0 || N < 0) {
        return fail(DBN4J_EINVAL, "dbn4j_softplus_row_sums: negative size B=%d N=%d", B, N);
    }
    if (B == 0) {
        return DBN4J_OK;
    }
    if (x == nullptr || out == nullptr) {
        return fail(DBN4J_EINVAL, "dbn4j_softplus_row_sums: NULL pointer (x=%p out=%p)", (const void *)x,
                    (void *)out);
    }
    for (int r = 0; r < B; r++) {
        double s = 0;
        for (int c = 0; c < N; c++) {
            double v = x[(int64_t)r * N + c];
            // log(1 + e^v) = max(v, 0) + log1p(e^-|v|): no overflow for large |v|.
            s += (v > 0 ? v : 0) + std::log1p(std::exp(-std::fabs(v)));
        }
        out[r] = (float)s;
    }
    return DBN4J_OK;
}
