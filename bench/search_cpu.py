"""Where one search's time goes: CPU time per ``GET /api/search`` request, by stage.

    python bench/search_cpu.py [--requests 40] [--threads N] [--json]

Loads the demo corpus into a scratch data directory (embedded mode, default model on CPU),
then sends ``--requests`` searches one after another through the API application in this
process, with a read token. Each stage's cost is the CPU time of the request's thread inside
it (a figure the machine's load changes little, unlike wall time); the query encoder, which
runs in a thread of its own, is measured apart: process CPU per query in a batch of twenty
(as under load) and alone. Also prints the process CPU per request (encoder threads included:
the spinning of idle torch threads shows there) and the wall times.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DEFAULT_MODELS_DIR, bench_settings, machine, wait_until_done
from search_load import QUERIES

import mexma_search.app.search as search_module
from mexma_search.app.access import OPERATOR_NAME
from mexma_search.app.services import Services
from mexma_search.jobs.backends import in_process_worker, open_services
from mexma_search.webapp.api import build_api, search_routes
from mexma_search.webapp.demo import load_demo

SEARCH_STAGES = (
    "serving_model",
    "query_language",
    "chunks_by_ids",
    "document_names",
    "sentence_matches",
    "results_of",
)


class StageClock:
    """Thread CPU and wall seconds spent inside the functions it wraps, by stage."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.wall: dict[str, float] = defaultdict(float)

    def wrap(self, owner: Any, name: str, stage: str) -> None:
        function: Callable[..., Any] = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            cpu, wall = time.thread_time(), time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.cpu[stage] += time.thread_time() - cpu
                self.wall[stage] += time.perf_counter() - wall

        setattr(owner, name, timed)


def loaded_services(data_dir: Path, threads: int) -> Services:
    """Services on ``data_dir`` with the demo corpus indexed."""
    services = open_services(bench_settings(data_dir, DEFAULT_MODELS_DIR, threads=threads))
    worker = in_process_worker(services)
    assert worker is not None
    with worker:
        wait_until_done(services, load_demo(services), timeout=900)
    return services


def encoder_cpu_ms(services: Services) -> dict[str, float]:
    """Process CPU milliseconds per query encoded in a batch of twenty, and alone."""
    encoder = search_module.serving_model(services.runtime).encoder
    batch = [f"{QUERIES[n % len(QUERIES)]} {n}" for n in range(20)]
    encoder.encode(batch, prompt="query")
    figures = {}
    for label, texts, rounds in (("batch_of_20", batch, 5), ("alone", batch[:1], 20)):
        started = time.process_time()
        for _ in range(rounds):
            encoder.encode(texts, prompt="query")
        figures[f"encoder_cpu_ms_per_query_{label}"] = round(
            (time.process_time() - started) * 1000 / (rounds * len(texts)), 2
        )
    return figures


def measure(services: Services, requests: int) -> dict[str, Any]:
    """Send ``requests`` searches one at a time; CPU and wall milliseconds per request."""
    secret = services.tokens.create("search cpu bench", OPERATOR_NAME, "read").secret
    client = TestClient(build_api(services))
    headers = {"Authorization": f"Bearer {secret}"}

    def search(n: int) -> None:
        query = {"q": QUERIES[n % len(QUERIES)], "k": 10}
        client.get("/search", params=query, headers=headers).raise_for_status()

    for n in range(len(QUERIES)):  # warm up
        search(n)
    clock = StageClock()
    clock.wrap(services.tokens, "authenticate", "token_check")
    clock.wrap(services.runtime, "encode_query", "encode_query_wait")
    clock.wrap(services.runtime.index, "search", "index_search")
    for stage in SEARCH_STAGES:
        clock.wrap(search_module, stage, stage)
    clock.wrap(search_routes.SearchQuery, "run", "search_service_total")
    cpu, wall = time.process_time(), time.perf_counter()
    for n in range(requests):
        search(n)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    per_request = 1000 / requests
    return {
        "requests": requests,
        "process_cpu_ms_per_request": round(cpu * per_request, 2),
        "wall_ms_per_request": round(wall * per_request, 2),
        "thread_cpu_ms": {k: round(v * per_request, 2) for k, v in clock.cpu.items()},
        "wall_ms": {k: round(v * per_request, 2) for k, v in clock.wall.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        services = loaded_services(Path(scratch) / "data", args.threads)
        try:
            report = {
                "threads": args.threads,
                **measure(services, args.requests),
                **encoder_cpu_ms(services),
                "machine": machine(),
            }
        finally:
            services.runtime.close()
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>36}: {value}")


if __name__ == "__main__":
    main()
