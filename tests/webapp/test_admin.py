"""The admin flow over Gradio's queue protocol (as the browser sends it): validate a bitext,
train on it, follow the job's curves and read the before/after table (tiny model)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from refusals import refused

from mexma_search.app.access import OPERATOR
from mexma_search.webapp import formatting
from mexma_search.webapp.formatting import EVAL_COLUMNS
from mexma_search.webapp.training_panel import ADVANCED, BASIC

QUICK = {
    "epochs": 1,
    "held_out": 8,
    "max_steps": 6,
    "batch_size": 4,
    "grad_accumulation": 1,
    "max_length": 24,
    "eval_every": 3,
}
TIMEOUT_S = 120
DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"


def _form(overrides: dict[str, Any]) -> list[Any]:
    """The form's numbers in input order: the overrides, the rest left empty (defaults)."""
    return [overrides.get(field.name) for field in (*BASIC, *ADVANCED)]


def _output(message: dict[str, Any], index: int) -> Any:
    assert message["success"] is True, message
    return message["output"]["data"][index]


def _login(new_session: Callable[[], Any], admin_password: str) -> Any:
    session = new_session()
    assert session.log_in(admin_password)["success"] is True
    return session


def test_a_bad_bitext_is_reported_and_cannot_start_training(
    new_session: Callable[[], Any], admin_password: str, tmp_path: Path
) -> None:
    session = _login(new_session, admin_password)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"en": "one", "es": "uno"}\n{not json\n')
    file = session.upload(broken)
    report = _output(session.call("admin_validate_bitext", [file, "", "", "", "", *_form({})]), 0)
    assert 'data-ok="false"' in report and "line 2" in report
    started = session.call("admin_start_training", [file, "", "", "", "", None, *_form({})])
    assert refused(started, "line 2")


def _chart_points(chart: dict[str, Any]) -> list[dict[str, Any]]:
    """The points a chart output (a Vega-Lite spec) draws."""
    points: list[dict[str, Any]] = json.loads(chart["plot"])["data"]["values"]
    return points


def test_train_follow_the_curves_and_read_the_evaluation(
    new_session: Callable[[], Any], admin_password: str, bitext: Path, tiny_app: Any
) -> None:
    session = _login(new_session, admin_password)
    file = session.upload(bitext)
    validate = [file, "en", "es", "", ""]
    report = _output(session.call("admin_validate_bitext", [*validate, *_form(QUICK)]), 0)
    assert 'data-ok="true"' in report and "pairs kept: 60" in report
    # the verdict is the one training gives for the form's parameters
    too_many_held_out = _form({**QUICK, "held_out": 58})
    refusal = _output(session.call("admin_validate_bitext", [*validate, *too_many_held_out]), 0)
    assert 'data-ok="false"' in refusal and "too few usable pairs" in refusal

    # a value the backend refuses comes back as a readable error
    message = session.call(
        "admin_start_training", [file, "en", "es", "", "", None, *_form({**QUICK, "held_out": 58})]
    )
    assert refused(message, "too few usable pairs")

    started = session.call("admin_start_training", [file, "en", "es", "", "", None, *_form(QUICK)])
    job_id = _output(started, 0)["value"]
    # the Jobs tab shows the new job's own view at once
    assert f'data-job="{job_id}"' in _output(started, 2)
    job = tiny_app.services.wait_for_job(job_id, TIMEOUT_S)
    assert job.status == "succeeded", job
    assert job.parameters["params"]["max_steps"] == 6
    assert job.parameters["params"]["token_gradient"] is False  # the fine-tuning default

    # the live view of that job: progress, both curves and the before/after table
    view = session.call("admin_show_job", [job_id])
    html, _, losses, dev, table = (_output(view, i) for i in range(5))
    assert f'data-job="{job_id}"' in html and 'data-status="succeeded"' in html
    loss_names = {point["metric"] for point in _chart_points(losses)}
    assert {"Total loss", "Alignment loss", "Masked-word loss"} <= loss_names
    dev_steps = {point["step"] for point in _chart_points(dev)}
    assert {0, 3, 6} <= dev_steps
    metrics = {row[0] for row in table["data"]}
    assert {
        formatting.metric_label(name)
        for name in ("xsim_cos_error", "xsim_margin_error", "retrieval_same_recall@1")
    } <= metrics
    assert len(table["data"][0]) == len(EVAL_COLUMNS)

    # promote the candidate: a re-index job that makes it the live model
    candidate = job.parameters["model_version"]
    session.call("admin_refresh", [None])  # the model picker learns the candidate
    promoted = session.call("admin_promote", [candidate])
    reindex_id = _output(promoted, 0)["value"]
    assert tiny_app.services.wait_for_job(reindex_id, TIMEOUT_S).status == "succeeded"
    versions = {v.name: v for v in tiny_app.services.list_model_versions()}
    assert versions[candidate].live


def test_a_running_training_job_can_be_cancelled(
    new_session: Callable[[], Any], admin_password: str, bitext: Path, tiny_app: Any
) -> None:
    session = _login(new_session, admin_password)
    file = session.upload(bitext)
    objective = {"alignment": "contrastive", "token_gradient": True, "koleo": False}
    long_run = _form({**QUICK, "max_steps": 100_000, "eval_every": 0, **objective})
    job_id = _output(
        session.call("admin_start_training", [file, "", "", "", "", None, *long_run]), 0
    )["value"]
    params = tiny_app.services.get_job(job_id).parameters["params"]
    assert {name: params[name] for name in objective} == objective
    deadline = time.monotonic() + TIMEOUT_S
    while (job := tiny_app.services.get_job(job_id)).done == 0:
        assert time.monotonic() < deadline and not job.finished, job
        time.sleep(0.1)
    assert session.call("admin_cancel", [job_id])["success"] is True
    assert tiny_app.services.wait_for_job(job_id, TIMEOUT_S).status == "cancelled"


def test_the_job_picker_follows_a_job_its_choices_do_not_list(
    new_session: Callable[[], Any], admin_password: str, tiny_app: Any
) -> None:
    """A tick that read the job list just before a job was started leaves that job picked
    but not listed in the session's choices; later ticks must still follow it (they used to
    be refused, and the job view froze)."""
    session = _login(new_session, admin_password)  # its picker lists no job yet
    (job_id,) = tiny_app.services.ingest_paths(
        [DOCS / "river_fr.md"], "picker", wait=True, caller=OPERATOR
    )

    refreshed = session.call("admin_refresh", [job_id])
    assert job_id in [value for _, value in _output(refreshed, 1)["choices"]]
    assert f'data-job="{job_id}"' in _output(refreshed, 2)
    for typed in (str(job_id), f"#{job_id}"):
        view = _output(session.call("admin_show_job", [typed]), 0)
        assert f'data-job="{job_id}"' in view
    assert "No job #987654" in _output(session.call("admin_show_job", ["987654"]), 0)

    for name, value, reason in [
        ("admin_show_job", "1; DROP TABLE jobs", "is not a job number"),
        ("admin_refresh", "9" * 40, "is not a job number"),
        ("admin_cancel", "987654", "There is no job #987654"),
    ]:
        message = session.call(name, [value])
        assert refused(message, reason), name
    assert tiny_app.services.get_job(job_id).status == "succeeded"


def test_training_handlers_refuse_a_session_without_login(
    new_session: Callable[[], Any], bitext: Path, tiny_app: Any
) -> None:
    train_jobs = len(tiny_app.services.list_jobs(kind="train"))
    session = new_session()
    file = session.upload(bitext)
    for name, data in [
        ("admin_validate_bitext", [file, "", "", "", "", *_form({})]),
        ("admin_start_training", [file, "", "", "", "", None, *_form(QUICK)]),
        ("admin_show_job", [None]),
    ]:
        message = session.call(name, data)
        assert refused(message), message
    assert len(tiny_app.services.list_jobs(kind="train")) == train_jobs
