/*
 * graph.cu: CUDA graphs of the work queued on a stream: begin/end a capture (the end instantiates the graph),
 * replay it with one launch, destroy it. The kernels themselves are unchanged: what a replay can and cannot vary is
 * the caller's concern (see README.md, "CUDA graphs"). Test: the Java CudaKernelTest (needs a device).
 */
#include "internal.cuh"

#include <unordered_map>
#include <vector>

using namespace dbn4j_cuda;

namespace {

// cudaGraphGetEdges with edge data: CUDA 13's (CUDA 12.3 to 12.9 named it cudaGraphGetEdges_v2). True on failure.
bool get_edges(cudaGraph_t graph, cudaGraphNode_t *from, cudaGraphNode_t *to, cudaGraphEdgeData *data, size_t *m) {
#if CUDART_VERSION >= 13000
    return cudaGraphGetEdges(graph, from, to, data, m) != cudaSuccess;
#else
    return cudaGraphGetEdges_v2(graph, from, to, data, m) != cudaSuccess;
#endif
}

// counts[0] = the work nodes (kernels, copies, memsets) of graph, counts[1] = the most of them on one path; -1 and -1
// where a query fails (the counts are a diagnostic: the graph is fine either way).
void count_nodes(cudaGraph_t graph, int64_t counts[2]) {
    counts[0] = counts[1] = -1;
    size_t n = 0, m = 0;
    if (cudaGraphGetNodes(graph, nullptr, &n) != cudaSuccess || get_edges(graph, nullptr, nullptr, nullptr, &m)) {
        cudaGetLastError();
        return;
    }
    std::vector<cudaGraphNode_t> nodes(n), from(m), to(m);
    // The edges' data too: a query without it fails where an edge has other than default data (a programmatic
    // dependency, which a library's kernels may use); any edge is a dependency here.
    std::vector<cudaGraphEdgeData> data(m);
    if ((n > 0 && cudaGraphGetNodes(graph, nodes.data(), &n) != cudaSuccess)
        || (m > 0 && get_edges(graph, from.data(), to.data(), data.data(), &m))) {
        cudaGetLastError();
        return;
    }
    std::unordered_map<cudaGraphNode_t, size_t> index;
    std::vector<int64_t> work(n, 0), depth(n, 0);
    std::vector<size_t> waiting(n, 0);
    std::vector<std::vector<size_t>> after(n);
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        index[nodes[i]] = i;
        cudaGraphNodeType type;
        if (cudaGraphNodeGetType(nodes[i], &type) != cudaSuccess) {
            cudaGetLastError();
            return;
        }
        work[i] = type == cudaGraphNodeTypeKernel || type == cudaGraphNodeTypeMemcpy || type == cudaGraphNodeTypeMemset;
        total += work[i];
    }
    for (size_t e = 0; e < m; e++) {
        auto f = index.find(from[e]), t = index.find(to[e]);
        if (f == index.end() || t == index.end()) return;
        after[f->second].push_back(t->second);
        waiting[t->second]++;
    }
    // Longest path in the dependency order (Kahn's): a node's depth counts the work nodes up to and including it.
    std::vector<size_t> ready;
    for (size_t i = 0; i < n; i++)
        if (waiting[i] == 0) ready.push_back(i);
    int64_t longest = 0;
    size_t seen = 0;
    while (!ready.empty()) {
        size_t i = ready.back();
        ready.pop_back();
        seen++;
        depth[i] += work[i];
        if (depth[i] > longest) longest = depth[i];
        for (size_t j : after[i]) {
            if (depth[i] > depth[j]) depth[j] = depth[i];
            if (--waiting[j] == 0) ready.push_back(j);
        }
    }
    if (seen != n) return;   // a cycle: cannot be in a graph
    counts[0] = total;
    counts[1] = longest;
}

} // namespace

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

int dbn4j_cuda_graph_end(void *stream, void **exec) { return dbn4j_cuda_graph_end_counted(stream, exec, nullptr); }

int dbn4j_cuda_graph_end_counted(void *stream, void **exec, int64_t counts[2]) {
    if (counts) counts[0] = counts[1] = -1;
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
    if (counts) {
        try {
            count_nodes(graph, counts);
        } catch (...) {   // out of host memory for the counting: no counts, the graph is fine
            counts[0] = counts[1] = -1;
        }
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
