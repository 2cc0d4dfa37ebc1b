/*
 * The products of one RBM CD-1 step at any batch size, as dbn4j_sgemm's AUTO runs them against what it ran with
 * the sparse mode OFF (built, not registered with ctest): x W on real Fashion-MNIST batches, h W^T on sampled 0/1
 * states (35% on, as a trained 784-500 RBM's are), v' W on dense probabilities, and the weight step
 * (v0^T h0 - v'^T h1) / B. The two settings alternate call by call, so that a change of the machine's speed hits
 * both alike; one thread for the kernels and for OpenBLAS. Up to a batch of 256 OFF is the own dense kernel; above,
 * OFF is OpenBLAS throughout and AUTO runs the sparse path and the weight step on the own kernel. Median
 * microseconds of each, and their ratio.
 * Run: <build>/tests/bench_gemm_batch <libopenblas.so.0> <train-images-idx3-ubyte.gz> [batch] [runs] [hidden]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <string>
#include <vector>

#include "test_util.h"

static double now() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

// The first n images of an IDX image file (gzip), scaled to [0, 1]; empty if it cannot be read.
static std::vector<float> read_images(const char *path, size_t n) {
    std::string cmd = std::string("gzip -dc '") + path + "'";
    FILE *f = popen(cmd.c_str(), "r");
    if (!f) return {};
    std::vector<unsigned char> raw(16 + n * 784);
    size_t got = fread(raw.data(), 1, raw.size(), f);
    pclose(f);
    if (got != raw.size() || raw[2] != 8 || raw[3] != 3) return {};
    std::vector<float> x(n * 784);
    for (size_t i = 0; i < x.size(); i++) x[i] = raw[16 + i] / 255.0f;
    return x;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench_gemm_batch <libopenblas.so.0> <train-images-idx3-ubyte.gz> [batch] [runs] [hidden]\n");
        return 2;
    }
    const int B = argc > 3 ? atoi(argv[3]) : 1000, runs = argc > 4 ? atoi(argv[4]) : 30;
    const int V = 784, H = argc > 5 ? atoi(argv[5]) : 500, nb = std::max(1, 10000 / B);
    if (B <= 0 || runs <= 0 || H <= 0) {
        fprintf(stderr, "bench_gemm_batch: batch, runs and hidden must be positive\n");
        return 2;
    }
    CHECK_OK(dbn4j_blas_open(argv[1]));
    CHECK_OK(dbn4j_set_num_threads(1));
    CHECK_OK(dbn4j_blas_set_num_threads(1));
    CHECK_OK(dbn4j_gemm_set_mode(DBN4J_GEMM_AUTO));
    std::vector<float> data = read_images(argv[2], (size_t)B * nb);
    if (data.empty()) {
        fprintf(stderr, "bench_gemm_batch: cannot read %d images from %s\n", B * nb, argv[2]);
        return 2;
    }
    Rng rng(7);
    std::vector<float> W((size_t)V * H), Vel(W.size(), 0.0f), G(W.size()), h0((size_t)B * H), hs(h0.size()),
        v1((size_t)B * V), h1(h0.size()), C1(h0.size()), C2(v1.size());
    for (auto &w : W) w = rng.uniform(-0.01f, 0.01f);
    for (auto &x : h0) x = rng.uniform(0, 1);
    for (auto &x : hs) x = rng.uniform(0, 1) < 0.35f ? 1.0f : 0.0f;
    for (auto &x : v1) x = rng.uniform(0.05f, 0.95f);
    for (auto &x : h1) x = rng.uniform(0, 1);
    const char *names[5] = {"x W", "h W^T", "v' W", "weight step", "step"};
    std::vector<double> ts[2][5];
    for (int r = 0; r <= runs; r++)
        for (int w = 0; w < 2; w++) {
            int mode = (r & 1) ? w : 1 - w; // 0: OFF, 1: AUTO; which goes first alternates too
            CHECK_OK(dbn4j_gemm_set_sparse(mode == 0 ? DBN4J_GEMM_SPARSE_OFF : DBN4J_GEMM_SPARSE_AUTO));
            const float *x = data.data() + (size_t)(r % nb) * B * V;
            double t[5];
            t[0] = now();
            CHECK_OK(dbn4j_sgemm(0, 0, B, H, V, 1.0f, x, V, W.data(), H, 0.0f, C1.data(), H));
            t[1] = now();
            CHECK_OK(dbn4j_sgemm(0, 1, B, V, H, 1.0f, hs.data(), H, W.data(), H, 0.0f, C2.data(), V));
            t[2] = now();
            CHECK_OK(dbn4j_sgemm(0, 0, B, H, V, 1.0f, v1.data(), V, W.data(), H, 0.0f, C1.data(), H));
            t[3] = now();
            // lr 0: the weights stay as they are, so every run multiplies the same W.
            CHECK_OK(dbn4j_gemm_sgd_momentum(1, 0, V, H, B, B, -1.0f / B, x, V, h0.data(), H, v1.data(), V, h1.data(), H,
                                             W.data(), Vel.data(), G.data(), 0.0f, 0.5f, 0.0f, 0));
            t[4] = now();
            if (r == 0) continue; // warm-up
            for (int i = 0; i < 4; i++) ts[mode][i].push_back(t[i + 1] - t[i]);
            ts[mode][4].push_back(t[4] - t[0]);
        }
    printf("RBM CD-1 784-%d, batch %d, %d runs each; OpenBLAS core %s, 1 thread\n", H, B, runs, dbn4j_blas_corename());
    printf("%-12s %14s %14s %9s\n", "product", "sparse off us", "auto us", "auto/off");
    for (int i = 0; i < 5; i++) {
        double m[2];
        for (int w = 0; w < 2; w++) {
            std::sort(ts[w][i].begin(), ts[w][i].end());
            m[w] = ts[w][i][ts[w][i].size() / 2];
        }
        printf("%-12s %14.1f %14.1f %9.3f\n", names[i], m[0] * 1e6, m[1] * 1e6, m[1] / m[0]);
    }
    CHECK_OK(dbn4j_gemm_set_sparse(DBN4J_GEMM_SPARSE_AUTO));
    return finish("bench_gemm_batch");
}
