/*
 * cuda_host.cpp: the emulated CUDA runtime of cuda_runtime.h. Kernels: each block's threads are fibers (an own
 * switch on x86-64, ucontext elsewhere) that a scheduler resumes in index order (DBN4J_HOST_ORDER=reverse: reverse
 * order, and the blocks too) until each finishes or waits at __syncthreads or at a warp shuffle; a barrier opens when every live thread of the block (the
 * warp, for a shuffle) waits at it. A deadlock, a shuffle beside an exited lane or a partial member mask aborts with
 * the kernel's configuration named. Streams defer their work until something waits for it; captures record it (see
 * cuda_runtime.h). Allocations are registered as device or pinned memory: a kernel or GEMM given memory outside
 * device allocations faults (sticky cudaErrorIllegalAddress, as on a device), a memset or copy aborts naming it.
 */
#include "cuda_runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define DBN4J_HOST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DBN4J_HOST_ASAN 1
#endif
#endif
#ifdef DBN4J_HOST_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

uint3 threadIdx, blockIdx;
dim3 blockDim, gridDim;

// ---- streams, events, graphs ----
// A captured operation: its work, the stream that recorded it (its index in the capture, the origin 0) and what it
// waits for besides that stream's earlier nodes: (stream index, node count) pairs, from the events it waited on.
struct Node {
    std::function<void()> work;
    int stream;
    std::vector<std::pair<int, int64_t>> after;
};
struct Recording {
    std::vector<Node> nodes;
    std::map<CUstream_st *, int> index;   // the capture's streams by the order they joined it (the origin 0)
    std::vector<void *> allocations;   // cudaMallocAsync in the capture: freed with the graph
    std::set<CUstream_st *> streams;   // the origin and the streams forked into the capture
    CUstream_st *origin = nullptr;
    std::thread::id thread;   // the thread that began it (thread-local mode: only it may end it)
    bool invalid = false;
    bool ended = false;   // the capture is over: its events no longer fork or join anything
    ~Recording();
};
struct CUgraph_st {
    std::shared_ptr<Recording> recording;
};
struct CUgraphExec_st {
    std::shared_ptr<Recording> recording;
};
struct CUstream_st {
    std::shared_ptr<Recording> capture;   // the capture this stream records into, if any
    int64_t ops = 0;                       // work recorded by this stream in its capture
    int64_t joined = -1;                   // ops of this stream that a stream of the capture has waited for
    std::vector<std::pair<int, int64_t>> waits;   // in a capture: what its next node waits for (Node::after)
    // Work queued outside a capture and not yet run (deferred streams): `submitted` ever queued, `done` ever run.
    std::deque<std::function<void()>> pending;
    uint64_t submitted = 0, done = 0;
};
struct CUevent_st {
    std::weak_ptr<Recording> capture;   // recorded in a capture: the work of `from` up to `ops`
    CUstream_st *from = nullptr;
    int64_t ops = 0;
    std::vector<std::pair<int, int64_t>> waits;   // recorded in a capture: what `from` waited for after its last node
    uint64_t position = 0;   // recorded outside a capture: the work of `from` queued before it (its `submitted`)
};

