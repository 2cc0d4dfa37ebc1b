/*
 * dbn4j's own SGEMM for AVX2 + FMA CPUs: gemm_impl.inc compiled with -mavx2 -mfma and 8-float vectors.
 * Test: ctest --test-dir <build> -R "gemm_own|gemm"
 */
#define DBN4J_ISA_NS avx2
#define DBN4J_GEMM_VW 8
#include "gemm_impl.inc"
