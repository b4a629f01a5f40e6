"""Fixtures of the encoder tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def mixed_texts() -> list[str]:
    """Texts from one word to a long sentence, in four languages."""
    return [
        "The river flows through the old town.",
        "El río",
        "La boulangerie ouvre à six heures et vend du pain frais chaque matin, tous les jours.",
        "Zug",
        "Der nächste Zug an die Küste fährt um zwölf von Gleis vier.",
        "La panadería abre a las seis.",
        "Le prochain train",
    ]
