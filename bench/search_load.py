"""Search under load: concurrent clients searching a running app while it ingests.

    python bench/search_load.py [--clients 20] [--seconds 60] [--documents 300] [--threads N]
                                [--json]

Starts ``mexma-search serve`` on a scratch data directory (the demo corpus and the default
model), queues ``--documents`` Wikipedia summaries for ingest, and has ``--clients`` threads
search through the app's HTTP route (``GET /api/search``, what the CLI uses) for ``--seconds``,
each sending its next query as soon as the last one is answered, with a read token made on the
scratch data directory. Prints the searches, errors and latency percentiles, the documents
and passages the ingest indexed during the load (its throughput beside the searches), and the
app process's CPU time during the load per search (ingest included; a figure the neighbours'
load changes less than the latencies); ``--url`` measures an app that is already running
instead (its token in ``MEXMA_API_TOKEN``; no CPU figure).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    DEFAULT_DATA_DIR,
    DEFAULT_MODELS_DIR,
    interleaved_summaries,
    latency_stats,
    machine,
)

QUERIES = [
    "where does the river flow",
    "¿quién escribió la novela?",
    "la capitale de la France",
    "how do trains run at night",
    "Einstein relativity",
    "la fabrication du pain",
    "la historia de la bicicleta",
    "football world cup",
]
STARTUP_TIMEOUT_S = 300
CLI = [sys.executable, "-c", "from mexma_search.cli import main; main()"]


def app_environment(data_dir: Path) -> dict[str, str]:
    """The environment of the app and the commands run on its data directory."""
    return {
        **os.environ,
        "MEXMA_DATA_DIR": str(data_dir),
        "MEXMA_MODELS_DIR": str(DEFAULT_MODELS_DIR),
        "MEXMA_ADMIN_PASSWORD": "bench-only-password",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
    }


def read_token(data_dir: Path) -> str:
    """A new read token for the first admin of ``data_dir``."""
    made = subprocess.run(
        [*CLI, "tokens", "create", "search load bench", "--json"],
        env=app_environment(data_dir),
        check=True,
        capture_output=True,
        text=True,
    )
    return str(json.loads(made.stdout)["token"])


def start_app(data_dir: Path, port: int, token: str, threads: int | None) -> subprocess.Popen[str]:
    """``serve --demo`` on ``data_dir`` with ``threads`` torch CPU threads (None: the app's
    default); returns once it answers searches."""
    environment = {**app_environment(data_dir), "MEXMA_PORT": str(port)}
    if threads is not None:
        environment["MEXMA_CPU_THREADS"] = str(threads)
    command = [*CLI, "serve", "--demo"]
    app = subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if app.poll() is not None:
            raise SystemExit("serve exited before answering")
        try:
            search(url, token, "warm up")
            return app
        except OSError:
            time.sleep(1)
    app.kill()
    raise SystemExit("serve did not answer in time")


def queue_ingest(data_dir: Path, documents: int, work: Path) -> None:
    """Write ``documents`` summaries as text files and queue them (the app ingests them)."""
    folder = work / "ingest"
    folder.mkdir()
    for n, summary in enumerate(interleaved_summaries(DEFAULT_DATA_DIR)[:documents]):
        (folder / f"{n:05}-{summary.lang}.txt").write_text(
            f"{summary.title}\n\n{summary.text}\n", encoding="utf-8"
        )
    subprocess.run(
        [*CLI, "ingest", str(folder)],
        env=app_environment(data_dir),
        check=True,
        capture_output=True,
    )


def search(url: str, token: str, query: str) -> list[Any]:
    """One search through the app's HTTP API; its results."""
    address = f"{url}/api/search?{urllib.parse.urlencode({'q': query, 'k': 10})}"
    request = urllib.request.Request(address, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return list(json.loads(response.read())["results"])


def indexed(url: str, token: str) -> tuple[int, int]:
    """The documents and passages of the app's succeeded ingest jobs (at most 1,000 jobs)."""
    query = urllib.parse.urlencode({"kind": "ingest", "status": "succeeded", "limit": 1000})
    request = urllib.request.Request(
        f"{url}/api/jobs?{query}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        jobs = json.loads(response.read())["items"]
    return len(jobs), sum(int(job["metrics"].get("chunks", 0)) for job in jobs)


def ingest_rate(url: str, token: str, before: tuple[int, int], seconds: float) -> dict[str, float]:
    """What the ingest indexed since ``before`` (from :func:`indexed`), per minute."""
    documents, passages = indexed(url, token)
    documents, passages = documents - before[0], passages - before[1]
    return {
        "ingested_documents": documents,
        "ingested_passages": passages,
        "passages_per_minute": round(passages * 60 / seconds, 1),
    }


def process_cpu_s(pid: int) -> float:
    """The CPU seconds (user and system) process ``pid`` has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(url: str, token: str, clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` threads searching for ``seconds``; the counts and latencies."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(number: int) -> None:
        n = number
        while time.monotonic() < stop:
            query = QUERIES[n % len(QUERIES)]
            n += 1
            started = time.perf_counter()
            try:
                search(url, token, query)
            except Exception as error:  # every failure counts, whatever its kind
                with lock:
                    errors.append(f"{type(error).__name__}: {error}")
                continue
            with lock:
                latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "clients": clients,
        "seconds": seconds,
        "searches": len(latencies),
        "errors": len(errors),
        "first_errors": errors[:5],
        **(latency_stats(latencies) if latencies else {}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--documents", type=int, default=300, help="queued for ingest (0: none)")
    parser.add_argument("--port", type=int, default=7961)
    parser.add_argument("--threads", type=int, help="torch CPU threads of the app")
    parser.add_argument("--url", help="an app that is already running (nothing is ingested)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        app = None
        url = args.url
        token = os.environ.get("MEXMA_API_TOKEN", "")
        if url is None:
            token = read_token(work / "data")
            app = start_app(work / "data", args.port, token, args.threads)
            url = f"http://127.0.0.1:{args.port}"
        try:
            if app is not None and args.documents:
                queue_ingest(work / "data", args.documents, work)
            url = url.rstrip("/")
            before = indexed(url, token)
            started = time.monotonic()
            cpu = process_cpu_s(app.pid) if app is not None else None
            measured = load(url, token, args.clients, args.seconds)
            if cpu is not None and app is not None and measured["searches"]:
                cpu = process_cpu_s(app.pid) - cpu
                measured["app_cpu_ms_per_search"] = round(cpu * 1000 / measured["searches"], 1)
            ingest = ingest_rate(url, token, before, time.monotonic() - started)
            threads = {"threads": args.threads or "default"}
            report = {**threads, **measured, **ingest, "machine": machine()}
        finally:
            if app is not None:
                app.terminate()
                app.wait(60)
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>12}: {value}")


if __name__ == "__main__":
    main()
