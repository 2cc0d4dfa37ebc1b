# The CUDA backend (included by native/CMakeLists.txt only when DBN4J_CUDA=ON): static library dbn4j_cuda from
# native/src/cuda/*.cu, linked to the CUDA runtime only (cuBLAS is reached from Java through the bytedeco presets).
#   DBN4J_CUDA_FLAGS  -fmad=false (no FMA contraction, as the CPU's -ffp-contract=off), IEEE division and square
#                     root, denormals kept: the kernels then round exactly as the CPU kernels (see internal.cuh).
include(CheckLanguage)
check_language(CUDA)
if(NOT CMAKE_CUDA_COMPILER)
  message(FATAL_ERROR "DBN4J_CUDA=ON but no CUDA compiler found (set CMAKE_CUDA_COMPILER or put nvcc on PATH)")
endif()
# sm_80 (A100), sm_90 (H100/H200) as SASS, and compute_90 PTX that the driver JIT-compiles for newer cards.
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
  set(CMAKE_CUDA_ARCHITECTURES "80-real;90-real;90-virtual")
endif()
enable_language(CUDA)
find_package(CUDAToolkit REQUIRED)

set(DBN4J_CUDA_FLAGS -O3 -fmad=false -prec-div=true -prec-sqrt=true -ftz=false)

file(GLOB DBN4J_CUDA_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/cuda/*.cu)
add_library(dbn4j_cuda STATIC ${DBN4J_CUDA_SOURCES})
target_include_directories(dbn4j_cuda
  PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
  PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src/cuda)
target_compile_options(dbn4j_cuda PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:${DBN4J_CUDA_FLAGS}>)
set_target_properties(dbn4j_cuda PROPERTIES
  POSITION_INDEPENDENT_CODE ON
  CUDA_STANDARD 17
  CUDA_STANDARD_REQUIRED ON
  CUDA_SEPARABLE_COMPILATION OFF)
# The static runtime: the JNI library then needs only the driver (libcuda.so) at run time, loaded lazily, so a
# machine without a driver gets DBN4J_ENODEV from dbn4j_cuda_device_count instead of a failed load.
target_link_libraries(dbn4j_cuda PUBLIC CUDA::cudart_static)
# The JNI library that JavaCPP links (java/pom.xml, profile cuda) takes -ldbn4j_cuda -lcudart_static from this
# build folder alone, so the static runtime is copied beside libdbn4j_cuda.a (no toolkit path in the Maven build).
if(NOT CUDA_cudart_static_LIBRARY)
  message(FATAL_ERROR "DBN4J_CUDA=ON but the CUDA toolkit has no static runtime (libcudart_static.a)")
endif()
configure_file(${CUDA_cudart_static_LIBRARY} ${CMAKE_BINARY_DIR}/libcudart_static.a COPYONLY)