namespace {

thread_local cudaError_t g_last = cudaSuccess;
// A kernel's fault (device_access_ok): sticky, as on a device; every later call reports it, no later kernel runs.
std::atomic<int> g_sticky{cudaSuccess};
thread_local std::vector<std::shared_ptr<Recording>> g_capturing;   // captures this thread began and has not ended
std::mutex g_run;                   // one kernel at a time (the __shared__ statics, the scheduler)
std::recursive_mutex g_streams_lock;   // the streams' queues and captures (host threads queue concurrently)
std::vector<CUstream_st *> g_streams;   // in creation order: every run visits them in the same order

bool is_stream(CUstream_st *s) { return std::find(g_streams.begin(), g_streams.end(), s) != g_streams.end(); }

// A call that CUDA refuses from a thread with a capture of its own in thread-local mode (it may synchronize):
// fails with cudaErrorStreamCaptureUnsupported and invalidates those captures, as CUDA does.
bool unsafe_in_capture() {
    if (g_capturing.empty()) return false;
    for (auto &r : g_capturing) r->invalid = true;
    g_last = cudaErrorStreamCaptureUnsupported;
    return true;
}

// DBN4J_HOST_STREAMS, where work queued on a stream (outside a capture) runs:
//   deferred (the default): only when something waits for it (a stream or device synchronization, a stream waiting
//     on an event recorded after it, cudaFree), as late as it may: at a wait on an event, the waiting stream's own
//     pending work runs before the work that the event marks. So a host read that nothing synchronized sees the old
//     contents, and work that a missing event should have held back runs before the other stream's work;
//   others-first: when something waits for one stream, the work pending on every other stream runs first, and at a
//     wait on an event the marked work runs first: work that a missing event should have let finish first runs
//     after the other stream's. Between them the two orders put each pair of unordered work items both ways;
//   interleaved: when something waits for one stream, the pending work of every stream runs one item at a time in
//     turn (the streams in creation order) until the awaited work has run: the unordered work of two streams
//     alternates kernel by kernel, as the kernels of concurrent streams overlap on a device, so that a buffer two
//     streams share at once (a scratch, a workspace) shows;
//   immediate: at once (no deferral).
// The deferred orders are valid schedules: a stream's pending work never depends on another's, because a wait runs
// the work it waits for (and a synchronization runs the stream's queue) when it is made.
enum class Streams { IMMEDIATE, DEFERRED, OTHERS_FIRST, INTERLEAVED };
Streams stream_mode() {
    static const Streams mode = [] {
        const char *m = getenv("DBN4J_HOST_STREAMS");
        if (m && strcmp(m, "immediate") == 0) return Streams::IMMEDIATE;
        if (m && strcmp(m, "others-first") == 0) return Streams::OTHERS_FIRST;
        if (m && strcmp(m, "interleaved") == 0) return Streams::INTERLEAVED;
        return Streams::DEFERRED;
    }();
    return mode;
}

void run_pending(CUstream_st *s, uint64_t position) {
    while (s->done < position && !s->pending.empty()) {
        std::function<void()> work = std::move(s->pending.front());
        s->pending.pop_front();
        s->done++;
        if (g_sticky.load() == cudaSuccess) work();   // after a fault nothing runs any more
    }
}

// Runs the work of `s` queued before `position`; interleaved: with every other stream's pending work, one item of
// each stream in turn.
void run_until(CUstream_st *s, uint64_t position) {
    if (stream_mode() != Streams::INTERLEAVED || !is_stream(s)) {
        run_pending(s, position);
        return;
    }
    while (s->done < position && !s->pending.empty()) {
        const std::vector<CUstream_st *> streams = g_streams;
        for (CUstream_st *t : streams) {
            if (s->done >= position) break;
            run_pending(t, t->done + 1);
        }
    }
}

// A synchronization of `s`: runs its queued work (others-first: every other stream's before it).
void drain(CUstream_st *s) {
    std::lock_guard<std::recursive_mutex> lock(g_streams_lock);
    if (s->done >= s->submitted) return;
    if (stream_mode() == Streams::OTHERS_FIRST)
        for (CUstream_st *t : g_streams)
            if (t != s) run_pending(t, t->submitted);
    run_until(s, s->submitted);
}
void drain_all() {
    std::lock_guard<std::recursive_mutex> lock(g_streams_lock);
    if (stream_mode() == Streams::INTERLEAVED) {
        for (bool any = true; any;) {
            any = false;
            const std::vector<CUstream_st *> streams = g_streams;
            for (CUstream_st *t : streams) {
                if (t->done < t->submitted) {
                    run_pending(t, t->done + 1);
                    any = true;
                }
            }
        }
        return;
    }
    for (CUstream_st *s : g_streams) run_pending(s, s->submitted);
}

cudaError_t set_error(cudaError_t err) {
    if (err != cudaSuccess) g_last = err;
    return err;
}

// The fault that poisoned the context, or cudaSuccess: a call after it fails with it (and sets it as last error).
cudaError_t poisoned() { return set_error((cudaError_t)g_sticky.load()); }

// ---- memory: what each live allocation is, so that a kernel or copy given the wrong memory aborts ----
enum class Memory { DEVICE, PINNED };
struct Allocation {
    size_t bytes;
    Memory kind;
};
std::mutex g_memory_lock;
std::map<uintptr_t, Allocation> g_memory;   // by start address

// Memory for cudaMalloc, cudaMallocAsync (DEVICE) or cudaMallocHost (PINNED), registered; null when there is none.
void *allocate(size_t bytes, Memory kind) {
    if (bytes > ((size_t)1 << 36)) return nullptr;   // more than this emulation gives
    void *p = malloc(bytes ? bytes : 1);
    if (p) {
        std::lock_guard<std::mutex> lock(g_memory_lock);
        g_memory[(uintptr_t)p] = Allocation{bytes, kind};
    }
    return p;
}

// Whether p starts a live allocation of that kind (then forgotten and freed).
bool release(void *p, Memory kind) {
    {
        std::lock_guard<std::mutex> lock(g_memory_lock);
        auto it = g_memory.find((uintptr_t)p);
        if (it == g_memory.end() || it->second.kind != kind) return false;
        g_memory.erase(it);
    }
    free(p);
    return true;
}

// The allocation holding [p, p + bytes) (p + bytes may be its end), or null.
const Allocation *holder(const void *p, size_t bytes) {
    auto it = g_memory.upper_bound((uintptr_t)p);
    if (it == g_memory.begin()) return nullptr;
    --it;
    const uintptr_t offset = (uintptr_t)p - it->first;
    return offset <= it->second.bytes && bytes <= it->second.bytes - offset ? &it->second : nullptr;
}

// Host memory: no part of [p, p + bytes) in device memory. The allocations that overlap it are those that start
// below its end, back to the first that ends at or before p (they are disjoint and sorted).
void require_host(const void *p, size_t bytes, const char *what) {
    std::lock_guard<std::mutex> lock(g_memory_lock);
    for (auto it = g_memory.lower_bound((uintptr_t)p + (bytes ? bytes : 1)); it != g_memory.begin();) {
        --it;
        if (it->first + (it->second.bytes ? it->second.bytes : 1) <= (uintptr_t)p) break;
        if (it->second.kind == Memory::DEVICE) {
            fprintf(stderr, "cuda_host: %s: %p (%zu bytes) is or holds device memory\n", what, p, bytes);
            abort();
        }
    }
}

// A copy of `bytes` from src to dst as `kind` says, both sides checked: where it runs (a replay too).
void copy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) {
    const bool to_device = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
    const bool from_device = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
    if (to_device) dbn4j_host::require_device(dst, bytes, false, "cudaMemcpy destination");
    else require_host(dst, bytes, "cudaMemcpy destination (a host-side kind)");
    if (from_device) dbn4j_host::require_device(src, bytes, false, "cudaMemcpy source");
    else require_host(src, bytes, "cudaMemcpy source (a host-side kind)");
    memcpy(dst, src, bytes);
}

