/*
 * The products of one RBM CD-1 step at any batch size, as dbn4j_sgemm runs them in several settings (built, not
 * registered with ctest): x W on real Fashion-MNIST batches, h W^T on sampled 0/1 states (35% on, as a trained
 * 784-500 RBM's are), v' W on dense probabilities, and the weight step (v0^T h0 - v'^T h1) / B; and apart from
 * the step, an MLP's weight step (one product, x^T dz). With hidden at most 32 the shapes are those of an output
 * layer (hidden 10: a 10-class classifier), which the own kernel runs on its narrow kernel. The settings
 * alternate call by call (their order rotating), so that a change of the machine's speed hits all alike; one
 * thread for the kernels and for OpenBLAS. Median microseconds of each, and the ratio to the first setting.
 * Settings (default "off,auto"): auto (what dbn4j runs by default), off (AUTO with the sparse mode OFF: up to a
 * batch of 256 the own dense kernel on a non-AVX-512 OpenBLAS core, above it OpenBLAS throughout), openblas
 * (OpenBLAS for every product), own (the own kernel for every product, sparse mode AUTO), own-dense (the own
 * kernel, sparse mode OFF), own-panel (the own kernel without its narrow kernel: the panel kernel for every
 * shape); each may end in @avx2 or @avx512 to force the kernel level (the own kernel's build).
 * Run: <build>/tests/bench_gemm_batch <libopenblas.so.0> <train-images-idx3-ubyte.gz> [batch] [runs] [hidden]
 *      [settings]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <string.h>

#include <algorithm>
#include <string>
#include <vector>

#include "internal.h"
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

struct Setting {
    std::string name;
    int mode, sparse, isa; // isa -1: as detected
    bool narrow;           // products of <= 32 (AVX2: 16) columns on the own narrow kernel
};

// "auto", "off", "openblas", "own", "own-dense", "own-panel", each with an optional "@avx2" / "@avx512"; false if
// unknown.
static bool parse_setting(const std::string &s, Setting &out) {
    size_t at = s.find('@');
    std::string base = s.substr(0, at), level = at == std::string::npos ? "" : s.substr(at + 1);
    out.name = s;
    out.isa = level.empty() ? -1 : level == "avx2" ? DBN4J_ISA_AVX2 : level == "avx512" ? DBN4J_ISA_AVX512 : -2;
    out.sparse = base == "off" || base == "own-dense" ? DBN4J_GEMM_SPARSE_OFF : DBN4J_GEMM_SPARSE_AUTO;
    out.narrow = base != "own-panel";
    if (base == "own-panel") base = "own";
    out.mode = base == "openblas" ? DBN4J_GEMM_OPENBLAS : base == "own" || base == "own-dense" ? DBN4J_GEMM_OWN
             : base == "auto" || base == "off"                          ? DBN4J_GEMM_AUTO
                                                                        : -1;
    return out.isa != -2 && out.mode != -1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench_gemm_batch <libopenblas.so.0> <train-images-idx3-ubyte.gz> [batch] [runs]"
                        " [hidden] [settings, e.g. off,auto or openblas,own@avx2,own@avx512]\n");
        return 2;
    }
    std::vector<Setting> settings;
    {
        std::string list = argc > 6 ? argv[6] : "off,auto";
        for (size_t at = 0; at <= list.size();) {
            size_t end = std::min(list.find(',', at), list.size());
            Setting st;
            if (!parse_setting(list.substr(at, end - at), st)) {
                fprintf(stderr, "bench_gemm_batch: unknown setting '%s'\n", list.substr(at, end - at).c_str());
                return 2;
            }
            if (st.isa > dbn4j_isa_supported()) {
                fprintf(stderr, "bench_gemm_batch: this CPU does not run setting '%s'\n", st.name.c_str());
                return 2;
            }
            settings.push_back(st);
            at = end + 1;
        }
    }
    const int ns = (int)settings.size();
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
    const char *names[6] = {"x W", "h W^T", "v' W", "weight step", "step", "MLP step"};
    std::vector<std::vector<double>> ts[6];
    for (auto &t : ts) t.resize(ns);
    for (int r = 0; r <= runs; r++)
        for (int w = 0; w < ns; w++) {
            int mode = (r + w) % ns; // which goes first rotates too
            const Setting &st = settings[mode];
            CHECK_OK(dbn4j_gemm_set_mode(st.mode));
            CHECK_OK(dbn4j_gemm_set_sparse(st.sparse));
            CHECK_OK(dbn4j_isa_force(st.isa));
            dbn4j::set_gemm_narrow_for_tests(st.narrow);
            const float *x = data.data() + (size_t)(r % nb) * B * V;
            double t[6];
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
            // An MLP's weight step: one product, x^T dz (not part of the RBM step above).
            CHECK_OK(dbn4j_gemm_sgd_momentum(1, 0, V, H, B, 0, 1.0f / B, x, V, h0.data(), H, nullptr, 0, nullptr, 0,
                                             W.data(), Vel.data(), G.data(), 0.0f, 0.9f, 0.0f, 0));
            t[5] = now();
            if (r == 0) continue; // warm-up
            for (int i = 0; i < 4; i++) ts[i][mode].push_back(t[i + 1] - t[i]);
            ts[4][mode].push_back(t[4] - t[0]);
            ts[5][mode].push_back(t[5] - t[4]);
        }
    printf("RBM CD-1 784-%d, batch %d, %d runs each; OpenBLAS core %s, 1 thread; median us (ratio to %s)\n", H, B,
           runs, dbn4j_blas_corename(), settings[0].name.c_str());
    printf("%-12s", "product");
    for (auto &st : settings) printf(" %22s", st.name.c_str());
    printf("\n");
    for (int i = 0; i < 6; i++) {
        printf("%-12s", names[i]);
        double first = 0;
        for (int w = 0; w < ns; w++) {
            std::sort(ts[i][w].begin(), ts[i][w].end());
            double m = ts[i][w][ts[i][w].size() / 2];
            if (w == 0) first = m;
            printf(" %14.1f (%5.3f)", m * 1e6, m / first);
        }
        printf("\n");
    }
    CHECK_OK(dbn4j_gemm_set_mode(DBN4J_GEMM_AUTO));
    CHECK_OK(dbn4j_gemm_set_sparse(DBN4J_GEMM_SPARSE_AUTO));
    CHECK_OK(dbn4j_isa_force(-1));
    dbn4j::set_gemm_narrow_for_tests(true);
    return finish("bench_gemm_batch");
}
