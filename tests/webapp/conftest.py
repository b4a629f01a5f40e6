"""Web app fixtures: the app launched on a free port over real services and an embedded worker,
and a raw client for Gradio's queue protocol (to call private endpoints the way a hostile
client would, bypassing gradio_client's own refusal)."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import pytest
from fake_clock import FakeClock
from gradio_client import Client

from mexma_search.app.access import OPERATOR
from mexma_search.app.services import Services
from mexma_search.app.settings import Settings
from mexma_search.jobs.backends import open_services
from mexma_search.jobs.inprocess import InProcessWorker
from mexma_search.webapp.app import build_app, launch
from mexma_search.webapp.sessions import COOKIE

ADMIN_PASSWORD = "correct horse battery staple"
JOB_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningApp:
    url: str
    services: Services
    settings: Settings
    blocks: gr.Blocks


def run_app(settings: Settings) -> Iterator[RunningApp]:
    """Launch the app for ``settings`` with an embedded worker; stop both afterwards."""
    services = open_services(settings)
    try:
        with InProcessWorker(services):
            web = build_app(services, settings)
            url = launch(web, settings, block=False)
            try:
                yield RunningApp(url, services, settings, web.blocks)
            finally:
                web.blocks.close()
    finally:
        services.runtime.close()


def app_settings(data_dir: Path, model_dir: Path, **overrides: Any) -> Settings:
    fields: dict[str, Any] = {
        "data_dir": data_dir,
        "default_model": str(model_dir),
        "device": "cpu",
        "port": free_port(),
        "admin_password": ADMIN_PASSWORD,
        **overrides,
    }
    return Settings(**fields)


@pytest.fixture(scope="module")
def tiny_app(
    tmp_path_factory: pytest.TempPathFactory, tiny_mean_model_dir: Path
) -> Iterator[RunningApp]:
    """The app over the tiny model (meaning does not matter), uploads limited to 1 MB."""
    settings = app_settings(
        tmp_path_factory.mktemp("webapp") / "data", tiny_mean_model_dir, max_upload_mb=1
    )
    yield from run_app(settings)


@pytest.fixture(scope="module")
def real_app(
    tmp_path_factory: pytest.TempPathFactory, default_model_dir: Path
) -> Iterator[RunningApp]:
    """The app over the real multilingual default model (for tests where meaning matters)."""
    yield from run_app(app_settings(tmp_path_factory.mktemp("e2e") / "data", default_model_dir))


@pytest.fixture
def bitext(tmp_path: Path) -> Path:
    """60 English-Spanish pairs (TSV with a language header) for quick training runs."""
    path = tmp_path / "pairs en-es.tsv"
    lines = ["en\tes"] + [
        f"The river {n} flows under {n % 7} bridges\tEl río {n} pasa bajo {n % 7} puentes"
        for n in range(60)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def admin_password() -> str:
    """The admin password of the apps launched here."""
    return ADMIN_PASSWORD


class RawQueueClient:
    """Speaks Gradio's queue protocol directly (join, then read the event stream)."""

    def __init__(self, url: str, client_host: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.session_hash = uuid.uuid4().hex[:11]
        # the server trusts X-Forwarded-For from 127.0.0.1 (as from a local reverse proxy)
        headers = {"X-Forwarded-For": client_host} if client_host else {}
        self.http = httpx.Client(timeout=60, headers=headers)
        self.config: dict[str, Any] = self.http.get(f"{self.url}/config").json()

    def fn_index(self, api_name: str) -> int:
        """The id of the event whose function is named ``api_name`` (private ones too)."""
        matches = [
            dep["id"] for dep in self.config["dependencies"] if dep.get("api_name") == api_name
        ]
        assert len(matches) == 1, f"{api_name}: {matches}"
        return int(matches[0])

    def upload(self, path: Path) -> dict[str, Any]:
        """Upload a file like the browser does; the value a File input then sends."""
        with path.open("rb") as file:
            response = self.http.post(f"{self.url}/gradio_api/upload", files={"files": file})
        response.raise_for_status()
        return {"path": response.json()[0], "meta": {"_type": "gradio.FileData"}}

    def join(
        self,
        api_name: str,
        data: list[Any],
        *,
        own_connection: bool = False,
        event_data: Any = None,
    ) -> httpx.Response:
        """Put one event of this session in the queue (without reading its result);
        ``own_connection`` for many joins from threads at once (one client per request);
        ``event_data`` as a component's own event sends it."""
        if not own_connection:
            return self._join(self.http, api_name, data, event_data)
        with httpx.Client(timeout=60, headers=self.http.headers) as http:
            return self._join(http, api_name, data, event_data)

    def _join(
        self, http: httpx.Client, api_name: str, data: list[Any], event_data: Any = None
    ) -> httpx.Response:
        return http.post(
            f"{self.url}/gradio_api/queue/join",
            json={
                "data": data,
                "fn_index": self.fn_index(api_name),
                "trigger_id": None,
                "session_hash": self.session_hash,
                "event_data": event_data,
            },
        )

    def log_in(self, password: str, username: str = "admin") -> dict[str, Any]:
        """Log in as the page does: the login event, then its grant traded for the cookie."""
        message = self.call("admin_login", [username, password])
        if message["success"]:
            self.redeem(message["output"]["data"][0]).raise_for_status()
        return message

    def redeem(self, grant: str) -> httpx.Response:
        """Trade a login's grant for the session cookie (kept in this client's cookie jar)."""
        return self.http.post(f"{self.url}/auth/session", json={"grant": grant})

    def log_out(self) -> httpx.Response:
        """Log out as the page does (the server forgets the session and clears the cookie)."""
        return self.http.post(f"{self.url}/auth/logout")

    def call(self, api_name: str, data: list[Any], event_data: Any = None) -> dict[str, Any]:
        """Run one event in this session; the final message (``success``, ``output``) and the
        ``toasts`` it showed."""
        self.join(api_name, data, event_data=event_data).raise_for_status()
        toasts: list[str] = []
        with self.http.stream(
            "GET", f"{self.url}/gradio_api/queue/data", params={"session_hash": self.session_hash}
        ) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "log":
                    toasts.append(str(message.get("log")))
                if message.get("msg") == "process_completed":
                    return {**message, "toasts": toasts}
        raise AssertionError("the event stream ended without a result")


FINAL_STATUSES = {"succeeded", "failed", "cancelled"}


def logged_in_client(url: str, username: str, password: str) -> Client:
    """A gradio_client that sends the session cookie of ``username``'s login."""
    raw = RawQueueClient(url)
    assert raw.log_in(password, username)["success"], f"{username} could not log in"
    return Client(url, verbose=False, headers={"Cookie": f"{COOKIE}={raw.http.cookies[COOKIE]}"})


@pytest.fixture(scope="module")
def client(tiny_app: RunningApp) -> Client:
    """A gradio_client for the tiny app, logged in as the admin."""
    return logged_in_client(tiny_app.url, "admin", ADMIN_PASSWORD)


@pytest.fixture
def new_session(tiny_app: RunningApp) -> Callable[..., RawQueueClient]:
    """Opens raw queue clients, each in a fresh browser-like session of the tiny app (from the
    client address given, if any)."""
    return lambda client_host=None: RawQueueClient(tiny_app.url, client_host)


WaitJobs = Callable[[list[int]], list[dict[str, Any]]]


@pytest.fixture
def wait_jobs(client: Client) -> WaitJobs:
    """Poll ``/job_status`` until the jobs have ended; their final records."""

    def wait(job_ids: list[int]) -> list[dict[str, Any]]:
        deadline = time.monotonic() + JOB_TIMEOUT_S
        while True:
            jobs = [client.predict(job_id, api_name="/job_status") for job_id in job_ids]
            if all(job["status"] in FINAL_STATUSES for job in jobs):
                return jobs
            assert time.monotonic() < deadline, f"jobs still running: {jobs}"
            time.sleep(0.3)

    return wait


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from browser_steps import CHROMIUM, FLAGS, playwright_api

    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, tiny_app: Any) -> Iterator[Any]:
    """A fresh page (no session cookie) on the tiny app, its console messages in ``.console``."""
    from browser_steps import TIMEOUT_MS, expect

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.console = []
    page.on("console", lambda message: page.console.append((message.type, message.text)))
    page.goto(tiny_app.url)
    expect(page.locator("#search-results")).to_be_attached()
    yield page
    context.close()


