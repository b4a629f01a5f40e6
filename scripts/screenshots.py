"""Screenshots of every tab at 1400 and 420 px wide into docs/screenshots (rerun after UI changes).

Starts ``mexma-search serve --demo`` on a free port over a fresh data directory (the models
directory is shared with this checkout's ``models/`` when it exists, so nothing is rebuilt),
waits for the demo corpus, then drives Debian's headless Chromium through every tab: search
(empty and with results), library, admin login, translation memory (a TMX uploaded in the
library, then looked up), training (advanced open), jobs (a short training run), models,
and the Translation memory tab's admin sections: manage (a deletion asked, kept) and mining &
alignment (a mining job on the demo corpus). Browser console warnings and errors are printed
at the end; the exit status is 1 when there were any but Gradio's own
(:data:`GRADIO_CLIENT_NOISE`, listed apart).

    .venv/bin/python scripts/screenshots.py [--out DIR] [--no-training]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect, sync_playwright

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
WIDTHS = (1400, 420)
PASSWORD = "screenshots only"
QUERY = "Who invented the bicycle?"
TM_QUERY = "bridges"
TM_PAIRS = [
    ("The river flows under seven bridges.", "El río pasa bajo siete puentes."),
    ("The old bridge was rebuilt in stone.", "El puente viejo fue reconstruido en piedra."),
    ("The bakery opens at six every morning.", "La panadería abre a las seis cada mañana."),
    ("Cross the bridge and turn left.", "Cruce el puente y gire a la izquierda."),
    ("The next train leaves at noon.", "El próximo tren sale a mediodía."),
]
TIMEOUT_MS = 300_000
# Gradio's JavaScript client warns so each time it closes its event stream (its stand-in
# EventSource has no close method), whatever the app does
GRADIO_CLIENT_NOISE = {"warning: Method not implemented."}
TRAINING_TIMEOUT_MS = 1_800_000  # a few steps take minutes on a loaded CPU
TRAINING = {"held_out": 8, "max_steps": 6, "batch_size": 4, "max_length": 32, "eval_every": 3}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_app(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """``mexma-search serve --demo`` in a child process; returns once it listens."""
    env = {
        **os.environ,
        "MEXMA_DATA_DIR": str(data_dir),
        "MEXMA_ADMIN_PASSWORD": PASSWORD,
        "HF_HUB_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    if (REPO / "models").is_dir():
        env["MEXMA_MODELS_DIR"] = str(REPO / "models")
    command = [
        str(Path(sys.executable).parent / "mexma-search"),
        "serve",
        "--demo",
        "--port",
        str(port),
    ]
    server = subprocess.Popen(command, env=env, cwd=REPO)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the app exited with status {server.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(1)
    server.terminate()
    raise SystemExit("the app did not start listening")


def shoot(page: Page, out: Path, name: str, width: int) -> None:
    page.wait_for_timeout(600)  # let charts and toasts settle
    page.screenshot(path=out / f"{name}-{width}.png", full_page=True)
    print(f"  {name}-{width}.png")


def open_tab(page: Page, name: str) -> None:
    """Click tab ``name``, in the "More tabs" menu when the bar is too narrow to show it."""
    expect(page.get_by_role("tab").filter(visible=True).first).to_be_visible()
    tab = page.get_by_role("tab", name=name, exact=True).filter(visible=True)
    if tab.count() > 0:
        tab.first.click()
        return
    # one menu per tab bar that overflows (the page's, the Admin tab's)
    for menu in page.get_by_role("button", name="More tabs").filter(visible=True).all():
        menu.click()
        item = page.locator(".overflow-dropdown").get_by_text(name, exact=True).filter(visible=True)
        if item.count() > 0:
            item.first.click()
            return
        menu.click()
    raise SystemExit(f"no tab named {name!r} on the page")


def login(page: Page) -> None:
    open_tab(page, "Admin")
    # the page's script moves the login box into a form once it is drawn: fill it after that
    expect(page.locator("#admin-login-form #admin-login")).to_be_attached()
    page.locator("#admin-user input, #admin-user textarea").first.fill("admin")
    page.locator("#admin-password input").fill(PASSWORD)
    page.locator("#admin-login-button").click()
    expect(page.locator("#admin-panel")).to_contain_text("Logged in as admin")


def write_bitext(path: Path) -> Path:
    """60 English-Spanish pairs (TSV with a language header)."""
    lines = ["en\tes"] + [
        f"The river {n} flows under {n % 7} bridges\tEl río {n} pasa bajo {n % 7} puentes"
        for n in range(60)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_tmx(path: Path) -> Path:
    """A small English-Spanish translation memory (TMX 1.4)."""
    units = "".join(
        f'<tu><tuv xml:lang="en"><seg>{en}</seg></tuv><tuv xml:lang="es"><seg>{es}</seg></tuv></tu>'
        for en, es in TM_PAIRS
    )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><tmx version="1.4"><header srclang="en" '
        f'datatype="plaintext" segtype="sentence" o-tmf="none" adminlang="en" '
        f'creationtool="screenshots" creationtoolversion="1"/><body>{units}</body></tmx>',
        encoding="utf-8",
    )
    return path


def upload_tmx(page: Page, tmx: Path) -> None:
    """Upload ``tmx`` in the library (it becomes a translation memory); waits for its job."""
    open_tab(page, "Library")
    collection = page.locator("#library-collection input")
    collection.fill("demo")
    collection.press("Enter")
    page.locator("#library-files input[type=file]").set_input_files(str(tmx))
    expect(page.locator("#library-files")).to_contain_text(tmx.stem)
    page.locator("#library-upload").click()
    job = page.locator('#library-jobs [data-status="succeeded"]', has_text=tmx.name)
    expect(job).to_have_count(1, timeout=TIMEOUT_MS)


def look_up(page: Page, out: Path, width: int) -> None:
    """The Translation memory tab, before and after a lookup."""
    open_tab(page, "Translation memory")
    expect(page.locator("#tm-results")).to_contain_text("How did we translate this before?")
    shoot(page, out, "tm-empty", width)
    page.locator("#tm-query textarea, #tm-query input").first.fill(TM_QUERY)
    page.locator("#tm-button").click()
    expect(page.locator("#tm-results .mx-tm").first).to_be_visible(timeout=TIMEOUT_MS)
    shoot(page, out, "tm", width)


def manage(page: Page, out: Path, width: int) -> None:
    """The Translation memory tab's manage section, asking before a deletion (kept)."""
    expect(page.locator("#tm-manage")).to_be_visible()
    page.locator("#tm-manage-name input").first.click()
    page.get_by_role("option").filter(has_text="city-en-es.tmx").first.click()
    page.locator("#tm-delete").click()
    expect(page.locator("#tm-confirm-delete")).to_be_visible()
    shoot(page, out, "tm-manage", width)
    page.locator("#tm-confirm-delete-no").click()


