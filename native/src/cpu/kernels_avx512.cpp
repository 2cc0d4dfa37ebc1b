/*
 * Kernel table for AVX-512 (F, DQ, BW, VL) CPUs: kernels_impl.inc compiled with -mavx512* and 512-bit vectors,
 * with the 16-block AVX-512 Philox. Selected at run time when the CPU (and OS) support it.
 * Test: ctest --test-dir <build> -R "isa|avx512"
 */
#define DBN4J_ISA_NS avx512
#define DBN4J_ISA_NAME "avx512"
#include "kernels_impl.inc"
