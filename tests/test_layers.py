"""The package's rooms depend on each other one way only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "mexma_search"
# A room may import the rooms of a lower rank (and itself), never a room of its own rank or above;
# the command line may also import the web app it serves.
RANK = {
    "encoder": 0,
    "documents": 1,
    "store": 2,
    "index": 2,
    "tm": 3,
    "app": 4,
    "jobs": 5,
    "webapp": 6,
    "cli": 7,
}
ROOMS = sorted(RANK)


def imported_rooms(path: Path) -> set[str]:
    """The rooms of ``mexma_search`` that the module at ``path`` imports, anywhere in it."""
    rooms = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "mexma_search" and len(parts) > 1:
                rooms.add(parts[1])
    return rooms


def test_every_module_belongs_to_a_room() -> None:
    top = {path.name for path in PACKAGE.iterdir() if not path.name.startswith("__")}
    assert top == set(ROOMS)


@pytest.mark.parametrize("room", ROOMS)
def test_dependencies_point_one_way(room: str) -> None:
    wrong = {
        f"{path.relative_to(PACKAGE)} imports {other}"
        for path in (PACKAGE / room).rglob("*.py")
        for other in imported_rooms(path) - {room}
        if RANK[other] >= RANK[room]
    }
    assert not wrong


def test_the_encoder_imports_nothing_of_ours() -> None:
    assert all(imported_rooms(path) <= {"encoder"} for path in (PACKAGE / "encoder").rglob("*.py"))
