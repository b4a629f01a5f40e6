"""``mexma-search mine`` and ``align``: translation pairs from two sides, written as TSV/TMX."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click
from tqdm import tqdm

from mexma_search.app.runtime import Runtime
from mexma_search.app.serving_model import live_version, version_encoder
from mexma_search.app.settings import get_settings
from mexma_search.cli.output import emit_json, fail, json_option
from mexma_search.encoder.bitext import BitextError, read_bitext
from mexma_search.encoder.model import SentenceEncoder
from mexma_search.store.engine import read_scope
from mexma_search.tm.export import export_format, export_pairs
from mexma_search.tm.sources import SourceError, file_sentences, side_sentences
from mexma_search.tm.verify import reads_words, word_vector_function
from mexma_search.tm.workflow import align_documents, encoder_function, mine_sentences

_OUTPUT = click.option(
    "--output",
    "output_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the pairs: FILE.tsv or FILE.tmx (TMX 1.4).",
)
_MODEL = click.option(
    "--model",
    "model_name",
    default=None,
    help="A model version of the app (default: the one serving search), or a model name, "
    "directory or hub id.",
)


def _model_encoder(runtime: Runtime, name: str | None) -> tuple[str, SentenceEncoder]:
    """The name and encoder of ``--model``: the app's version of that name, else a model
    name, directory or hub id; without ``--model`` the version serving search (the default
    model before the app's first start)."""
    name = name or live_version(runtime) or runtime.settings.default_model
    try:
        return name, version_encoder(runtime, name)
    except LookupError:
        return name, runtime.encoders.get(name)


def _check_output(path: Path) -> None:
    try:
        export_format(path)
    except ValueError as exc:
        fail(str(exc))


def _labelled_pairs(path: Path | None, src_lang: str, trg_lang: str) -> list[tuple[str, str]]:
    if path is None:
        return []
    try:
        return [(p.src, p.trg) for p in read_bitext(path, src_lang=src_lang, trg_lang=trg_lang)]
    except BitextError as exc:
        raise click.ClickException(f"--labelled: {exc}") from exc


@click.command("mine")
@click.option("--source", required=True, help="Source side: a collection name, or a file/dir/zip.")
@click.option("--source-lang", required=True, help="Language of the source side (e.g. en).")
@click.option("--target", required=True, help="Target side: a collection name, or a file/dir/zip.")
@click.option("--target-lang", required=True, help="Language of the target side.")
@click.option(
    "--threshold",
    type=float,
    default=None,
    help="Keep pairs with a (verified) margin score at least this (default: suggested by "
    "--labelled, else 1.0 verified, 1.01 with --no-verify).",
)
@click.option(
    "--verify/--no-verify",
    default=True,
    show_default=True,
    help="Rescore the margin candidates by word-level agreement (numbers, names, word vectors; "
    "not for languages written without spaces).",
)
@click.option(
    "--labelled",
    "labelled_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Known translation pairs among the sides (any bitext format): the F1-maximising "
    "threshold on them is suggested and, without --threshold, used.",
)
@_OUTPUT
@_MODEL
@json_option
def mine_command(
    source: str,
    source_lang: str,
    target: str,
    target_lang: str,
    threshold: float | None,
    labelled_path: Path | None,
    verify: bool,
    output_path: Path,
    model_name: str | None,
    as_json: bool,
) -> None:
    """Find the sentence pairs of SOURCE and TARGET that translate each other (margin mining)."""
    _check_output(output_path)
    labelled = _labelled_pairs(labelled_path, source_lang, target_lang)
    settings = get_settings()
    runtime = Runtime(settings)
    try:
        with read_scope(runtime.engine) as session:
            src = side_sentences(source, source_lang, session)
            trg = side_sentences(target, target_lang, session)
    except SourceError as exc:
        raise click.ClickException(str(exc)) from exc
    model, encoder = _model_encoder(runtime, model_name)
    with tqdm(total=len(src) + len(trg), unit="sentence", disable=as_json) as bar:

        def progress(done: int, _total: int) -> None:
            bar.update(done - bar.n)

        encode = encoder_function(encoder, settings.encode_batch_size, progress)
        words = (
            word_vector_function(encoder, settings.encode_batch_size)
            if verify and reads_words(source_lang, target_lang)
            else None
        )
        report = mine_sentences(
            src, trg, encode, threshold=threshold, labelled=labelled, verify=words
        )
    export_pairs(output_path, report.pairs, source_lang, target_lang)
    summary = {**report.summary(), "model": model, "output": str(output_path)}
    if as_json:
        emit_json(summary)
        return
    if report.suggestion:
        s = report.suggestion
        click.echo(
            f"suggested threshold {s.threshold:.4f} on {s.found} labelled pairs: "
            f"P {100 * s.scores.precision:.1f} R {100 * s.scores.recall:.1f} "
            f"F1 {100 * s.scores.f1:.1f}"
        )
    click.echo(
        f"{len(report.pairs)} pairs with margin >= {report.threshold:.4f} "
        f"({report.sentences[0]} x {report.sentences[1]} distinct sentences, model {model}) "
        f"-> {output_path}"
    )


def _document_side(path: Path, lang: str | None) -> tuple[Sequence[str], str]:
    try:
        sentences, lang = file_sentences(path, lang)
    except SourceError as exc:
        raise click.ClickException(str(exc)) from exc
    if not sentences:
        fail(f"{path}: no sentences")
    return sentences, lang


@click.command("align")
@click.argument("doc_a", type=click.Path(exists=True, path_type=Path))
@click.argument("doc_b", type=click.Path(exists=True, path_type=Path))
@click.option("--src-lang", default=None, help="Language of DOC_A (default: detected).")
@click.option("--trg-lang", default=None, help="Language of DOC_B (default: detected).")
@_OUTPUT
@_MODEL
@json_option
def align_command(
    doc_a: Path,
    doc_b: Path,
    src_lang: str | None,
    trg_lang: str | None,
    output_path: Path,
    model_name: str | None,
    as_json: bool,
) -> None:
    """Align the sentences of DOC_A and its translation DOC_B in order (1-1, 1-2, 2-1, skips)."""
    _check_output(output_path)
    src, src_lang = _document_side(doc_a, src_lang)
    trg, trg_lang = _document_side(doc_b, trg_lang)
    settings = get_settings()
    model, encoder = _model_encoder(Runtime(settings), model_name)
    pairs = align_documents(src, trg, encoder_function(encoder, settings.encode_batch_size))
    export_pairs(output_path, pairs, src_lang, trg_lang)
    summary = {
        "model": model,
        "pairs": len(pairs),
        "sentences": {"source": len(src), "target": len(trg)},
        "languages": {"source": src_lang, "target": trg_lang},
        "mean_score": sum(p.score for p in pairs) / len(pairs) if pairs else None,
        "output": str(output_path),
    }
    if as_json:
        emit_json(summary)
    else:
        click.echo(
            f"{len(pairs)} pairs from {len(src)} {src_lang} and {len(trg)} {trg_lang} "
            f"sentences (model {model}) -> {output_path}"
        )
