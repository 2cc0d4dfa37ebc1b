/*
 * Byte codes to floats for AVX-512 VBMI CPUs (Ice Lake and later Xeons, Zen 4 and later): decode_impl.inc compiled
 * with -mavx512vbmi. rows.cpp selects it when the CPU has VBMI and the active kernel level is AVX-512.
 * Test: ctest --test-dir <build> -R decode
 */
#define DBN4J_ISA_NS vbmi
#include "decode_impl.inc"
