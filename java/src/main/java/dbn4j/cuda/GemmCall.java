package dbn4j.cuda;

import dbn4j.Transpose;

/**
 * A row-major GEMM {@code C(M, N) = alpha op(A) op(B) + beta C} as the arguments of cuBLAS's column-major
 * {@code cublasSgemm}. A row-major matrix read column-major is its transpose, so the call computes
 * {@code C^T = op(B)^T op(A)^T}: the operands swap places (B first), M and N swap, K and the leading dimensions
 * (row lengths) stay. Pure Java, so that the mapping is tested where there is no GPU.
 */
final class GemmCall {
    /** cuBLAS's CUBLAS_OP_N and CUBLAS_OP_T. */
    static final int OP_N = 0;
    static final int OP_T = 1;

    /** Operation on the first operand (B), on the second (A). */
    final int transFirst;
    final int transSecond;
    /** cuBLAS's m, n, k. */
    final int m;
    final int n;
    final int k;
    /** Leading dimensions of the first operand (B), the second (A) and C. */
    final int ldFirst;
    final int ldSecond;
    final int ldc;

    /**
     * @param ta  op of the row-major A, which is (M, K) after op
     * @param tb  op of the row-major B, (K, N) after op
     * @param lda row length of A as stored (K without transpose, M with), likewise ldb, ldc (N)
     */
    GemmCall(Transpose ta, Transpose tb, int rowsM, int colsN, int inner, int lda, int ldb, int ldc) {
        this.transFirst = op(tb);
        this.transSecond = op(ta);
        this.m = colsN;
        this.n = rowsM;
        this.k = inner;
        this.ldFirst = ldb;
        this.ldSecond = lda;
        this.ldc = ldc;
    }

    private static int op(Transpose t) {
        return t == Transpose.TRANSPOSE ? OP_T : OP_N;
    }

    @Override
    public String toString() {
        return "cublasSgemm(" + (transFirst == OP_T ? "T" : "N") + ", " + (transSecond == OP_T ? "T" : "N") + ", m="
                + m + ", n=" + n + ", k=" + k + ", ldb=" + ldFirst + ", lda=" + ldSecond + ", ldc=" + ldc + ")";
    }
}
