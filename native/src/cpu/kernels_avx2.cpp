/*
 * Kernel table for AVX2 + FMA CPUs: kernels_impl.inc compiled with -mavx2 -mfma (no contraction: -ffp-contract=off),
 * with the 8-block AVX2 Philox. Selected at run time when the CPU has AVX2 and FMA.
 * Test: ctest --test-dir <build> -R isa
 */
#define DBN4J_ISA_NS avx2
#define DBN4J_ISA_NAME "avx2"
#include "kernels_impl.inc"