// ---- fibers ----
#if defined(__x86_64__)
// x86-64 System V: pushes the callee-saved registers, MXCSR and the x87 control word, stores the stack pointer in
// *save and continues on the stack `to` (saved the same way, or laid out by context_init). No system call, unlike
// swapcontext (and AddressSanitizer's swapcontext clears the shadow of the whole stack each time): a million
// threads switch twice each in about a second less.
extern "C" void dbn4j_host_switch(void **save, void *to);
asm(".pushsection .text\n"
    ".globl dbn4j_host_switch\n"
    ".type dbn4j_host_switch, @function\n"
    "dbn4j_host_switch:\n"
    "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
    "  subq $8, %rsp\n  stmxcsr (%rsp)\n  fnstcw 4(%rsp)\n"
    "  movq %rsp, (%rdi)\n  movq %rsi, %rsp\n"
    "  ldmxcsr (%rsp)\n  fldcw 4(%rsp)\n  addq $8, %rsp\n"
    "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbx\n  popq %rbp\n  ret\n"
    ".size dbn4j_host_switch, .-dbn4j_host_switch\n"
    ".popsection\n");
struct Context {
    void *sp = nullptr;
};
// The frame that dbn4j_host_switch pops: default MXCSR and x87 control word, six zero registers, `entry` as the
// return address, and a zero slot above it so that entry starts with the stack aligned as after a call.
void context_init(Context &c, char *stack, size_t size, void (*entry)()) {
    uintptr_t top = (uintptr_t)(stack + size) & ~(uintptr_t)15;
    uint64_t *sp = (uint64_t *)(top - 9 * 8);
    const uint32_t csr[2] = {0x1f80u, 0x037fu};
    memcpy(sp, csr, sizeof csr);
    for (int i = 1; i <= 6; i++) sp[i] = 0;
    sp[7] = (uint64_t)(uintptr_t)entry;
    sp[8] = 0;
    c.sp = sp;
}
void context_switch(Context &from, const Context &to) { dbn4j_host_switch(&from.sp, to.sp); }
#else
struct Context {
    ucontext_t uc;
};
void context_init(Context &c, char *stack, size_t size, void (*entry)()) {
    getcontext(&c.uc);
    c.uc.uc_stack.ss_sp = stack;
    c.uc.uc_stack.ss_size = size;
    c.uc.uc_link = nullptr;
    makecontext(&c.uc, entry, 0);
}
void context_switch(Context &from, const Context &to) { swapcontext(&from.uc, &to.uc); }
#endif

enum class State { READY, BARRIER, SHUFFLE, DONE };

struct Fiber {
    Context ctx;
    char *stack = nullptr;
    State state = State::DONE;
    uint64_t value = 0, exchanged = 0;   // a shuffle's offer, and the warp's offers when the shuffle opened
    int partner = 0;
    unsigned mask = 0;
};

#ifdef DBN4J_HOST_ASAN
constexpr size_t STACK = 1 << 20;
#else
constexpr size_t STACK = 256 << 10;
#endif
constexpr int MAX_THREADS = 1024;

Fiber g_fibers[MAX_THREADS];
Context g_scheduler;
int g_current = -1;
const std::function<void()> *g_body = nullptr;
uint64_t g_block_serial = 0;   // blocks run so far (fresh_shared: a new block's __shared__ variables)
#ifdef DBN4J_HOST_ASAN
const void *g_scheduler_bottom = nullptr;
size_t g_scheduler_size = 0;
#endif

[[noreturn]] void die(const char *what) {
    fprintf(stderr, "cuda_host: %s (grid %u x %u x %u, block %u x %u x %u, block (%u, %u, %u), thread %d)\n", what,
            gridDim.x, gridDim.y, gridDim.z, blockDim.x, blockDim.y, blockDim.z, blockIdx.x, blockIdx.y, blockIdx.z,
            g_current);
    abort();
}

// From the running fiber back to the scheduler.
void yield_to_scheduler() {
    Fiber &f = g_fibers[g_current];
#ifdef DBN4J_HOST_ASAN
    void *fake = nullptr;
    __sanitizer_start_switch_fiber(&fake, g_scheduler_bottom, g_scheduler_size);
    context_switch(f.ctx, g_scheduler);
    __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#else
    context_switch(f.ctx, g_scheduler);
#endif
}

