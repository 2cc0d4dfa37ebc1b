/*
 * Sparse-A path of the own SGEMM against its dense kernel (built, not registered with ctest): the batch-100
 * products of a 784-500 layer whose A has a given fraction of nonzeros (real values, or 0/1 states), median
 * time of each on one thread, and whether C agrees bit for bit. Needs AVX2 + FMA.
 * Run: <build>/tests/bench_gemm_sparse [runs]
 */
#include <stdlib.h>
#include <string.h>
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

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 200;
    if (dbn4j_isa_active() < DBN4J_ISA_AVX2) {
        printf("SKIP: no AVX2\n");
        return 77;
    }
    CHECK_OK(dbn4j_set_num_threads(1));
    CHECK_OK(dbn4j_gemm_set_mode(DBN4J_GEMM_OWN));
    struct Shape {
        int M, N, K, tb;
        const char *what;
    } shapes[] = {{100, 500, 784, 0, "v W (784x500)"}, {100, 784, 500, 1, "h W^T (784x500)"},
                  {100, 500, 500, 0, "h W (500x500)"}};
    Rng rng(3);
    printf("%-18s %8s %6s %12s %12s %8s %s\n", "product", "density", "binary", "dense us", "sparse us", "ratio",
           "bits");
    for (const Shape &sh : shapes) {
        for (double density : {0.0, 0.2, 0.35, 0.5, 0.65}) {
            for (int binary = 0; binary < 2; binary++) {
                std::vector<float> A((size_t)sh.M * sh.K), B((size_t)sh.K * sh.N), C1((size_t)sh.M * sh.N),
                    C2(C1.size());
                for (auto &v : A) v = rng.uniform(0, 1) < density ? (binary ? 1.0f : rng.uniform(0, 1)) : 0.0f;
                for (auto &v : B) v = rng.uniform(-1, 1);
                int ldb = sh.tb ? sh.K : sh.N;
                // Dense and sparse calls alternate, so that a change of the machine's speed hits both alike.
                std::vector<double> ts[2];
                for (int i = 0; i <= runs; i++)
                    for (int mode = 0; mode < 2; mode++) {
                        CHECK_OK(dbn4j_gemm_set_sparse(mode == 0 ? DBN4J_GEMM_SPARSE_OFF : DBN4J_GEMM_SPARSE_ALWAYS));
                        std::vector<float> &C = mode == 0 ? C1 : C2;
                        double t0 = now();
                        CHECK_OK(dbn4j_sgemm(0, sh.tb, sh.M, sh.N, sh.K, 1.0f, A.data(), sh.K, B.data(), ldb, 0.0f,
                                             C.data(), sh.N));
                        if (i > 0) ts[mode].push_back(now() - t0);
                    }
                double t[2];
                for (int mode = 0; mode < 2; mode++) {
                    std::sort(ts[mode].begin(), ts[mode].end());
                    t[mode] = ts[mode][ts[mode].size() / 2];
                }
                bool same = memcmp(C1.data(), C2.data(), C1.size() * sizeof(float)) == 0;
                printf("%-18s %8.2f %6d %12.1f %12.1f %8.2f %s\n", sh.what, density, binary, t[0] * 1e6, t[1] * 1e6,
                       t[1] / t[0], same ? "same" : "DIFFER");
            }
        }
    }
    CHECK_OK(dbn4j_gemm_set_sparse(DBN4J_GEMM_SPARSE_AUTO));
    return 0;
}
