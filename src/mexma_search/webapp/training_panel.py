"""The Admin tab's training form: upload a bitext, read its validation report, start a job.

Defaults shown in the form are the backend's
(:func:`~mexma_search.app.training_params.parameter_defaults`); a field left empty keeps the
backend default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import gradio as gr

from mexma_search.app.access import Caller
from mexma_search.app.services import Services
from mexma_search.app.training_params import HELD_OUT_MAX, parameter_defaults
from mexma_search.encoder.bitext import BitextFields
from mexma_search.encoder.training.objectives import ALIGNMENTS
from mexma_search.webapp import formatting
from mexma_search.webapp.sessions import UserSessions

BITEXT_TYPES = [".tsv", ".csv", ".tmx", ".jsonl"]
# the empty choice of a column or language: the reader chooses (see the validation report)
AUTOMATIC = ("automatic", "")


@dataclass(frozen=True)
class Field:
    """One input of the form: the job parameter it sets, its label and how it is entered (a
    number with ``precision`` decimals, a switch, or one of ``choices``)."""

    name: str
    label: str
    precision: int | None = None
    kind: Literal["number", "switch", "choice"] = "number"
    choices: tuple[str, ...] = ()


BASIC = [
    Field("epochs", "Epochs", 0),
    Field(
        "held_out", f"Held-out pairs (empty: 10 % of the usable pairs, at most {HELD_OUT_MAX})", 0
    ),
]
ADVANCED = [
    Field("max_steps", "Steps (overrides epochs; empty: by epochs)", 0),
    Field("batch_size", "Batch size (pairs)", 0),
    Field("grad_accumulation", "Gradient accumulation", 0),
    Field("learning_rate", "Learning rate"),
    Field("warmup_ratio", "Warm-up share of the steps"),
    Field("mask_ratio", "Mask ratio"),
    Field(
        "alignment",
        "Alignment loss (mse: the paper's; contrastive: InfoNCE over the batch's pairs)",
        kind="choice",
        choices=ALIGNMENTS,
    ),
    Field(
        "token_gradient",
        "Token-level gradient (the paper's; off trains a sentence encoder better, see README)",
        kind="switch",
    ),
    Field("koleo", "KoLeo regulariser", kind="switch"),
    Field("align_weight", "Alignment loss weight"),
    Field("mlm_weight", "MLM loss weight"),
    Field("koleo_weight", "KoLeo weight"),
    Field(
        "distill_weight", "Distillation weight (keeps vectors near the base model's, for search)"
    ),
    Field("max_length", "Max tokens per sentence", 0),
    Field("eval_every", "Evaluate on the held-out pairs every N steps (0: before and after)", 0),
    Field("seed", "Seed", 0),
    Field("gpus", "GPUs (above 1: one training process per GPU, launched with torchrun)", 0),
]


class TrainingPanel:
    """The bitext upload, its validation report, and the training form."""

    def __init__(
        self,
        services: Services,
        sessions: UserSessions,
        on_started: Callable[[Caller, int], Any],
    ) -> None:
        self.services = services
        self.sessions = sessions
        # what the start button's outputs become for a new job id (the admin job view)
        self.on_started = on_started

    def build(self) -> None:
        with gr.Row():
            self.bitext = gr.File(
                label="Bitext: TSV, CSV, TMX or JSONL (one sentence pair per row or unit)",
                file_types=BITEXT_TYPES,
                type="filepath",
                scale=3,
                elem_id="training-bitext",
            )
            with gr.Column(scale=2):
                self.src_column, self.trg_column = _per_side(
                    "column", "TSV/CSV/JSONL: the file's columns once uploaded", "-column"
                )
                self.src_lang, self.trg_lang = _per_side(
                    "language", "TMX: the file's languages once uploaded; or type, e.g. en", ""
                )
                self.validate_button = gr.Button("Validate", elem_id="training-validate")
        self.report = gr.HTML(elem_id="training-report")
        self.base = gr.Dropdown(label="Model to fine-tune (empty: the live model)", choices=[])
        with gr.Row():
            self.inputs = [self._input(field) for field in BASIC]
        with gr.Accordion("Advanced", open=False, elem_id="training-advanced"):
            # numbers share a wrapping row; each choice and switch gets a column of its own
            # (squeezed into the numbers' row, a checkbox's label broke into single words)
            advanced: dict[str, Any] = {}
            with gr.Row():
                for field in ADVANCED:
                    if field.kind == "number":
                        advanced[field.name] = self._input(field)
            with gr.Row():
                for field in ADVANCED:
                    if field.kind != "number":
                        with gr.Column(min_width=280):
                            advanced[field.name] = self._input(field)
            self.inputs += [advanced[field.name] for field in ADVANCED]
        self.start_button = gr.Button(
            "Start training", variant="primary", interactive=False, elem_id="training-start"
        )

    @property
    def read_options(self) -> list[Any]:
        """The bitext and how to read it: the first inputs of :meth:`validate` and :meth:`start`."""
        return [self.bitext, self.src_lang, self.trg_lang, self.src_column, self.trg_column]

    def wire(self, start_outputs: list[Any]) -> None:
        """Connect the buttons; a started job updates ``start_outputs`` (see ``on_started``)."""
        read_options = self.read_options
        self.validate_after(self.validate_button.click, api_name="admin_validate_bitext")
        self.bitext.change(
            self.sessions.required(self.offer_fields),
            inputs=self.bitext,
            outputs=[self.src_column, self.trg_column, self.src_lang, self.trg_lang],
            api_name="admin_bitext_fields",
            api_visibility="private",
        )
        self.start_button.click(
            self.sessions.required(self.start),
            inputs=[*read_options, self.base, *self.inputs],
            outputs=start_outputs,
            api_name="admin_start_training",
            api_visibility="private",
        )

    def validate_after(self, event: Any, **options: Any) -> None:
        """Show the validation report of the form's bitext on ``event`` (a trigger such as
        ``button.click``, or a ``.success`` that put a bitext in the form)."""
        event(
            self.sessions.required(self.validate),
            inputs=[*self.read_options, *self.inputs],
            outputs=[self.report, self.start_button, self.base],
            api_visibility="private",
            **options,
        )

    def _input(self, field: Field) -> gr.Number | gr.Textbox | gr.Checkbox | gr.Radio:
        default = parameter_defaults(self.services.settings)[field.name]
        common: dict[str, Any] = {
            "label": field.label,
            "min_width": 180,
            "elem_id": f"training-{field.name}",
        }
        if field.kind == "switch":
            return gr.Checkbox(value=default, **common)
        if field.kind == "choice":
            return gr.Radio(choices=list(field.choices), value=default, **common)
        if default is None:
            # a number box cannot be empty in the browser (it sends 0): "empty" needs text
            return gr.Textbox(value="", placeholder="empty", **common)
        return gr.Number(value=default, precision=field.precision, **common)

    def offer_fields(self, caller: Caller, path: str | None) -> tuple[Any, ...]:
        """The column choices (TSV/CSV header or positions, JSONL keys) and the language
        choices (TMX languages) of the uploaded file; every choice back to automatic."""
        if not path:
            columns: list[tuple[str, str]] = []
            languages: list[tuple[str, str]] = []
        else:
            fields = self.services.bitext_fields(path)
            columns, languages = column_choices(fields), language_choices(fields)
        updates = [gr.Dropdown(choices=[AUTOMATIC, *columns], value="") for _ in range(2)]
        updates += [gr.Dropdown(choices=[AUTOMATIC, *languages], value="") for _ in range(2)]
        return tuple(updates)

    def validate(
        self,
        caller: Caller,
        path: str | None,
        src: str,
        trg: str,
        src_column: str,
        trg_column: str,
        *values: float | bool | str | None,
    ) -> tuple[Any, ...]:
        """The validation report of the uploaded bitext; training is enabled when a job with
        the form's parameters would accept it."""
        if not path:
            raise formatting.ui_error("Upload a bitext file first.")
        params = form_parameters(values)
        options = _read_options(src, trg, src_column, trg_column)
        result = self.services.validate_bitext(path, params=params, **options)
        versions = [v.name for v in self.services.list_model_versions()]
        return (
            formatting.validation_report(result),
            gr.Button(interactive=bool(result["ok"])),
            gr.Dropdown(choices=versions),
        )

    def start(
        self,
        caller: Caller,
        path: str | None,
        src: str,
        trg: str,
        src_column: str,
        trg_column: str,
        base: str | None,
        *values: float | bool | str | None,
    ) -> Any:
        """Queue the training job (the backend validates the file and the parameters again)."""
        if not path:
            raise formatting.ui_error("Upload a bitext file first.")
        job_id = self.services.start_training(
            path,
            base=base or None,
            params=form_parameters(values),
            read_options=_read_options(src, trg, src_column, trg_column),
        )
        gr.Info(f"Training job #{job_id} queued.")
        return self.on_started(caller, job_id)


