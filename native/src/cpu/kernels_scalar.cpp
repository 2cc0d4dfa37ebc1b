/*
 * Kernel table for the x86-64 baseline (SSE2): the reference the AVX2 and AVX-512 tables must match bit for bit.
 * Compiled with the default -march; the kernels themselves are in kernels_impl.inc.
 * Test: ctest --test-dir <build> -R isa
 */
#define DBN4J_ISA_NS scalar
#define DBN4J_ISA_NAME "scalar"
#include "kernels_impl.inc"