def train(page: Page, bitext: Path) -> None:
    """A few steps of training on ``bitext``; waits for the job to succeed."""
    page.locator("#training-bitext input[type=file]").set_input_files(str(bitext))
    expect(page.locator("#training-bitext")).to_contain_text(bitext.stem)
    page.locator("#training-validate").click()
    expect(page.locator("#training-report")).to_contain_text("Ready to train")
    page.locator("#training-advanced").get_by_text("Advanced").first.click()
    for field, value in TRAINING.items():
        page.locator(f"#training-{field} input, #training-{field} textarea").first.fill(str(value))
    page.locator("#training-start").click()
    # the view shows the previous job until the new one is picked: wait for the training job
    job = page.locator("#admin-job-view .mx-job", has_text=f"train: {bitext.name}")
    expect(job).to_have_attribute("data-status", "succeeded", timeout=TRAINING_TIMEOUT_MS)


def mine(page: Page) -> None:
    """Mine the demo's English and Spanish sentences, with the trained candidate when there is
    one; waits for the pairs table."""
    picker = page.locator("#tm-model input").first
    picker.click()
    page.locator("ul[role='listbox']").first.wait_for()
    candidate = page.locator("ul[role='listbox'] li", has_text="(candidate)")
    if candidate.count():
        candidate.first.click()
    else:
        picker.press("Escape")
    for side, lang in (("src", "en"), ("trg", "es")):
        box = page.locator(f"#tm-mine-{side} input").first
        box.fill("demo")
        box.press("Enter")
        page.locator(f"#tm-mine-{side}-lang input, #tm-mine-{side}-lang textarea").first.fill(lang)
    page.locator("#tm-mine-start").click()
    expect(page.locator("#tm-summary")).to_contain_text("matching", timeout=TIMEOUT_MS)