def form_parameters(values: Sequence[float | bool | str | None]) -> dict[str, Any]:
    """The job parameters the form's ``values`` (in field order) set: an empty box sets none;
    ValueError names a box whose text is not a number."""
    params: dict[str, Any] = {}
    for field, value in zip((*BASIC, *ADVANCED), values, strict=True):
        if field.kind == "number" and isinstance(value, str):
            value = _parse_number(field, value)
        if value is not None:
            params[field.name] = value
    return params


def _parse_number(field: Field, text: str) -> float | int | None:
    text = text.strip()
    if not text:
        return None
    try:
        return int(text) if field.precision == 0 else float(text)
    except ValueError:
        kind = "a whole number" if field.precision == 0 else "a number"
        raise ValueError(f"{field.label.split(' (')[0]}: {text!r} is not {kind}") from None


def column_choices(fields: BitextFields) -> list[tuple[str, str]]:
    """Dropdown choices ``(label, value)`` of the columns or keys a file offers: its header's
    names, or the positions of a headerless TSV/CSV (the reader numbers them from 0)."""
    if fields.format in ("tsv", "csv") and not fields.header:
        return [(f"column {i + 1} of {fields.width}", str(i)) for i in range(fields.width)]
    if fields.format in ("tsv", "csv", "jsonl"):
        return [(name, name) for name in fields.names]
    return []


