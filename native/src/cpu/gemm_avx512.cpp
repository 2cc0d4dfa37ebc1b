/*
 * dbn4j's own SGEMM for AVX-512 (F, DQ, BW, VL) CPUs: gemm_impl.inc compiled with -mavx512* and 16-float vectors;
 * the same bits as the AVX2 build. blas.cpp selects it when the active kernel level is AVX-512.
 * Test: ctest --test-dir <build> -R "gemm_own|gemm"
 */
#define DBN4J_ISA_NS avx512
#define DBN4J_GEMM_VW 16
#include "gemm_impl.inc"
