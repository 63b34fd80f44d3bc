"""Alembic glue shared by every service's `migrations/env.py`.

A service's env.py is two lines:

    from eventkit.migrations import run_env
    from declaration.adapters.tables import metadata
    run_env(metadata)

and `<service> migrate` calls `upgrade(settings.database_url, migrations_dir)`. Migrations run on
the async engine the service uses (asyncpg or aiosqlite); SQLite gets batch mode for ALTERs.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config

from eventkit.db import make_engine, normalise_url

_MIGRATION_LOCK_KEY = 0x52454C4945465F4D


def alembic_config(database_url: str, migrations_dir: Path) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", normalise_url(database_url).replace("%", "%%"))
    return cfg


def upgrade(database_url: str, migrations_dir: Path, revision: str = "head") -> None:
    _ensure_sqlite_dir(database_url)
    command.upgrade(alembic_config(database_url, migrations_dir), revision)


def _ensure_sqlite_dir(database_url: str) -> None:
    url = normalise_url(database_url)
    if url.startswith("sqlite") and ":///" in url:
        path = url.split(":///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


def run_env(target_metadata: sa.MetaData) -> None:
    """Body of a service's alembic env.py."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set (eventkit.migrations.alembic_config does it)"
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(url, target_metadata))


async def _run_online(url: str, target_metadata: sa.MetaData) -> None:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_do_run, target_metadata)
            await connection.commit()
    finally:
        await engine.dispose()


def _do_run(connection: sa.Connection, target_metadata: sa.MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Replicas of a service start together and each runs `migrate`: the first takes this
            # lock and migrates, the others wait and then find nothing left to do.
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        context.run_migrations()
