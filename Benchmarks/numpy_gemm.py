"""numpy (BLAS) float32 `a @ b` at camlab-bench's GEMM shapes, same table format, medians.

Run with the environment's OpenBLAS overrides removed, as in BENCHMARKS-kernels.md:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 Benchmarks/numpy_gemm.py [--json]
"""
import json
import os
import sys
import time

import numpy as np

# (case, m, n, k, transpose A, transpose B) — operands stored as camlab's convolution kernels store them.
LAYERS = [(3, 16, 32 * 32), (16, 32, 32 * 32), (32, 64, 16 * 16)]  # in, out, H·W at batch 64
CASES = [("square 256", 256, 256, 256, False, False), ("square 1024", 1024, 1024, 1024, False, False)]
for index, (cin, cout, pixels) in enumerate(LAYERS, start=1):
    patch, columns = cin * 9, 64 * pixels
    CASES.append((f"conv{index} forward", cout, columns, patch, False, False))
    CASES.append((f"conv{index} input-grad", patch, columns, cout, True, False))
    CASES.append((f"conv{index} weight-grad", cout, patch, columns, False, True))


def median_seconds(body, budget=0.4):
    body()
    start = time.perf_counter()
    body()
    estimate = max(1e-6, time.perf_counter() - start)
    repetitions = min(200, max(7, int(budget / estimate)))
    times = []
    for _ in range(repetitions):
        begin = time.perf_counter()
        body()
        times.append(time.perf_counter() - begin)
    times.sort()
    return times[len(times) // 2]


def blas_description():
    try:
        from threadpoolctl import threadpool_info
        return "; ".join(
            f"{pool.get('internal_api')} {pool.get('version')} {pool.get('architecture')} "
            f"threads={pool.get('num_threads')}"
            for pool in threadpool_info() if pool.get("user_api") == "blas")
    except ImportError:
        config = np.show_config(mode="dicts")
        blas = config.get("Build Dependencies", {}).get("blas", {})
        return f"{blas.get('name')} {blas.get('version')} (threadpoolctl not installed: kernel unknown)"


def main():
    emit_json = "--json" in sys.argv
    rng = np.random.default_rng(0)
    if not emit_json:
        overrides = {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")}
        print(f"numpy {np.__version__} — BLAS: {blas_description()}; OPENBLAS_* set: {overrides or 'none'}")
        print("")
        print("GEMM  C[m×n] = op(A)[m×k]·op(B)[k×n], float32, median")
        print(f"{'case':<24}{'m':>6}{'n':>7}{'k':>7}  op   {'ms':>9}{'GFLOP/s':>10}")
    for name, m, n, k, transpose_a, transpose_b in CASES:
        a_stored = rng.uniform(-1, 1, (k, m) if transpose_a else (m, k)).astype(np.float32)
        b_stored = rng.uniform(-1, 1, (n, k) if transpose_b else (k, n)).astype(np.float32)
        a = a_stored.T if transpose_a else a_stored
        b = b_stored.T if transpose_b else b_stored
        c = np.empty((m, n), dtype=np.float32)
        seconds = median_seconds(lambda: np.matmul(a, b, out=c))
        gflops = 2 * m * n * k / seconds / 1e9
        op = ("T" if transpose_a else "N") + ("T" if transpose_b else "N")
        if emit_json:
            print(json.dumps({"kind": "gemm", "case": name, "m": m, "n": n, "k": k, "op": op,
                              "median_ms": round(seconds * 1e3, 4), "gflops": round(gflops, 2)}))
        else:
            print(f"{name:<24}{m:>6}{n:>7}{k:>7}  {op}   {seconds * 1e3:>9.3f}{gflops:>10.1f}")


if __name__ == "__main__":
    main()
