/*
 * errors.cu: per-thread error messages of the CUDA backend (dbn4j_cuda_last_error), CUDA error -> DBN4J code
 * mapping, the post-launch check, and the device/stream entry points (count, info, set, mem_info, streams, sync).
 * Variants: none. A missing driver or device is DBN4J_ENODEV with CUDA's message, never a crash.
 * Test: ctest --test-dir <build> -R cuda (test_cuda prints "SKIP: no CUDA device (...)" without a device).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.cuh"

namespace dbn4j_cuda {

namespace {
thread_local char g_message[512];

int code_of(cudaError_t err) {
    switch (err) {
    case cudaSuccess: return DBN4J_OK;
    case cudaErrorMemoryAllocation: return DBN4J_ENOMEM;
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
    case cudaErrorInvalidDevice:
    case cudaErrorDevicesUnavailable:
    case cudaErrorStubLibrary:
    case cudaErrorCallRequiresNewerDriver:
    case cudaErrorSystemDriverMismatch: return DBN4J_ENODEV;
    case cudaErrorInvalidValue: return DBN4J_EINVAL;
    default: return DBN4J_ECUDA;
    }
}
} // namespace

int fail(int code, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsnprintf(g_message, sizeof g_message, fmt, args);
    va_end(args);
    return code;
}

int fail_cuda(cudaError_t err, const char *what_fmt, ...) {
    char what[256];
    va_list args;
    va_start(args, what_fmt);
    vsnprintf(what, sizeof what, what_fmt, args);
    va_end(args);
    snprintf(g_message, sizeof g_message, "%s: %s (%s)", what, cudaGetErrorString(err), cudaGetErrorName(err));
    // Reported here: cleared from the runtime's last-error slot, so that the next launch check does not report it
    // again against another kernel (a sticky fault stays: every later call reports it).
    cudaGetLastError();
    return code_of(err);
}

int check_launch(const char *fn) {
    cudaError_t err = cudaGetLastError();
    if (err != cudaSuccess) return fail_cuda(err, "%s: kernel launch", fn);
    return DBN4J_OK;
}

} // namespace dbn4j_cuda

using namespace dbn4j_cuda;

extern "C" {

const char *dbn4j_cuda_last_error(void) { return g_message; }

int dbn4j_cuda_device_count(int *count) {
    if (!count) return fail(DBN4J_EINVAL, "dbn4j_cuda_device_count: count is NULL");
    *count = 0;
    int n = 0;
    cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess) {
        cudaGetLastError();   // not sticky, but leave no trace for the next launch check
        int rc = fail_cuda(err, "dbn4j_cuda_device_count: cudaGetDeviceCount");
        return rc == DBN4J_ECUDA ? DBN4J_ENODEV : rc;
    }
    if (n == 0) return fail(DBN4J_ENODEV, "dbn4j_cuda_device_count: no CUDA device");
    *count = n;
    return DBN4J_OK;
}

int dbn4j_cuda_device_info(int device, char *name, int name_len, int *cc_major, int *cc_minor, int64_t *total_bytes,
                           int *multiprocessors) {
    cudaDeviceProp prop;
    cudaError_t err = cudaGetDeviceProperties(&prop, device);
    if (err != cudaSuccess) return fail_cuda(err, "dbn4j_cuda_device_info: cudaGetDeviceProperties(%d)", device);
    if (name && name_len > 0) {
        strncpy(name, prop.name, (size_t)name_len - 1);
        name[name_len - 1] = '\0';
    }
    if (cc_major) *cc_major = prop.major;
    if (cc_minor) *cc_minor = prop.minor;
    if (total_bytes) *total_bytes = (int64_t)prop.totalGlobalMem;
    if (multiprocessors) *multiprocessors = prop.multiProcessorCount;
    return DBN4J_OK;
}

int dbn4j_cuda_set_device(int device) {
    cudaError_t err = cudaSetDevice(device);
    if (err != cudaSuccess) return fail_cuda(err, "dbn4j_cuda_set_device: cudaSetDevice(%d)", device);
    return DBN4J_OK;
}

int dbn4j_cuda_mem_info(int64_t *free_bytes, int64_t *total_bytes) {
    size_t f = 0, t = 0;
    cudaError_t err = cudaMemGetInfo(&f, &t);
    if (err != cudaSuccess) return fail_cuda(err, "dbn4j_cuda_mem_info: cudaMemGetInfo");
    if (free_bytes) *free_bytes = (int64_t)f;
    if (total_bytes) *total_bytes = (int64_t)t;
    return DBN4J_OK;
}

int dbn4j_cuda_stream_create(void **stream) {
    if (!stream) return fail(DBN4J_EINVAL, "dbn4j_cuda_stream_create: stream is NULL");
    *stream = nullptr;
    cudaStream_t s;
    cudaError_t err = cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
    if (err != cudaSuccess) return fail_cuda(err, "dbn4j_cuda_stream_create: cudaStreamCreateWithFlags");
    *stream = s;
    return DBN4J_OK;
}

int dbn4j_cuda_stream_destroy(void *stream) {
    if (!stream) return DBN4J_OK;
    cudaError_t err = cudaStreamDestroy(as_stream(stream));
    if (err != cudaSuccess) return fail_cuda(err, "dbn4j_cuda_stream_destroy: cudaStreamDestroy");
    return DBN4J_OK;
}

int dbn4j_cuda_event_create(void **event) {
    if (!event) return fail(DBN4J_EINVAL, "dbn4j_cuda_event_create: event is NULL");
    *event = nullptr;
    cudaEvent_t e;
    cudaError_t err = cudaEventCreateWithFlags(&e, cudaEventDisableTiming);
    if (err != cudaSuccess) return fail_cuda(err, "dbn4j_cuda_event_create: cudaEventCreateWithFlags");
    *event = e;
    return DBN4J_OK;
}

int dbn4j_cuda_event_destroy(void *event) {
    if (!event) return DBN4J_OK;
    cudaError_t err = cudaEventDestroy(static_cast<cudaEvent_t>(event));
    if (err != cudaSuccess) return fail_cuda(err, "dbn4j_cuda_event_destroy: cudaEventDestroy");
    return DBN4J_OK;
}

int dbn4j_cuda_event_record(void *event, void *stream) {
    if (!event || !stream)
        return fail(DBN4J_EINVAL, "dbn4j_cuda_event_record: %s is NULL", !event ? "event" : "stream");
    cudaError_t err = cudaEventRecord(static_cast<cudaEvent_t>(event), as_stream(stream));
    if (err != cudaSuccess) {
        cudaGetLastError();   // not sticky (a capture rule broken): later launches must not report it
        return fail_cuda(err, "dbn4j_cuda_event_record: cudaEventRecord");
    }
    return DBN4J_OK;
}

int dbn4j_cuda_stream_wait_event(void *stream, void *event) {
    if (!stream || !event)
        return fail(DBN4J_EINVAL, "dbn4j_cuda_stream_wait_event: %s is NULL", !stream ? "stream" : "event");
    cudaError_t err = cudaStreamWaitEvent(as_stream(stream), static_cast<cudaEvent_t>(event), 0);
    if (err != cudaSuccess) {
        cudaGetLastError();   // not sticky (a capture rule broken): later launches must not report it
        return fail_cuda(err, "dbn4j_cuda_stream_wait_event: cudaStreamWaitEvent");
    }
    return DBN4J_OK;
}

int dbn4j_cuda_synchronize(void *stream) {
    cudaError_t err = cudaStreamSynchronize(as_stream(stream));
    if (err != cudaSuccess) return fail_cuda(err, "dbn4j_cuda_synchronize: cudaStreamSynchronize");
    return DBN4J_OK;
}

int dbn4j_cuda_device_synchronize(void) {
    cudaError_t err = cudaDeviceSynchronize();
    if (err != cudaSuccess) return fail_cuda(err, "dbn4j_cuda_device_synchronize: cudaDeviceSynchronize");
    return DBN4J_OK;
}

} // extern "C"