@dataclass
class AccessApp:
    """A running app with its helpers for the access tests (which cannot import this module)."""

    app: RunningApp
    admin_password: str = ADMIN_PASSWORD

    @property
    def url(self) -> str:
        return self.app.url

    @property
    def services(self) -> Services:
        return self.app.services

    def log_in(self, username: str, password: str) -> Client:
        """A gradio_client with ``username``'s session cookie."""
        return logged_in_client(self.url, username, password)

    def raw_client(self) -> RawQueueClient:
        """A raw queue client in a fresh page session."""
        return RawQueueClient(self.url)


ACCESS_PASSWORD = "a long password"


@pytest.fixture(scope="module")
def secured_app(
    tmp_path_factory: pytest.TempPathFactory, tiny_mean_model_dir: Path
) -> Iterator[AccessApp]:
    """The tiny app with documents in ``public`` (open to everyone), ``team`` (granted to
    ``rita``) and ``secret`` (granted to nobody), and users ``rita`` and ``nora`` (no grant),
    both with the password ACCESS_PASSWORD."""
    docs = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
    settings = app_settings(tmp_path_factory.mktemp("access") / "data", tiny_mean_model_dir)
    for app in run_app(settings):
        services, accounts = app.services, app.services.accounts
        accounts.set_public("public")
        for name, collection in [
            ("river_en.txt", "public"),
            ("river_fr.md", "team"),
            ("train_de.txt", "secret"),
            ("bakery_es.html", "secret"),
        ]:
            services.ingest_paths([docs / name], collection, caller=OPERATOR, wait=True)
        accounts.add_user("rita", ACCESS_PASSWORD)
        accounts.add_user("nora", ACCESS_PASSWORD)
        accounts.grant("team", user="rita")
        yield AccessApp(app)


@pytest.fixture(scope="module")
def closed_app(
    tmp_path_factory: pytest.TempPathFactory, tiny_mean_model_dir: Path
) -> Iterator[AccessApp]:
    """The tiny app without anonymous reading, with a public collection."""
    docs = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
    settings = app_settings(
        tmp_path_factory.mktemp("closed") / "data", tiny_mean_model_dir, anonymous_read=False
    )
    for app in run_app(settings):
        app.services.accounts.set_public("public")
        app.services.ingest_paths([docs / "river_en.txt"], "public", caller=OPERATOR, wait=True)
        yield AccessApp(app)
