package dbn4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dbn4j.Reference;
import dbn4j.Transpose;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The row-major to column-major mapping of {@link GemmCall}, checked without a GPU: a plain column-major SGEMM with
 * cuBLAS's argument semantics, run with the mapped arguments on the row-major buffers, must give the row-major
 * product of the reference. Shapes are all different (M, N, K = 5, 3, 7) so that a swapped dimension or leading
 * dimension reads the wrong elements or runs out of the buffers.
 */
class GemmCallTest {
    /** Column-major C(m, n) = alpha op(A) op(B) + beta C as cublasSgemm defines it; A is the first operand. */
    static void columnMajorSgemm(int transA, int transB, int m, int n, int k, float alpha, float[] a, int lda,
            float[] b, int ldb, float beta, float[] c, int ldc) {
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    float aip = transA == GemmCall.OP_N ? a[i + p * lda] : a[p + i * lda];
                    float bpj = transB == GemmCall.OP_N ? b[p + j * ldb] : b[j + p * ldb];
                    s += (double) aip * bpj;
                }
                c[i + j * ldc] = (float) (alpha * s + beta * c[i + j * ldc]);
            }
        }
    }

    @Test
    void mappedCallComputesTheRowMajorProduct() {
        int m = 5, n = 3, k = 7;
        SplittableRandom r = new SplittableRandom(11);
        for (Transpose ta : Transpose.values()) {
            for (Transpose tb : Transpose.values()) {
                boolean tA = ta == Transpose.TRANSPOSE;
                boolean tB = tb == Transpose.TRANSPOSE;
                int ar = tA ? k : m, ac = tA ? m : k;
                int br = tB ? n : k, bc = tB ? k : n;
                float[] a = new float[ar * ac];
                float[] b = new float[br * bc];
                float[] c0 = new float[m * n];
                fill(r, a);
                fill(r, b);
                fill(r, c0);
                float alpha = 0.75f, beta = -0.5f;
                float[] expected = Reference.gemm(tA, tB, alpha, a, ar, ac, b, br, bc, beta, c0);
                GemmCall g = new GemmCall(ta, tb, m, n, k, ac, bc, n);
                float[] c = c0.clone();
                columnMajorSgemm(g.transFirst, g.transSecond, g.m, g.n, g.k, alpha, b, g.ldFirst, a, g.ldSecond, beta,
                        c, g.ldc);
                for (int i = 0; i < c.length; i++) {
                    // Both sum the same K products in double and round once: equal up to one float rounding.
                    assertEquals(expected[i], c[i], 1e-6f * (1 + Math.abs(expected[i])),
                            ta + "/" + tb + " " + g + " at " + i);
                }
            }
        }
    }

    @Test
    void operandsSwapAndDimensionsFollow() {
        GemmCall g = new GemmCall(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, 10, 20, 30, 10, 20, 20);
        assertEquals(GemmCall.OP_N, g.transFirst, "B's op comes first");
        assertEquals(GemmCall.OP_T, g.transSecond);
        assertEquals(20, g.m, "cuBLAS m is the row-major N");
        assertEquals(10, g.n, "cuBLAS n is the row-major M");
        assertEquals(30, g.k);
        assertEquals(20, g.ldFirst);
        assertEquals(10, g.ldSecond);
    }

    private static void fill(SplittableRandom r, float[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
    }
}
