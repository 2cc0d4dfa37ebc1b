package dbn4j.cli;

import picocli.CommandLine.Option;

/** Options of every subcommand: backend, threads, verbosity. Applied before the backend is first used. */
final class CommonOptions {
    @Option(names = "--backend", paramLabel = "NAME", description = "auto, cpu or cuda (default: the system property "
            + "dbn4j.backend, else auto).")
    String backend;

    @Option(names = "--threads", paramLabel = "N", description = "Threads of dbn4j's own kernels (default 1).")
    Integer threads;

    @Option(names = "--blas-threads", paramLabel = "N", description = "OpenBLAS threads (default 1).")
    Integer blasThreads;

    @Option(names = {"-v", "--verbose"}, description = "Print stack traces of errors.")
    boolean verbose;

    void apply() {
        if (backend != null) {
            System.setProperty("dbn4j.backend", backend);
        }
        if (threads != null) {
            System.setProperty("dbn4j.threads", Integer.toString(threads));
        }
        if (blasThreads != null) {
            System.setProperty("dbn4j.blas.threads", Integer.toString(blasThreads));
        }
    }
}
