"""The embedded server's idle memory before and after one small training job.

Starts the services in this process (embedded mode, CPU, a scratch data directory) with the
in-process worker, loads the live (default) model as a server does at its first search, then
measures this process's resident memory (RSS), runs one small train job on the first
``--pairs`` rows of ``bitext/bible-en-es.tsv``, waits ``--settle`` seconds and measures again.
The training runs in a child process: its peak RSS is sampled while the job runs. Prints the
report as JSON and writes it into ``bench/results/``.

    python bench/train_memory.py --models-dir /path/to/models --pairs 200 --steps 10
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import threading
import time
from itertools import islice
from pathlib import Path
from typing import Any

import psutil

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench.common import (  # noqa: E402
    DEFAULT_DATA_DIR,
    DEFAULT_MODELS_DIR,
    RESULTS_DIR,
    bench_settings,
    machine,
    rss_mb,
    write_report,
)
from mexma_search.app.serving_model import serving_model  # noqa: E402
from mexma_search.encoder.default_model import prepare_default_model  # noqa: E402
from mexma_search.jobs.backends import open_services  # noqa: E402
from mexma_search.jobs.inprocess import InProcessWorker  # noqa: E402

SAMPLE_S = 0.2
MIB = 1024 * 1024


def first_pairs(source: Path, pairs: int, target: Path) -> Path:
    """The header and the first ``pairs`` rows of the TSV bitext ``source``, written to
    ``target``."""
    with source.open(encoding="utf-8") as handle:
        target.write_text("".join(islice(handle, pairs + 1)), encoding="utf-8")
    return target


class ChildPeak:
    """Samples the RSS of this process's children until stopped; the peak, in MiB."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ChildPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(SAMPLE_S):
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            self.peak_mb = max(self.peak_mb, total / MIB)


def measure(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    """RSS of the server before and after one training job, and the child's peak."""
    bitext = first_pairs(args.bitext, args.pairs, scratch / "bitext.tsv")
    settings = bench_settings(scratch / "data", args.models_dir, threads=args.threads)
    services = open_services(settings)
    try:
        with InProcessWorker(services):
            serving_model(services.runtime).encoder.encode(["warm up"], prompt="query")
            gc.collect()
            before = rss_mb()
            params = {
                "max_steps": args.steps,
                "batch_size": args.batch_size,
                "max_length": 64,
                "held_out": args.held_out,
                "eval_every": args.steps,
            }
            started = time.perf_counter()
            with ChildPeak() as child:
                job = services.wait_for_job(services.start_training(bitext, params=params), 3600)
            seconds = time.perf_counter() - started
            if job.status != "succeeded":
                raise RuntimeError(f"the train job ended {job.status}: {job.error}")
            time.sleep(args.settle)
            gc.collect()
            after = rss_mb()
    finally:
        services.runtime.close()
    return {
        "rss_before_mb": round(before, 1),
        "rss_after_mb": round(after, 1),
        "rss_growth_mb": round(after - before, 1),
        "child_peak_rss_mb": round(child.peak_mb, 1),
        "job_seconds": round(seconds, 1),
        "steps": job.metrics["steps"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    parser.add_argument(
        "--bitext", type=Path, default=DEFAULT_DATA_DIR / "bitext" / "bible-en-es.tsv"
    )
    parser.add_argument("--pairs", type=int, default=200, help="rows of the bitext to train on")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--held-out", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds idle before measuring")
    args = parser.parse_args()
    prepare_default_model(args.models_dir)
    with tempfile.TemporaryDirectory() as scratch:
        figures = measure(args, Path(scratch))
    report = {
        "benchmark": "train_memory",
        **figures,
        "pairs": args.pairs,
        "machine": machine(),
    }
    path = write_report(report, RESULTS_DIR, "train_memory")
    print(json.dumps(report, indent=2))
    print(f"written to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