// A fiber runs the current kernel body each time the scheduler starts it on a block, forever.
void fiber_main() {
#ifdef DBN4J_HOST_ASAN
    __sanitizer_finish_switch_fiber(nullptr, &g_scheduler_bottom, &g_scheduler_size);
#endif
    for (;;) {
        (*g_body)();
        g_fibers[g_current].state = State::DONE;
        yield_to_scheduler();
    }
}

void resume(int t) {
    Fiber &f = g_fibers[t];
    if (!f.stack) {
        long page = sysconf(_SC_PAGESIZE);
        // A guard page below each stack: an overflow faults instead of writing over the next fiber's stack.
        char *m = (char *)mmap(nullptr, STACK + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) die("mmap of a fiber stack failed");
        mprotect(m, page, PROT_NONE);
        f.stack = m + page;
        context_init(f.ctx, f.stack, STACK, fiber_main);
    }
    g_current = t;
    threadIdx.x = (unsigned)t % blockDim.x;
    threadIdx.y = (unsigned)t / blockDim.x % blockDim.y;
    threadIdx.z = (unsigned)t / (blockDim.x * blockDim.y);
#ifdef DBN4J_HOST_ASAN
    void *fake = nullptr;
    __sanitizer_start_switch_fiber(&fake, f.stack, STACK);
    context_switch(g_scheduler, f.ctx);
    __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#else
    context_switch(g_scheduler, f.ctx);
#endif
    g_current = -1;
}

bool reverse_order() {
    static const bool reverse = [] {
        const char *o = getenv("DBN4J_HOST_ORDER");
        return o && strcmp(o, "reverse") == 0;
    }();
    return reverse;
}

// One block: every thread from the start of the body to its end.
void run_block(int threads) {
    const bool rev = reverse_order();
    for (int t = 0; t < threads; t++) g_fibers[t].state = State::READY;
    for (;;) {
        for (int k = 0; k < threads; k++) {
            int t = rev ? threads - 1 - k : k;
            if (g_fibers[t].state == State::READY) resume(t);
        }
        int live = 0, at_barrier = 0;
        bool opened = false;
        for (int w = 0; w * 32 < threads; w++) {
            int lo = w * 32, hi = lo + 32 < threads ? lo + 32 : threads;
            int waiting = 0, done = 0;
            for (int t = lo; t < hi; t++) {
                waiting += g_fibers[t].state == State::SHUFFLE;
                done += g_fibers[t].state == State::DONE;
            }
            if (waiting == 0 || waiting + done < hi - lo) continue;   // none, or some lanes still elsewhere
            const unsigned full = hi - lo == 32 ? 0xffffffffu : (1u << (hi - lo)) - 1u;
            for (int t = lo; t < hi; t++) {
                if (g_fibers[t].state == State::DONE) {
                    g_current = t;
                    die("a warp shuffle waits for a lane that has exited");
                }
                if (g_fibers[t].mask != full) {
                    g_current = t;
                    die("a warp shuffle with a member mask other than the whole warp");
                }
            }
            for (int t = lo; t < hi; t++) g_fibers[t].exchanged = g_fibers[t].value;
            for (int t = lo; t < hi; t++) g_fibers[t].state = State::READY;
            opened = true;
        }
        if (opened) continue;
        for (int t = 0; t < threads; t++) {
            live += g_fibers[t].state != State::DONE;
            at_barrier += g_fibers[t].state == State::BARRIER;
        }
        if (live == 0) return;
        if (at_barrier != live) die("deadlock: threads wait at __syncthreads while others wait at a warp shuffle");
        for (int t = 0; t < threads; t++)
            if (g_fibers[t].state == State::BARRIER) g_fibers[t].state = State::READY;
    }
}

void run_kernel(dim3 grid, dim3 block, const std::function<void()> &body) {
    std::lock_guard<std::mutex> lock(g_run);
    gridDim = grid;
    blockDim = block;
    g_body = &body;
    const int threads = (int)(block.x * block.y * block.z);
    const int64_t blocks = (int64_t)grid.x * grid.y * grid.z;
    const bool rev = reverse_order();
    for (int64_t k = 0; k < blocks; k++) {
        int64_t b = rev ? blocks - 1 - k : k;
        blockIdx.x = (unsigned)(b % grid.x);
        blockIdx.y = (unsigned)(b / grid.x % grid.y);
        blockIdx.z = (unsigned)(b / ((int64_t)grid.x * grid.y));
        g_block_serial++;
        run_block(threads);
    }
    g_body = nullptr;
}

// Work on the legacy stream (nullptr) or a stream out of any capture; inside a capture, what CUDA refuses there.
cudaError_t refuse_in_capture(cudaStream_t stream) {
    std::lock_guard<std::recursive_mutex> lock(g_streams_lock);
    if (stream && stream->capture) {
        stream->capture->invalid = true;
        return set_error(cudaErrorStreamCaptureUnsupported);
    }
    return cudaSuccess;
}

} // namespace

Recording::~Recording() {
    for (void *p : allocations) release(p, Memory::DEVICE);
}

