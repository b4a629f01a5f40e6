"""The one exception type of the ingestion library."""

from __future__ import annotations


class IngestError(ValueError):
    """A file that cannot be ingested; the message names the file and the problem."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem
