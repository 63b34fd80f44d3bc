"""Throwaway PostgreSQL databases for tests: created on the test cluster, addressed by URL."""

from __future__ import annotations

import asyncpg


async def create_database(server_url: str, name: str) -> None:
    """CREATE DATABASE `name` on the server of `server_url` (a plain postgresql:// URL)."""
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def pg_database_url(server_url: str, name: str) -> str:
    """The asyncpg SQLAlchemy URL of database `name` on the server of `server_url`."""
    return server_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + "/" + name