namespace dbn4j_host {

cudaError_t enqueue(cudaStream_t stream, std::function<void()> work) {
    std::lock_guard<std::recursive_mutex> lock(g_streams_lock);
    if (stream && stream->capture) {
        Recording &r = *stream->capture;
        r.nodes.push_back(Node{std::move(work), r.index.at(stream), std::move(stream->waits)});
        stream->waits.clear();
        stream->ops++;
        return cudaSuccess;
    }
    if (stream && stream_mode() != Streams::IMMEDIATE) {
        stream->pending.push_back(std::move(work));
        stream->submitted++;
        return cudaSuccess;
    }
    work();   // the legacy stream (nullptr): at once
    return cudaSuccess;
}

void launch(dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t stream, std::function<void()> body,
            std::function<bool()> check) {
    if (poisoned()) return;
    const uint64_t threads = (uint64_t)block.x * block.y * block.z;
    if (threads == 0 || threads > MAX_THREADS || block.z > 64 || grid.x == 0 || grid.y == 0 || grid.z == 0
        || grid.y > 65535 || grid.z > 65535 || shared_bytes > 48 * 1024) {
        set_error(cudaErrorInvalidConfiguration);
        return;
    }
    enqueue(stream, [grid, block, body = std::move(body), check = std::move(check)]() {
        if (g_sticky.load() == cudaSuccess && check()) run_kernel(grid, block, body);
    });
}

void require_device(const void *p, size_t bytes, bool pinned_ok, const char *what) {
    std::lock_guard<std::mutex> lock(g_memory_lock);
    const Allocation *a = holder(p, bytes);
    if (!a || (a->kind == Memory::PINNED && !pinned_ok)) {
        char span[48] = "";
        if (bytes) snprintf(span, sizeof span, " (%zu bytes)", bytes);
        fprintf(stderr, "cuda_host: %s: %p%s is %s\n", what, p, span,
                a ? "pinned host memory, not device memory" : "not in a live device allocation (host memory, freed "
                "or past the end)");
        abort();
    }
}

bool device_access_ok(const void *p, size_t bytes, const char *what) {
    {
        std::lock_guard<std::mutex> lock(g_memory_lock);
        const Allocation *a = holder(p, bytes);
        if (a && a->kind == Memory::DEVICE) return true;
    }
    fprintf(stderr, "cuda_host: %s: %p is not in a live device allocation: an illegal memory access, the context "
            "is poisoned (cudaErrorIllegalAddress, reported at the next synchronization)\n", what, p);
    int none = cudaSuccess;
    g_sticky.compare_exchange_strong(none, cudaErrorIllegalAddress);
    return false;
}

bool kernel_pointer_ok(const char *kernel, int index, const void *p) {
    char what[160];
    snprintf(what, sizeof what, "kernel %s, pointer argument %d", kernel, index);
    return device_access_ok(p, 0, what);
}

void fresh_shared(void *p, size_t bytes) {
    static std::map<void *, uint64_t> filled;   // the block that last filled each variable (kernels run one at a time)
    uint64_t &at = filled[p];
    if (at != g_block_serial) {
        memset(p, 0xff, bytes);
        at = g_block_serial;
    }
}

void block_barrier() {
    if (g_current < 0) die("__syncthreads outside a kernel");
    g_fibers[g_current].state = State::BARRIER;
    yield_to_scheduler();
}

uint64_t shuffle_xor(unsigned member_mask, uint64_t bits, int lane_mask) {
    if (g_current < 0) die("a warp shuffle outside a kernel");
    Fiber &f = g_fibers[g_current];
    f.value = bits;
    f.mask = member_mask;
    f.partner = (g_current & ~31) + ((g_current & 31) ^ (lane_mask & 31));
    f.state = State::SHUFFLE;
    const int me = g_current;
    yield_to_scheduler();
    const int partner = g_fibers[me].partner;
    return g_fibers[partner].exchanged;
}

} // namespace dbn4j_host

// ---- runtime API ----
cudaError_t cudaGetDeviceCount(int *count) {
    *count = 1;
    return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp *prop, int device) {
    if (device != 0) return set_error(cudaErrorInvalidDevice);
    memset(prop, 0, sizeof *prop);
    const Streams m = stream_mode();
    snprintf(prop->name, sizeof prop->name, "dbn4j CUDA emulation on the host (threads in %s order, streams %s)",
             reverse_order() ? "reverse" : "index",
             m == Streams::IMMEDIATE      ? "immediate"
             : m == Streams::DEFERRED     ? "deferred"
             : m == Streams::INTERLEAVED ? "deferred, interleaved"
                                          : "deferred, others first");
    prop->major = 9;
    prop->minor = 0;
    prop->totalGlobalMem = (size_t)16 << 30;
    prop->multiProcessorCount = 1;
    return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) { return device == 0 ? cudaSuccess : set_error(cudaErrorInvalidDevice); }

cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total_bytes) {
    *free_bytes = *total_bytes = (size_t)16 << 30;
    return cudaSuccess;
}

cudaError_t cudaGetLastError(void) {
    if (cudaError_t sticky = poisoned()) return sticky;   // not cleared: the context stays poisoned
    cudaError_t e = g_last;
    g_last = cudaSuccess;
    return e;
}

