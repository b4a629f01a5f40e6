"""The Gradio app: the tabs, the public API, and how it is launched.

Public API (listed at /gradio_api/info and callable with ``gradio_client``): ``/search``,
``/upload`` and ``/job_status``. Every other event is ``api_visibility="private"``: hidden from
the API and refused by the Gradio clients. Every event that reads or changes documents gets
its caller from the request's session cookie (see :mod:`mexma_search.webapp.sessions`, whose
``/auth/`` routes are served beside the UI): without one, the anonymous reader when
``anonymous_read`` is on; the admin events refuse everyone but admins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.routing import BaseRoute

from mexma_search.app.services import Services
from mexma_search.app.settings import Settings
from mexma_search.webapp import limits
from mexma_search.webapp.admin_tab import AdminTab
from mexma_search.webapp.api import api_routes
from mexma_search.webapp.auth import Credentials
from mexma_search.webapp.errors import raises_errors, shows_errors
from mexma_search.webapp.library_tab import LibraryTab
from mexma_search.webapp.search_tab import SearchTab
from mexma_search.webapp.sessions import UserSessions
from mexma_search.webapp.tm_pairs_actions import TrainingLink
from mexma_search.webapp.tm_tab import TmTab

STATIC = Path(__file__).parent / "static"
TITLE = "MEXMA Search"
# Cached uploads that the handlers did not remove are deleted after an hour (checked hourly).
DELETE_CACHE = (3600, 3600)
QUEUE_SIZE = 256


def _theme() -> gr.themes.Base:
    # system fonts only: nothing is fetched from a font CDN
    return gr.themes.Default(
        font=["system-ui", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "Menlo", "Consolas", "monospace"],
    )


def _register_api(services: Services, sessions: UserSessions) -> None:
    def search(
        request: gr.Request,
        query: str,
        k: int = 10,
        languages: list[str] | None = None,
        collections: list[str] | None = None,
        document_id: int | None = None,
    ) -> list[dict[str, Any]]:
        """Passages matching ``query`` (any language), best first, as JSON records."""
        caller = sessions.caller(request)
        results = services.search(
            query,
            k=k,
            lang=languages or None,
            collection=collections or None,
            document_id=document_id,
            caller=caller,
        )
        return [result.to_dict() for result in results]

    def job_status(request: gr.Request, job_id: int) -> dict[str, Any]:
        """A job's status and progress (an upload returns the ids of its jobs)."""
        job = services.visible_job(int(job_id), caller=sessions.caller(request))
        if job is None:
            raise gr.Error(f"no job {int(job_id)}")
        return job.to_dict()

    gr.api(raises_errors(search), api_name="search", **limits.SEARCH)
    gr.api(raises_errors(job_status), api_name="job_status", **limits.POLL)


@dataclass(frozen=True)
class WebApp:
    """The Gradio UI and the HTTP routes served beside it (the session cookie's, the API)."""

    blocks: gr.Blocks
    routes: list[BaseRoute]


def build_app(services: Services, settings: Settings) -> WebApp:
    """The web UI over ``services`` (which the caller keeps running and closes)."""
    services.accounts.ensure_first_admin()
    credentials = Credentials(services.accounts.authenticate)
    sessions = UserSessions(services.caller_for_user, services.accounts.anonymous_caller)
    with gr.Blocks(title=TITLE, delete_cache=DELETE_CACHE, analytics_enabled=False) as blocks:
        gr.Markdown(f"# {TITLE}\nSemantic search across languages, on your own machine.")
        with gr.Tabs() as page_tabs:
            with gr.Tab("Search", id="search") as search_page:
                search = SearchTab(services, sessions)
                search.build()
            with gr.Tab("Library", id="library"):
                library = LibraryTab(services, sessions)
                library.build()
            with gr.Tab("Translation memory", id="tm") as tm_page:
                memory = TmTab(services, sessions)
                memory.build()
            with gr.Tab("Admin", id="admin") as admin_page:
                admin = AdminTab(services, credentials, sessions, [memory.admin_section])
                admin.build()
        admin.jobs.redraw_charts_on(admin_page)
        training = TrainingLink(admin.training, page_tabs, "admin", admin.tabs, "training")
        memory.wire_jobs(tm_page, admin.timer, training)
        _register_api(services, sessions)

        def on_load(request: gr.Request) -> tuple[Any, ...]:
            viewer = sessions.viewer(request)
            watched = library.unfinished_ingest_jobs(viewer)
            return (
                search.intro(),
                *search.refresh_filters(viewer),
                watched,
                gr.Timer(active=bool(watched)),
                *library.refresh(viewer),
                *memory.refresh(viewer),
            )

        blocks.load(
            shows_errors(on_load),
            outputs=[
                search.results,
                *search.filter_outputs,
                library.watched,
                library.timer,
                *library.refresh_outputs,
                *memory.refresh_outputs,
            ],
            api_visibility="private",
        )
        search_page.select(
            sessions.with_viewer(search.refresh_filters),
            outputs=search.filter_outputs,
            api_visibility="private",
        )
        tm_page.select(
            sessions.with_viewer(memory.refresh),
            outputs=memory.refresh_outputs,
            api_visibility="private",
        )
    # Jobs run in the backend's workers, not in Gradio's queue, so long ingestion or training
    # never holds a queue slot; see mexma_search.webapp.limits for the groups of events.
    # logins get LOGIN_WAITING places of their own, so the others always have QUEUE_SIZE
    blocks.queue(default_concurrency_limit=2, max_size=QUEUE_SIZE + limits.LOGIN_WAITING)
    limits.bound_group(blocks, limits.LOGIN["concurrency_id"], limits.LOGIN_WAITING)
    return WebApp(blocks, [*sessions.routes(), *api_routes(services)])


def launch(
    app: WebApp,
    settings: Settings,
    *,
    block: bool = True,
    announce: Callable[[str], None] = print,
    on_listening: Callable[[str], None] | None = None,
) -> str:
    """Serve ``app`` on ``settings.host:settings.port``; the local URL. With ``block``,
    returns only when the server stops (Ctrl-C). ``on_listening`` gets the URL once the
    server listens."""
    _, url, _ = app.blocks.launch(
        server_name=settings.host,
        server_port=settings.port,
        max_file_size=settings.max_upload_mb * 2**20,
        theme=_theme(),
        css_paths=[STATIC / "app.css"],
        js=(STATIC / "login_form.js").read_text(encoding="utf-8"),
        share=False,
        prevent_thread_lock=True,
        show_error=True,
        footer_links=["api"],
        enable_monitoring=False,
        mcp_server=False,
        ssr_mode=False,
        pwa=False,
        run_history=False,
        quiet=True,
        app_kwargs={"routes": app.routes},
    )
    announce(f"Web UI: {url}" + (" (Ctrl-C to stop)" if block else ""))
    if on_listening is not None:
        on_listening(str(url))
    if block:
        app.blocks.block_thread()
    return str(url)