def language_choices(fields: BitextFields) -> list[tuple[str, str]]:
    """Dropdown choices of the languages a TMX file holds, most frequent first."""
    if fields.format != "tmx":
        return []
    counted = zip(fields.names, fields.counts, strict=True)
    return [(f"{lang} ({n} segments)", lang) for lang, n in counted]


def _per_side(what: str, hint: str, suffix: str) -> tuple[gr.Dropdown, gr.Dropdown]:
    """A source and a target choice side by side (``elem_id`` training-src/trg + ``suffix``);
    empty chooses automatically, and a value may be typed."""
    with gr.Row():
        boxes = tuple(
            gr.Dropdown(
                label=f"{side.title()} {what} ({hint})",
                choices=[AUTOMATIC],
                value="",
                allow_custom_value=True,
                elem_id=f"training-{key}{suffix}",
            )
            for key, side in (("src", "source"), ("trg", "target"))
        )
    return boxes[0], boxes[1]


def _read_options(
    src: str | None, trg: str | None, src_column: str | None, trg_column: str | None
) -> dict[str, str | int]:
    """The reader's options the form sets: languages, and columns by name or by number."""
    options: dict[str, str | int] = {
        "src_lang": (src or "").strip(),
        "trg_lang": (trg or "").strip(),
        "src_column": _column(src_column),
        "trg_column": _column(trg_column),
    }
    return {key: value for key, value in options.items() if value != ""}


def _column(text: str | None) -> str | int:
    """A column as typed: a number from 0 picks by position, anything else by header name."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() else text