const char *cudaGetErrorName(cudaError_t err) {
    switch (err) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorIllegalState: return "cudaErrorIllegalState";
    case cudaErrorStreamCaptureUnsupported: return "cudaErrorStreamCaptureUnsupported";
    case cudaErrorStreamCaptureInvalidated: return "cudaErrorStreamCaptureInvalidated";
    case cudaErrorStreamCaptureUnjoined: return "cudaErrorStreamCaptureUnjoined";
    case cudaErrorStreamCaptureIsolation: return "cudaErrorStreamCaptureIsolation";
    case cudaErrorStreamCaptureWrongThread: return "cudaErrorStreamCaptureWrongThread";
    case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
    default: return "cudaErrorUnknown";
    }
}

const char *cudaGetErrorString(cudaError_t err) {
    switch (err) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorStreamCaptureUnsupported: return "operation not permitted when stream is capturing";
    case cudaErrorStreamCaptureInvalidated: return "operation failed due to a previous error during capture";
    case cudaErrorStreamCaptureUnjoined: return "capture sequence contains a fork that was not joined to the "
                                                "primary stream";
    case cudaErrorStreamCaptureIsolation: return "dependency created on uncaptured work in another stream";
    case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
    default: return "emulated CUDA error";
    }
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t *stream, unsigned) {
    std::lock_guard<std::recursive_mutex> lock(g_streams_lock);
    *stream = new CUstream_st();
    g_streams.push_back(*stream);
    return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
    std::lock_guard<std::recursive_mutex> lock(g_streams_lock);
    if (!stream || !is_stream(stream)) return set_error(cudaErrorInvalidResourceHandle);
    if (stream->capture) return set_error(cudaErrorIllegalState);
    run_pending(stream, stream->submitted);   // as CUDA: queued work still completes
    g_streams.erase(std::find(g_streams.begin(), g_streams.end(), stream));
    delete stream;
    return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
    if (cudaError_t err = refuse_in_capture(stream)) return err;
    if (stream) drain(stream);
    return poisoned();
}

cudaError_t cudaDeviceSynchronize(void) {
    if (unsafe_in_capture()) return cudaErrorStreamCaptureUnsupported;
    drain_all();
    return poisoned();
}

cudaError_t cudaEventCreateWithFlags(cudaEvent_t *event, unsigned) {
    *event = new CUevent_st();
    return cudaSuccess;
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
    if (!event) return set_error(cudaErrorInvalidResourceHandle);
    delete event;
    return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
    if (cudaError_t sticky = poisoned()) return sticky;
    if (!event) return set_error(cudaErrorInvalidResourceHandle);
    std::lock_guard<std::recursive_mutex> lock(g_streams_lock);
    event->capture = stream ? stream->capture : std::shared_ptr<Recording>();
    event->from = stream;
    event->ops = stream ? stream->ops : 0;
    // A stream's waits since its last node hold back its next node; the event marks them too (a stream waiting on it
    // waits for what they waited for).
    event->waits = stream && stream->capture ? stream->waits : std::vector<std::pair<int, int64_t>>();
    event->position = stream ? stream->submitted : 0;
    return cudaSuccess;
}

cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned) {
    if (cudaError_t sticky = poisoned()) return sticky;
    if (!event) return set_error(cudaErrorInvalidResourceHandle);
    std::lock_guard<std::recursive_mutex> lock(g_streams_lock);
    std::shared_ptr<Recording> recorded = event->capture.lock();   // null once that capture is over
    if (recorded && recorded->ended) recorded.reset();
    if (!recorded) {
        // In a capture CUDA refuses a dependency on work outside it. Else the work before the event runs now:
        // what `stream` queues later follows it.
        if (stream && stream->capture) {
            stream->capture->invalid = true;
            return set_error(cudaErrorStreamCaptureIsolation);
        }
        CUstream_st *from = event->from;
        if (from && from != stream && is_stream(from) && from->done < event->position) {
            // deferred: what `stream` queued before this wait need not wait for the event and runs first (the
            // event's work as late as it may); others-first: the event's work first, the rest stays queued;
            // interleaved: the event's work in turn with every stream's pending work.
            if (stream && stream_mode() == Streams::DEFERRED) run_pending(stream, stream->submitted);
            run_until(from, event->position);
        }
        return cudaSuccess;
    }
    if (!stream) return set_error(cudaErrorStreamCaptureIsolation);
    if (!stream->capture) {   // a fork: the stream joins the capture of the event
        stream->capture = recorded;
        stream->ops = 0;
        stream->joined = -1;
        stream->waits.clear();
        recorded->streams.insert(stream);
        recorded->index.emplace(stream, (int)recorded->index.size());
        stream->waits = event->waits;
        stream->waits.emplace_back(recorded->index.at(event->from), event->ops);
        return cudaSuccess;
    }
    if (stream->capture != recorded) {
        stream->capture->invalid = true;
        return set_error(cudaErrorStreamCaptureIsolation);
    }
    if (event->from != stream) {
        if (event->ops > event->from->joined) event->from->joined = event->ops;
        stream->waits.insert(stream->waits.end(), event->waits.begin(), event->waits.end());
        stream->waits.emplace_back(recorded->index.at(event->from), event->ops);
    }
    return cudaSuccess;
}

