/*
 * memory.cu: device and page-locked host buffers, memset and copies queued on a stream.
 * Variants: async copies in the three directions, plus blocking to/from-device conveniences.
 * Failures name the CUDA call and size, e.g. "cudaMalloc(400000000 bytes): out of memory".
 * Test: ctest --test-dir <build> -R cuda (every kernel test moves its data through these).
 */
#include <string.h>

#include "internal.cuh"

using namespace dbn4j_cuda;

extern "C" {

int dbn4j_cuda_malloc(int64_t bytes, void **out) {
    if (!out) return fail(DBN4J_EINVAL, "dbn4j_cuda_malloc: out is NULL");
    *out = nullptr;
    if (bytes <= 0) return fail(DBN4J_EINVAL, "dbn4j_cuda_malloc: bytes=%lld <= 0", (long long)bytes);
    void *p = nullptr;
    cudaError_t err = cudaMalloc(&p, (size_t)bytes);
    if (err != cudaSuccess) {
        cudaGetLastError();   // an allocation failure is not sticky: clear it so the next launch check is clean
        return fail_cuda(err, "cudaMalloc(%lld bytes)", (long long)bytes);
    }
    *out = p;
    return DBN4J_OK;
}

int dbn4j_cuda_free(void *p) {
    if (!p) return DBN4J_OK;
    cudaError_t err = cudaFree(p);
    if (err != cudaSuccess) return fail_cuda(err, "cudaFree(%p)", p);
    return DBN4J_OK;
}

int dbn4j_cuda_host_alloc(int64_t bytes, void **out) {
    if (!out) return fail(DBN4J_EINVAL, "dbn4j_cuda_host_alloc: out is NULL");
    *out = nullptr;
    if (bytes <= 0) return fail(DBN4J_EINVAL, "dbn4j_cuda_host_alloc: bytes=%lld <= 0", (long long)bytes);
    void *p = nullptr;
    cudaError_t err = cudaMallocHost(&p, (size_t)bytes);
    if (err != cudaSuccess) {
        cudaGetLastError();
        return fail_cuda(err, "cudaMallocHost(%lld bytes)", (long long)bytes);
    }
    memset(p, 0, (size_t)bytes);
    *out = p;
    return DBN4J_OK;
}

int dbn4j_cuda_host_free(void *p) {
    if (!p) return DBN4J_OK;
    cudaError_t err = cudaFreeHost(p);
    if (err != cudaSuccess) return fail_cuda(err, "cudaFreeHost(%p)", p);
    return DBN4J_OK;
}

int dbn4j_cuda_memset_async(void *p, int value, int64_t bytes, void *stream) {
    if (bytes < 0) return fail(DBN4J_EINVAL, "dbn4j_cuda_memset_async: bytes=%lld < 0", (long long)bytes);
    if (bytes == 0) return DBN4J_OK;
    if (!p) return fail(DBN4J_EINVAL, "dbn4j_cuda_memset_async: p is NULL with bytes=%lld", (long long)bytes);
    cudaError_t err = cudaMemsetAsync(p, value, (size_t)bytes, as_stream(stream));
    if (err != cudaSuccess) return fail_cuda(err, "cudaMemsetAsync(%lld bytes)", (long long)bytes);
    return DBN4J_OK;
}

int dbn4j_cuda_memcpy_async(void *dst, const void *src, int64_t bytes, int kind, void *stream) {
    const char *fn = "dbn4j_cuda_memcpy_async";
    if (bytes < 0) return fail(DBN4J_EINVAL, "%s: bytes=%lld < 0", fn, (long long)bytes);
    if (bytes == 0) return DBN4J_OK;
    if (!dst || !src) return fail(DBN4J_EINVAL, "%s: %s is NULL with bytes=%lld", fn, !dst ? "dst" : "src",
                                  (long long)bytes);
    cudaMemcpyKind k;
    const char *name;
    switch (kind) {
    case DBN4J_CUDA_H2D: k = cudaMemcpyHostToDevice; name = "host to device"; break;
    case DBN4J_CUDA_D2H: k = cudaMemcpyDeviceToHost; name = "device to host"; break;
    case DBN4J_CUDA_D2D: k = cudaMemcpyDeviceToDevice; name = "device to device"; break;
    default: return fail(DBN4J_EINVAL, "%s: kind=%d is not DBN4J_CUDA_H2D, _D2H or _D2D", fn, kind);
    }
    cudaError_t err = cudaMemcpyAsync(dst, src, (size_t)bytes, k, as_stream(stream));
    if (err != cudaSuccess) return fail_cuda(err, "cudaMemcpyAsync(%lld bytes, %s)", (long long)bytes, name);
    return DBN4J_OK;
}

int dbn4j_cuda_copy_to_device(void *dst, const void *host_src, int64_t bytes, void *stream) {
    if (int rc = dbn4j_cuda_memcpy_async(dst, host_src, bytes, DBN4J_CUDA_H2D, stream)) return rc;
    return dbn4j_cuda_synchronize(stream);
}

int dbn4j_cuda_copy_to_host(void *host_dst, const void *src, int64_t bytes, void *stream) {
    if (int rc = dbn4j_cuda_memcpy_async(host_dst, src, bytes, DBN4J_CUDA_D2H, stream)) return rc;
    return dbn4j_cuda_synchronize(stream);
}

} // extern "C"
