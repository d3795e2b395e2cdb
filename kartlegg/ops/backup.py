"""Backup and restore of the whole database, with a checksum of every table to prove the copy.

PostgreSQL: `pg_dump --format=custom` of a snapshot exported from a REPEATABLE READ transaction, and the table
checksums computed in that same transaction, so the dump and its checksums describe the same instant while the site
keeps running. SQLite: the online backup API (a consistent page copy while others write), checksums computed from the
copy. Either way the backup is one tar file: `manifest.json` (engine, time, Django migrations, per-table row counts and
checksums) and the database itself. Restoring checks the engine, refuses a database that already holds data unless
forced, restores all or nothing, and compares every table with the manifest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

FORMAT = "kartlegg-backup/1"
MANIFEST = "manifest.json"
PG_MEMBER = "database.pgdump"
SQLITE_MEMBER = "database.sqlite3"
# Tables that a freshly migrated database fills by itself: rows there do not make a database "non-empty".
BOOKKEEPING = {"django_migrations", "django_content_type", "auth_permission", "sqlite_sequence"}


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why and what to do."""


@dataclass
class TableSum:
    rows: int
    sha256: str


@dataclass
class Manifest:
    engine: str
    created_at: str
    tables: dict[str, TableSum]
    migrations: list[str] = field(default_factory=list)
    format: str = FORMAT

    def as_json(self) -> str:
        data = {
            "format": self.format,
            "engine": self.engine,
            "created_at": self.created_at,
            "migrations": self.migrations,
            "tables": {name: {"rows": s.rows, "sha256": s.sha256} for name, s in sorted(self.tables.items())},
        }
        return json.dumps(data, indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise BackupError(f"Ukjent sikkerhetskopiformat {data.get('format')!r}; forventet {FORMAT}.")
        tables = {name: TableSum(int(t["rows"]), str(t["sha256"])) for name, t in data["tables"].items()}
        return cls(data["engine"], data["created_at"], tables, list(data.get("migrations", [])))


def _canonical(value: Any) -> str:
    if value is None:
        return "\x00"
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def table_names(cursor: Any) -> list[str]:
    return sorted(
        info.name
        for info in connection.introspection.get_table_list(cursor)
        if info.type == "t" and info.name not in ("sqlite_sequence",)
    )


def table_checksum(cursor: Any, table: str) -> TableSum:
    """Rows and a SHA-256 over every row in primary-key order (all columns, in the table's column order)."""
    quote = connection.ops.quote_name
    columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
    pk = connection.introspection.get_primary_key_column(cursor, table)
    order = ", ".join(quote(c) for c in ([pk] if pk else columns))
    cursor.execute(f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)} ORDER BY {order}")  # noqa: S608
    digest = hashlib.sha256("|".join(columns).encode())
    rows = 0
    while batch := cursor.fetchmany(5000):
        for row in batch:
            digest.update(("\x1e" + "\x1f".join(_canonical(v) for v in row)).encode("utf-8", "surrogatepass"))
        rows += len(batch)
    return TableSum(rows, digest.hexdigest())


def checksums(tables: Iterable[str] | None = None) -> dict[str, TableSum]:
    """Every table's checksum, read on the default connection (call inside one transaction for one instant)."""
    with connection.cursor() as cursor:
        names = list(tables) if tables is not None else table_names(cursor)
        return {name: table_checksum(cursor, name) for name in names}


def applied_migrations() -> list[str]:
    with connection.cursor() as cursor:
        if "django_migrations" not in connection.introspection.table_names(cursor):
            return []
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [f"{app}.{name}" for app, name in cursor.fetchall()]


def data_tables() -> dict[str, int]:
    """Rows per table that holds data (not Django's own bookkeeping): a database with any is not empty."""
    with connection.cursor() as cursor:
        counts = {}
        for name in table_names(cursor):
            if name in BOOKKEEPING:
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(name)}")  # noqa: S608
            count = cursor.fetchone()[0]
            if count:
                counts[name] = count
        return counts


def _pg_env() -> dict[str, str]:
    s = connection.settings_dict
    env = dict(os.environ)
    env.update(
        {
            "PGHOST": str(s.get("HOST") or ""),
            "PGPORT": str(s.get("PORT") or ""),
            "PGUSER": str(s.get("USER") or ""),
            "PGDATABASE": str(s["NAME"]),
        }
    )
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = str(s["PASSWORD"])
    return {k: v for k, v in env.items() if v != ""}


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if candidates:
        return str(candidates[-1])
    raise BackupError(f"Fant ikke {name}. Installer PostgreSQL-klientverktøyene (apt-get install postgresql-client).")


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False, timeout=6 * 3600)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} feilet: {done.stderr.strip()[-2000:]}")


def _backup_postgresql(workdir: Path) -> tuple[Path, Manifest]:
    target = workdir / PG_MEMBER
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        # pg_dump reads the very snapshot this transaction sees, while the checksums are computed here.
        _run(
            [
                _tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
            ],
            _pg_env(),
        )
        manifest = Manifest("postgresql", timezone.now().isoformat(), checksums(), applied_migrations())
    return target, manifest


def _restore_postgresql(member: Path) -> None:
    connection.close()
    _run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={_pg_env()['PGDATABASE']}",
            str(member),
        ],
        _pg_env(),
    )


def _sqlite_raw() -> sqlite3.Connection:
    connection.ensure_connection()
    return connection.connection  # type: ignore[return-value]