namespace {
// cudaMalloc / cudaMallocHost: refused in a capture (they may synchronize).
cudaError_t malloc_call(void **p, size_t bytes, Memory kind) {
    *p = nullptr;
    if (cudaError_t sticky = poisoned()) return sticky;
    if (unsafe_in_capture()) return cudaErrorStreamCaptureUnsupported;
    *p = allocate(bytes, kind);
    return *p ? cudaSuccess : set_error(cudaErrorMemoryAllocation);
}

// cudaFree / cudaFreeHost: synchronize the device; a pointer that the matching allocation call did not return (or
// one freed already) is an invalid value, as on a device.
cudaError_t free_call(void *p, Memory kind) {
    if (unsafe_in_capture()) return cudaErrorStreamCaptureUnsupported;
    drain_all();
    if (cudaError_t sticky = poisoned()) return sticky;
    return !p || release(p, kind) ? cudaSuccess : set_error(cudaErrorInvalidValue);
}
} // namespace

cudaError_t cudaMalloc(void **p, size_t bytes) { return malloc_call(p, bytes, Memory::DEVICE); }

cudaError_t cudaFree(void *p) { return free_call(p, Memory::DEVICE); }

cudaError_t cudaMallocHost(void **p, size_t bytes) { return malloc_call(p, bytes, Memory::PINNED); }

cudaError_t cudaFreeHost(void *p) { return free_call(p, Memory::PINNED); }

cudaError_t cudaMallocAsync(void **p, size_t bytes, cudaStream_t stream) {
    *p = nullptr;
    if (cudaError_t sticky = poisoned()) return sticky;
    *p = allocate(bytes, Memory::DEVICE);
    if (!*p) return set_error(cudaErrorMemoryAllocation);
    std::lock_guard<std::recursive_mutex> lock(g_streams_lock);
    if (stream && stream->capture) stream->capture->allocations.push_back(*p);   // lives as long as the graph
    return cudaSuccess;
}

cudaError_t cudaFreeAsync(void *p, cudaStream_t stream) {
    if (cudaError_t sticky = poisoned()) return sticky;
    std::lock_guard<std::recursive_mutex> lock(g_streams_lock);
    if (stream && stream->capture) {
        auto &mine = stream->capture->allocations;
        if (std::find(mine.begin(), mine.end(), p) != mine.end()) return cudaSuccess;   // freed with the graph
    }
    // In a graph: freed by each replay, as on a device.
    return dbn4j_host::enqueue(stream, [p]() {
        if (!release(p, Memory::DEVICE)) {
            fprintf(stderr, "cuda_host: cudaFreeAsync(%p): not a live device allocation\n", p);
            abort();
        }
    });
}

cudaError_t cudaMemsetAsync(void *p, int value, size_t bytes, cudaStream_t stream) {
    if (cudaError_t sticky = poisoned()) return sticky;
    return dbn4j_host::enqueue(stream, [p, value, bytes]() {
        dbn4j_host::require_device(p, bytes, false, "cudaMemsetAsync");
        memset(p, value, bytes);
    });
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream) {
    if (cudaError_t sticky = poisoned()) return sticky;
    return dbn4j_host::enqueue(stream, [dst, src, bytes, kind]() { copy(dst, src, bytes, kind); });
}

cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) {
    if (cudaError_t sticky = poisoned()) return sticky;
    if (unsafe_in_capture()) return cudaErrorStreamCaptureUnsupported;
    copy(dst, src, bytes, kind);
    return cudaSuccess;
}

cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode) {
    if (cudaError_t sticky = poisoned()) return sticky;
    std::lock_guard<std::recursive_mutex> lock(g_streams_lock);
    if (!stream) return set_error(cudaErrorStreamCaptureUnsupported);
    if (stream->capture) return set_error(cudaErrorIllegalState);
    stream->capture = std::make_shared<Recording>();
    stream->capture->origin = stream;
    stream->capture->thread = std::this_thread::get_id();
    stream->capture->streams.insert(stream);
    stream->capture->index.emplace(stream, 0);
    stream->ops = 0;
    stream->joined = -1;
    stream->waits.clear();
    g_capturing.push_back(stream->capture);
    return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t *graph) {
    *graph = nullptr;
    std::lock_guard<std::recursive_mutex> lock(g_streams_lock);
    if (!stream || !stream->capture) return set_error(cudaErrorIllegalState);
    std::shared_ptr<Recording> g = stream->capture;
    if (g->thread != std::this_thread::get_id()) return set_error(cudaErrorStreamCaptureWrongThread);
    if (g->origin != stream) {
        g->invalid = true;
        return set_error(cudaErrorStreamCaptureUnjoined);
    }
    bool unjoined = false;
    for (CUstream_st *s : g->streams) {
        if (s != stream && s->joined < s->ops) unjoined = true;
        s->capture.reset();
        s->ops = 0;
        s->joined = -1;
        s->waits.clear();
    }
    g->streams.clear();
    g->ended = true;
    g_capturing.erase(std::find(g_capturing.begin(), g_capturing.end(), g));
    if (g->invalid || unjoined)
        return set_error(g->invalid ? cudaErrorStreamCaptureInvalidated : cudaErrorStreamCaptureUnjoined);
    *graph = new CUgraph_st{g};
    return cudaSuccess;
}