def tour(page: Page, out: Path, width: int, bitext: Path | None, tmx: Path | None) -> None:
    """Every tab at ``width``; trains on ``bitext`` and uploads ``tmx`` (into the public demo
    collection, after logging in) first when given; without ``tmx`` the translation memory is
    looked up before logging in, as a visitor."""
    shoot(page, out, "search-empty", width)
    page.locator("#search-query textarea, #search-query input").first.fill(QUERY)
    page.locator("#search-button").click()
    expect(page.locator("#search-results .mx-card").first).to_be_visible(timeout=TIMEOUT_MS)
    shoot(page, out, "search", width)
    open_tab(page, "Library")
    expect(page.locator("#library-documents")).to_contain_text("demo")
    shoot(page, out, "library", width)
    if tmx is None:
        look_up(page, out, width)
    open_tab(page, "Admin")
    shoot(page, out, "admin-login", width)
    login(page)
    if tmx is not None:
        upload_tmx(page, tmx)
        look_up(page, out, width)
        open_tab(page, "Admin")
    if bitext is not None:
        train(page, bitext)
    open_tab(page, "Training")
    page.locator("#training-advanced").get_by_text("Advanced").first.click()
    shoot(page, out, "admin-training", width)
    open_tab(page, "Jobs")
    if page.locator("#admin-training-view").is_visible():
        # the charts draw a moment after their data comes
        expect(page.locator("#admin-loss-chart svg.marks").first).to_be_attached(timeout=TIMEOUT_MS)
    shoot(page, out, "admin-jobs", width)
    open_tab(page, "Models")
    shoot(page, out, "admin-models", width)
    open_tab(page, "Translation memory")
    expect(page.locator("#tm-admin")).to_be_visible()
    manage(page, out, width)
    mine(page)
    shoot(page, out, "tm-admin", width)


def wait_for_demo(page: Page, url: str) -> None:
    page.goto(url)
    open_tab(page, "Library")
    # the demo jobs show as done once nothing is queued or running
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        page.locator("#library-refresh").click()
        page.wait_for_timeout(2000)
        text = page.locator("#library-documents").inner_text()
        if "indexed" in text and not re.search(r"\b(queued|running|pending|processing)\b", text):
            return
    raise SystemExit("the demo corpus was not indexed in time")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--no-training", action="store_true", help="skip the training run")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    console: list[str] = []
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory(prefix="mexma-screenshots-") as data:
        server = start_app(Path(data), port)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                for number, width in enumerate(WIDTHS):
                    print(f"{width} px:")
                    page: Any = browser.new_page(viewport={"width": width, "height": 900})
                    page.set_default_timeout(TIMEOUT_MS)
                    page.on(
                        "console",
                        lambda message: (
                            console.append(f"{message.type}: {message.text}")
                            if message.type in {"warning", "error"}
                            else None
                        ),
                    )
                    wait_for_demo(page, url)
                    page.goto(url)
                    train_first = number == 0 and not args.no_training
                    bitext = write_bitext(Path(data) / "pairs-en-es.tsv") if train_first else None
                    tmx = write_tmx(Path(data) / "city-en-es.tmx") if number == 0 else None
                    tour(page, args.out, width, bitext, tmx)
                    page.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=60)
    ours = [line for line in console if line not in GRADIO_CLIENT_NOISE]
    for line in ours:
        print(f"console {line}")
    if noise := len(console) - len(ours):
        print(f"Gradio's own client, not the app: {noise} console line(s) of {GRADIO_CLIENT_NOISE}")
    return 1 if ours else 0


if __name__ == "__main__":
    raise SystemExit(main())
