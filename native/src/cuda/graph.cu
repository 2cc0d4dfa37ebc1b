/*
 * graph.cu: CUDA graphs of the work queued on a stream: begin/end a capture (the end instantiates the graph),
 * replay it with one launch, destroy it. The kernels themselves are unchanged: what a replay can and cannot vary is
 * the caller's concern (see README.md, "CUDA graphs"). Test: the Java CudaKernelTest (needs a device).
 */
#include "internal.cuh"

using namespace dbn4j_cuda;

extern "C" {

int dbn4j_cuda_graph_begin(void *stream) {
    if (!stream) return fail(DBN4J_EINVAL, "dbn4j_cuda_graph_begin: stream is NULL (the legacy stream: no capture)");
    // Thread-local mode: only this thread's unsafe calls (a sync, cudaMalloc) fail while it captures.
    cudaError_t err = cudaStreamBeginCapture(as_stream(stream), cudaStreamCaptureModeThreadLocal);
    if (err != cudaSuccess) {
        cudaGetLastError();
        return fail_cuda(err, "cudaStreamBeginCapture");
    }
    return DBN4J_OK;
}

int dbn4j_cuda_graph_end(void *stream, void **exec) {
    if (!exec) return fail(DBN4J_EINVAL, "dbn4j_cuda_graph_end: exec is NULL");
    *exec = nullptr;
    if (!stream) return fail(DBN4J_EINVAL, "dbn4j_cuda_graph_end: stream is NULL");
    cudaGraph_t graph = nullptr;
    cudaError_t err = cudaStreamEndCapture(as_stream(stream), &graph);
    if (err != cudaSuccess) {
        if (graph) cudaGraphDestroy(graph);
        cudaGetLastError();   // an invalidated capture is not sticky: the stream is usable again
        return fail_cuda(err, "cudaStreamEndCapture");
    }
    cudaGraphExec_t e = nullptr;
    err = cudaGraphInstantiate(&e, graph, 0);
    cudaGraphDestroy(graph);
    if (err != cudaSuccess) {
        cudaGetLastError();
        return fail_cuda(err, "cudaGraphInstantiate");
    }
    *exec = e;
    return DBN4J_OK;
}

int dbn4j_cuda_graph_launch(void *exec, void *stream) {
    if (!exec) return fail(DBN4J_EINVAL, "dbn4j_cuda_graph_launch: exec is NULL");
    cudaError_t err = cudaGraphLaunch(static_cast<cudaGraphExec_t>(exec), as_stream(stream));
    if (err != cudaSuccess) return fail_cuda(err, "cudaGraphLaunch");
    return DBN4J_OK;
}

int dbn4j_cuda_graph_destroy(void *exec) {
    if (!exec) return DBN4J_OK;
    cudaError_t err = cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(exec));
    if (err != cudaSuccess) return fail_cuda(err, "cudaGraphExecDestroy");
    return DBN4J_OK;
}

} // extern "C"