cudaError_t cudaGraphInstantiate(cudaGraphExec_t *exec, cudaGraph_t graph, unsigned long long) {
    if (!graph) return set_error(cudaErrorInvalidValue);
    *exec = new CUgraphExec_st{graph->recording};
    return cudaSuccess;
}

cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
    delete graph;
    return cudaSuccess;
}

namespace {
// A node's handle: its address in the recording.
cudaGraphNode_t handle(const Node &n) { return reinterpret_cast<cudaGraphNode_t>(const_cast<Node *>(&n)); }

// Each node's dependencies: its stream's previous node and the last node of each (stream, count) it waited for.
std::vector<std::pair<size_t, size_t>> edges(const Recording &g) {
    std::vector<std::vector<size_t>> per(g.index.size());
    std::vector<std::pair<size_t, size_t>> out;
    for (size_t i = 0; i < g.nodes.size(); i++) {
        const Node &n = g.nodes[i];
        std::set<size_t> from;
        if (!per[n.stream].empty()) from.insert(per[n.stream].back());
        for (const auto &d : n.after)
            if (d.second > 0) from.insert(per[d.first][(size_t)d.second - 1]);
        for (size_t f : from) out.emplace_back(f, i);
        per[n.stream].push_back(i);
    }
    return out;
}
} // namespace

cudaError_t cudaGraphGetNodes(cudaGraph_t graph, cudaGraphNode_t *nodes, size_t *count) {
    if (!graph || !count) return set_error(cudaErrorInvalidValue);
    const std::vector<Node> &all = graph->recording->nodes;
    if (nodes)
        for (size_t i = 0; i < *count && i < all.size(); i++) nodes[i] = handle(all[i]);
    *count = all.size();
    return cudaSuccess;
}

cudaError_t cudaGraphGetEdges(cudaGraph_t graph, cudaGraphNode_t *from, cudaGraphNode_t *to, cudaGraphEdgeData *data,
                              size_t *count) {
    if (!graph || !count || (from == nullptr) != (to == nullptr)) return set_error(cudaErrorInvalidValue);
    const Recording &g = *graph->recording;
    const std::vector<std::pair<size_t, size_t>> all = edges(g);
    for (size_t i = 0; from && i < *count && i < all.size(); i++) {
        from[i] = handle(g.nodes[all[i].first]);
        to[i] = handle(g.nodes[all[i].second]);
        if (data) memset(&data[i], 0, sizeof data[i]);
    }
    *count = all.size();
    return cudaSuccess;
}

cudaError_t cudaGraphNodeGetType(cudaGraphNode_t node, cudaGraphNodeType *type) {
    if (!node || !type) return set_error(cudaErrorInvalidValue);
    *type = cudaGraphNodeTypeKernel;
    return cudaSuccess;
}

namespace {
// A replay runs the graph's nodes in an order its dependencies allow, picked as the streams' deferred work is
// (DBN4J_HOST_STREAMS): others-first (and immediate) in recording order, where a fork's work comes when the fork was
// made, before the main branch's later nodes; deferred with the origin's branch first, as far as it may, a forked
// branch's nodes only once a node of the origin waits for them (or at the end); interleaved with the branches in
// turn, one node each. So a forked branch that reads what the main branch writes before the join (or the other way
// round) shows in one order or another, as it may on a device, where the branches run at once.
void replay(const Recording &g) {
    const Streams m = stream_mode();
    if (m == Streams::OTHERS_FIRST || m == Streams::IMMEDIATE) {
        for (const Node &n : g.nodes) n.work();
        return;
    }
    const int streams = (int)g.index.size();
    std::vector<std::vector<const Node *>> per(streams);
    for (const Node &n : g.nodes) per[n.stream].push_back(&n);
    std::vector<size_t> next(streams, 0);
    auto ready = [&](int s) {
        if (next[s] >= per[s].size()) return false;
        for (const auto &d : per[s][next[s]]->after)
            if ((int64_t)next[d.first] < d.second) return false;
        return true;
    };
    int turn = 0;
    for (size_t ran = 0; ran < g.nodes.size(); ran++) {
        int pick = -1;
        for (int k = 0; k < streams && pick < 0; k++) {
            const int s = m == Streams::INTERLEAVED ? (turn + k) % streams : k;
            if (ready(s)) pick = s;
        }
        if (pick < 0) {   // a capture's dependencies only point back: cannot happen
            fprintf(stderr, "cuda_host: a graph's nodes wait for each other\n");
            abort();
        }
        turn = pick + 1;
        per[pick][next[pick]++]->work();
    }
}
} // namespace

cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream) {
    if (cudaError_t sticky = poisoned()) return sticky;
    if (!exec) return set_error(cudaErrorInvalidResourceHandle);
    std::shared_ptr<Recording> g = exec->recording;
    return dbn4j_host::enqueue(stream, [g]() { replay(*g); });
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
    if (!exec) return set_error(cudaErrorInvalidResourceHandle);
    delete exec;
    return cudaSuccess;
}
