"""Schema migrations: ``alembic upgrade head`` driven from code, no ``alembic.ini`` needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from mexma_search.store.engine import make_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration whose migrations run on ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def migrate(engine_or_url: Engine | str) -> None:
    """Bring the database schema up to the newest revision; a no-op when it is already there."""
    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    try:
        command.upgrade(alembic_config(engine), "head")
    finally:
        if engine is not engine_or_url:
            engine.dispose()
