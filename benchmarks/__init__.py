"""Speed benchmarks (see README, "Benchmarks"): run from the repository root as modules,
``python -m benchmarks.bench_import``, so the project and ``tests`` helpers import as packages."""
