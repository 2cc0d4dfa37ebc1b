# Compiler flags of the dbn4j native kernels, shared by the library and its tests.
#   DBN4J_X86_64        TRUE on x86-64, where the AVX2 and AVX-512 kernel tables are built
#   DBN4J_KERNEL_FLAGS  every kernel source and test: -O3, and -ffp-contract=off so that no multiply-add is fused
#                       but the explicit fma1 of kernels_impl.inc (the same single rounding in every build)
#                       and the scalar, AVX2 and AVX-512 builds of one source round every operation alike
#   DBN4J_AVX2_FLAGS / DBN4J_AVX512_FLAGS  the extra flags of the two vector builds of kernels_impl.inc
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(DBN4J_X86_64 TRUE)
else()
  set(DBN4J_X86_64 FALSE)
endif()

if(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  message(FATAL_ERROR "dbn4j native kernels need GCC or Clang (got ${CMAKE_CXX_COMPILER_ID})")
endif()

# Neither of the last two changes a result: -fno-math-errno lets sqrt compile to the instruction, and
# -fno-trapping-math (exception flags are never read) lets gcc turn the kernels' float ?: into vector blends,
# without which the sigmoid/tanh/softmax loops are not vectorised at all.
set(DBN4J_KERNEL_FLAGS -O3 -ffp-contract=off -fno-math-errno -fno-trapping-math)
set(DBN4J_AVX2_FLAGS -mavx2 -mfma)
set(DBN4J_AVX512_FLAGS -mavx2 -mfma -mavx512f -mavx512dq -mavx512bw -mavx512vl -mprefer-vector-width=512)
