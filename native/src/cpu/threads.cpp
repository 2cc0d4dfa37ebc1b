/*
 * The thread pool of dbn4j's own kernels (BLAS has its own): persistent workers created lazily, resized by
 * dbn4j_set_num_threads, and parallel_for splitting a range into one contiguous piece per thread.
 * Results never depend on the split (see api.cpp). Test: ctest --test-dir <build> -R isa (1 vs 2 threads).
 */
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "internal.h"

namespace dbn4j {

namespace {

constexpr int64_t DEFAULT_GRAIN = 64 * 1024;
constexpr int MAX_THREADS = 1024;

std::atomic<int64_t> g_grain{DEFAULT_GRAIN};

// True while this thread runs a piece of a parallel_for, so a nested call runs inline instead of waiting on
// the pool it is part of.
thread_local bool t_in_parallel = false;

class Pool {
  public:
    int threads() const { return wanted_.load(std::memory_order_relaxed); }

    void resize(int n) {
        std::lock_guard<std::mutex> region(region_mu_);
        stop_workers();
        wanted_.store(n, std::memory_order_relaxed);
    }

    void run(int64_t begin, int64_t end, int64_t grain, RangeFn fn, void *ctx) {
        int64_t n = end - begin;
        int64_t parts = n / (grain > 0 ? grain : 1);
        if (parts > threads()) parts = threads();
        // One parallel region at a time: a second caller (another Java thread) just runs serially.
        if (parts < 2 || t_in_parallel || !region_mu_.try_lock()) {
            fn(ctx, begin, end);
            return;
        }
        std::lock_guard<std::mutex> region(region_mu_, std::adopt_lock);
        start_workers();
        if (parts > (int64_t)workers_.size() + 1) parts = (int64_t)workers_.size() + 1;
        if (parts < 2) {
            fn(ctx, begin, end);
            return;
        }
        std::unique_lock<std::mutex> lk(mu_);
        fn_ = fn;
        ctx_ = ctx;
        begin_ = begin;
        n_ = n;
        parts_ = (int)parts;
        next_ = 0;
        remaining_ = (int)parts;
        generation_++;
        work_cv_.notify_all();
        work(lk);   // the caller takes pieces too
        done_cv_.wait(lk, [&] { return remaining_ == 0; });
    }

  private:
    // Runs pieces until none is left; called with mu_ held.
    void work(std::unique_lock<std::mutex> &lk) {
        while (next_ < parts_) {
            int p = next_++;
            int64_t q = n_ / parts_, r = n_ % parts_;
            int64_t b = begin_ + q * p + (p < r ? p : r), e = b + q + (p < r ? 1 : 0);
            RangeFn fn = fn_;
            void *ctx = ctx_;
            lk.unlock();
            t_in_parallel = true;
            fn(ctx, b, e);
            t_in_parallel = false;
            lk.lock();
            if (--remaining_ == 0) done_cv_.notify_all();
        }
    }

    void worker_main() {
        std::unique_lock<std::mutex> lk(mu_);
        uint64_t seen = generation_;
        for (;;) {
            work_cv_.wait(lk, [&] { return quit_ || generation_ != seen; });
            if (quit_) return;
            seen = generation_;
            work(lk);
        }
    }

    // Called with region_mu_ held. A thread that cannot be created leaves the pool smaller, never an error.
    void start_workers() {
        size_t want = (size_t)threads() - 1;
        while (workers_.size() < want) {
            try {
                workers_.emplace_back([this] { worker_main(); });
            } catch (...) {
                break;
            }
        }
    }

    void stop_workers() {
        {
            std::lock_guard<std::mutex> lk(mu_);
            quit_ = true;
        }
        work_cv_.notify_all();
        for (auto &t : workers_) t.join();
        workers_.clear();
        quit_ = false;
    }

    std::atomic<int> wanted_{1};
    std::mutex region_mu_;   // held for a whole parallel region or a resize
    std::mutex mu_;          // guards the fields below
    std::condition_variable work_cv_, done_cv_;
    std::vector<std::thread> workers_;
    RangeFn fn_ = nullptr;
    void *ctx_ = nullptr;
    int64_t begin_ = 0, n_ = 0;
    int parts_ = 0, next_ = 0, remaining_ = 0;
    uint64_t generation_ = 0;
    bool quit_ = false;
};

// Never destroyed: joining workers from a static destructor at process exit (JVM shutdown) can hang.
Pool &pool() {
    static Pool *p = new Pool();
    return *p;
}

} // namespace

void parallel_for_impl(int64_t begin, int64_t end, int64_t grain, RangeFn fn, void *ctx) {
    if (end <= begin) return;
    if (pool().threads() < 2) {
        fn(ctx, begin, end);
        return;
    }
    pool().run(begin, end, grain, fn, ctx);
}

int64_t grain_elements() { return g_grain.load(std::memory_order_relaxed); }

void set_grain_elements_for_tests(int64_t elements) {
    g_grain.store(elements > 0 ? elements : DEFAULT_GRAIN, std::memory_order_relaxed);
}

} // namespace dbn4j

using namespace dbn4j;

extern "C" {

int dbn4j_set_num_threads(int n) {
    if (n < 1 || n > MAX_THREADS)
        return fail(DBN4J_EINVAL, "dbn4j_set_num_threads: n=%d (must be 1..%d)", n, MAX_THREADS);
    try {
        if (n != pool().threads()) pool().resize(n);
    } catch (...) {
        return fail(DBN4J_ENOMEM, "dbn4j_set_num_threads: could not resize the pool to %d threads", n);
    }
    return DBN4J_OK;
}

int dbn4j_get_num_threads(void) { return pool().threads(); }

} // extern "C"
