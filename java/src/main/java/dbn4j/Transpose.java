package dbn4j;

/** Whether a GEMM operand is used as stored or transposed. Carries the native code of {@code kernels.h}. */
public enum Transpose {
    NO_TRANSPOSE(0),
    TRANSPOSE(1);

    /** The value of {@code DBN4J_NO_TRANS} / {@code DBN4J_TRANS}. */
    public final int code;

    Transpose(int code) {
        this.code = code;
    }
}