def _backup_sqlite(workdir: Path) -> tuple[Path, Manifest]:
    target = workdir / SQLITE_MEMBER
    copy = sqlite3.connect(target)
    try:
        _sqlite_raw().backup(copy)  # the online backup API: a consistent copy while others write
    finally:
        copy.close()
    return target, _manifest_of_sqlite_file(target)


def _manifest_of_sqlite_file(path: Path) -> Manifest:
    """Checksums of a SQLite file, read through Django's introspection on a temporary connection alias."""
    from django.db import connections

    alias = "kartlegg_backup_copy"
    connections.settings[alias] = {**connection.settings_dict, "NAME": str(path), "OPTIONS": {}, "TEST": {}}
    try:
        other = connections[alias]
        with other.cursor() as cursor:
            names = sorted(
                i.name
                for i in other.introspection.get_table_list(cursor)
                if i.type == "t" and i.name != "sqlite_sequence"
            )
            sums = {}
            for name in names:
                sums[name] = _checksum_on(other, cursor, name)
            migrations: list[str] = []
            if "django_migrations" in names:
                cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
                migrations = [f"{a}.{n}" for a, n in cursor.fetchall()]
        return Manifest("sqlite", timezone.now().isoformat(), sums, migrations)
    finally:
        connections[alias].close()
        del connections[alias]
        connections.settings.pop(alias, None)


def _checksum_on(conn: Any, cursor: Any, table: str) -> TableSum:
    quote = conn.ops.quote_name
    columns = [c.name for c in conn.introspection.get_table_description(cursor, table)]
    pk = conn.introspection.get_primary_key_column(cursor, table)
    order = ", ".join(quote(c) for c in ([pk] if pk else columns))
    cursor.execute(f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)} ORDER BY {order}")  # noqa: S608
    digest = hashlib.sha256("|".join(columns).encode())
    rows = 0
    while batch := cursor.fetchmany(5000):
        for row in batch:
            digest.update(("\x1e" + "\x1f".join(_canonical(v) for v in row)).encode("utf-8", "surrogatepass"))
        rows += len(batch)
    return TableSum(rows, digest.hexdigest())


def backup(out: Path) -> Manifest:
    """Write a backup of the default database to `out` (a tar file) and return its manifest."""
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise BackupError(f"Sikkerhetskopi støttes for PostgreSQL og SQLite, ikke {vendor}.")
    with tempfile.TemporaryDirectory(prefix="kartlegg-backup-") as tmp:
        workdir = Path(tmp)
        member, manifest = _backup_postgresql(workdir) if vendor == "postgresql" else _backup_sqlite(workdir)
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w") as archive:
            data = manifest.as_json().encode("utf-8")
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
            archive.add(member, arcname=member.name)
        partial.replace(out)  # a backup file is complete or absent
    return manifest


def read_manifest(path: Path) -> Manifest:
    try:
        with tarfile.open(path, "r") as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            return Manifest.from_json(member.read().decode("utf-8"))
    except (tarfile.TarError, KeyError, OSError, ValueError) as exc:
        raise BackupError(f"{path}: ikke en kartlegg-sikkerhetskopi ({exc}).") from None


def restore(path: Path, force: bool = False) -> tuple[Manifest, list[str]]:
    """Restore `path` into the default database; returns the manifest and the tables whose checksum differs (none
    when the restore is exact). Refuses a database with data unless `force`."""
    manifest = read_manifest(path)
    if manifest.engine != connection.vendor:
        raise BackupError(
            f"Sikkerhetskopien er fra {manifest.engine}, databasen er {connection.vendor}. "
            "Gjenopprett til samme databasetype (eller flytt data med dumpdata/loaddata)."
        )
    existing = data_tables()
    if existing and not force:
        shown = ", ".join(f"{name} ({rows})" for name, rows in sorted(existing.items())[:5])
        raise BackupError(
            f"Databasen er ikke tom ({len(existing)} tabeller med data, f.eks. {shown}). "
            "Gjenopprett til en tom database, eller bruk --force for å erstatte alt."
        )
    with tempfile.TemporaryDirectory(prefix="kartlegg-restore-") as tmp:
        with tarfile.open(path, "r") as archive:
            archive.extractall(tmp, filter="data")
        member = Path(tmp) / (PG_MEMBER if manifest.engine == "postgresql" else SQLITE_MEMBER)
        if manifest.engine == "postgresql":
            _restore_postgresql(member)
        else:
            _restore_sqlite(member)
    connection.close()
    return manifest, verify(manifest)


def _restore_sqlite(member: Path) -> None:
    source = sqlite3.connect(member)
    try:
        if connection.settings_dict["NAME"] in (":memory:", "") or connection.is_in_memory_db():  # type: ignore[attr-defined]
            target = _sqlite_raw()
            source.backup(target)
        else:
            connection.close()
            target = sqlite3.connect(connection.settings_dict["NAME"])
            try:
                source.backup(target)  # replaces every page of the target, in one step
            finally:
                target.close()
    finally:
        source.close()


def verify(manifest: Manifest) -> list[str]:
    """Tables whose rows or checksum differ from the manifest (missing tables count as differing)."""
    current = checksums()
    return sorted(
        name
        for name, expected in manifest.tables.items()
        if name not in current or current[name].sha256 != expected.sha256 or current[name].rows != expected.rows
    )
