/*
 * Throughput check (built, not registered with ctest): elements/s of the hot kernels at 1M elements on one
 * thread, per ISA level, median of 50 runs. Run: <build>/tests/bench_kernels [runs]
 */
#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <vector>

#include "internal.h"
#include "test_util.h"

static double now() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

template <class F> static double median_rate(int runs, double elements, F &&f) {
    f();   // warm up: page faults, dispatch
    std::vector<double> t;
    for (int i = 0; i < runs; i++) {
        double t0 = now();
        f();
        t.push_back(now() - t0);
    }
    std::sort(t.begin(), t.end());
    return elements / t[t.size() / 2];
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 50;
    const int B = 1000, N = 1000;
    const int64_t n = (int64_t)B * N;
    std::vector<float> x(n), y(n), s(n), b(N);
    Rng rng(7);
    for (auto &v : x) v = rng.uniform(-8, 8);
    for (auto &v : b) v = rng.uniform(-1, 1);
    dbn4j_set_num_threads(1);
    printf("%-8s %12s %12s %12s %12s %12s %12s %12s\n", "isa", "sigmoid/s", "sig_bern/s", "bernoulli/s", "tanh/s",
           "uniform/s", "bits/s", "gaussian/s");
    std::vector<uint32_t> bits(n);
    for (int level = DBN4J_ISA_SCALAR; level <= dbn4j_isa_supported(); level++) {
        dbn4j_isa_force(level);
        uint64_t off = 0;
        double sig = median_rate(runs, n, [&] { dbn4j_sigmoid_forward(x.data(), y.data(), n); });
        double sb = median_rate(runs, n, [&] {
            dbn4j_sigmoid_bernoulli(1234, off, x.data(), b.data(), y.data(), s.data(), B, N);
            off += n;
        });
        double be = median_rate(runs, n, [&] { dbn4j_random_bernoulli(1234, 0, y.data(), s.data(), n); });
        double th = median_rate(runs, n, [&] { dbn4j_tanh_forward(x.data(), y.data(), n); });
        double un = median_rate(runs, n, [&] { dbn4j_random_uniform(1234, 0, y.data(), n); });
        double bi = median_rate(runs, n, [&] { dbn4j_random_bits(1234, 0, bits.data(), n); });
        double ga = median_rate(runs, n, [&] { dbn4j_random_gaussian(1234, 0, nullptr, 1.0f, y.data(), n); });
        printf("%-8s %12.3e %12.3e %12.3e %12.3e %12.3e %12.3e %12.3e\n", dbn4j::kernels_for_level(level)->name, sig,
               sb, be, th, un, bi, ga);
    }
    dbn4j_isa_force(-1);
    return 0;
}
