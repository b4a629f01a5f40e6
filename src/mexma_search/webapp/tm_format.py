"""What the translation-memory panel shows of a job and reads from its boxes: the pickers'
labels, the table's rows and summary, typed job and document numbers."""

from __future__ import annotations

from typing import Any

from mexma_search.app.tm_jobs import job_languages
from mexma_search.app.views import JobInfo, ModelVersionInfo
from mexma_search.tm.results import ResultPage, ResultQuery
from mexma_search.webapp.formatting import job_name, job_subject


def waiting_message(job: JobInfo) -> str:
    if job.finished:
        return f"Job #{job.id} {job.status}: it has no pairs."
    return f"Job #{job.id} is {job.status}: its pairs appear here when it ends."


def on_page(query: ResultQuery, page: int) -> ResultQuery:
    return ResultQuery(
        query.min_score, query.contains, query.sort, query.ascending, page, query.page_size
    )


def job_label(job: JobInfo) -> str:
    """A job in the picker: number, task, sides and status."""
    return f"#{job.id} {job_name(job)} {job_subject(job)}: {job.status}"


def model_choices(versions: list[ModelVersionInfo]) -> list[tuple[str, str]]:
    """The model picker's versions: name and status (or that it is live)."""
    return [(f"{v.name} ({'live' if v.live else v.status})", v.name) for v in versions]


def page_summary(job: JobInfo, page: ResultPage) -> str:
    """Which pairs the table shows, of how many, and the model that found them."""
    if not page.matched:
        return f"No pair of the {page.total} of job #{job.id} passes the filters."
    first = (page.page - 1) * page.page_size + 1
    last = first + len(page.pairs) - 1
    src, trg = job_languages(job)
    model = job.metrics.get("model")
    return (
        f"**{src} → {trg}**{f' (model {model})' if model else ''}: pairs {first}–{last} of "
        f"{page.matched} matching ({page.total} in all), page {page.page} of {page.pages}"
    )


def pair_rows(page: ResultPage) -> list[list[Any]]:
    return [[pair.position, pair.src, pair.trg, round(pair.score, 4)] for pair in page.pairs]


def document_ids(text: str | None) -> tuple[int, ...]:
    """Document numbers typed as ``3, 7`` or ``#3 #7``; ValueError names anything else."""
    parts = (text or "").replace(",", " ").split()
    return tuple(_number(part, "document") for part in parts)


def picked_document(picked: int | str | None, side: str) -> int:
    number = picked_number(picked, "document")
    if number is None:
        raise ValueError(f"Choose the {side} document.")
    return number


def picked_number(picked: int | str | None, what: str) -> int | None:
    """A picked or typed number (``12`` or ``#12``; None when empty)."""
    if picked is None or str(picked).strip() == "":
        return None
    return _number(str(picked).strip().split()[0], what)


def _number(text: str, what: str) -> int:
    digits = text.strip().removeprefix("#")
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 18):
        raise ValueError(f"{text[:40]!r} is not a {what} number.")
    return int(digits)


def minimum_score(typed: str | float | None) -> float | None:
    """The minimum score typed in the filter (None when empty); ValueError names bad text."""
    if typed is None or isinstance(typed, float | int):
        return None if typed is None else float(typed)
    text = typed.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"Min score: {text[:40]!r} is not a number.") from None
