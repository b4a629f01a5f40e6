"""The ``mexma-search`` command line: thin commands over the backend's services.

Each command's module is imported only when that command runs, so ``--help`` and ``version``
start without loading torch or the backend.
"""

from __future__ import annotations

import importlib
import sys

import click

from mexma_search.cli.output import quiet_libraries

# name -> (module, attribute, one-line help for the command list)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "serve": ("serve", "serve_command", "Run the app in this process until Ctrl-C."),
    "version": ("version", "version_command", "Show the versions of the app and its libraries."),
    "models": ("models", "models_group", "Prepare, list and promote encoder models."),
    "encode": ("encode", "encode_command", "Embed every line of a text file into a .npy file."),
    "ingest": ("ingest", "ingest_command", "Add documents (files, directories, zips)."),
    "search": ("search", "search_command", "Search the index in any language."),
    "jobs": ("jobs", "jobs_group", "Follow and cancel background jobs."),
    "documents": ("documents", "documents_group", "List and delete indexed documents."),
    "users": ("users", "users_group", "Add, list and remove users; set roles and passwords."),
    "access": ("users", "access_group", "Grant collections to users and groups; groups."),
    "tokens": ("tokens", "tokens_group", "Create, list and revoke API tokens."),
    "doctor": ("doctor", "doctor_command", "Check the database against the index; repair."),
    "worker": ("worker_command", "worker_command", "Run the jobs of distributed mode."),
    "validate-bitext": (
        "bitext",
        "validate_bitext_command",
        "Check a bitext file and report what training would use.",
    ),
    "train": ("train", "train_command", "Fine-tune an encoder with MEXMA on a bitext file."),
    "evaluate": ("bitext", "evaluate_command", "Score a model on a bitext (xsim errors)."),
    "mine": ("tm", "mine_command", "Mine translation pairs from two sides (TSV/TMX)."),
    "align": ("tm", "align_command", "Align the sentences of a document and its translation."),
    "tm": ("tm_memories", "tm_group", "Import, list, rename and delete translation memories."),
    "evaluate-retrieval": (
        "retrieval",
        "evaluate_retrieval_command",
        "Score search on a query file (recall, MRR, nDCG).",
    ),
}


class LazyGroup(click.Group):
    """A group whose commands are imported when they run (their list shows ``COMMANDS``'
    summaries)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attribute, _ = COMMANDS[cmd_name]
        command: click.Command = getattr(
            importlib.import_module(f"{__name__}.{module_name}"), attribute
        )
        if "transformers" in sys.modules:  # the command loads models: keep their noise out
            quiet_libraries()
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, summary) for name, (_, _, summary) in COMMANDS.items()])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """MEXMA Search: self-hosted cross-lingual semantic search."""
