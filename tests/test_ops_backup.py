"""Backup and restore round-trip on SQLite and on PostgreSQL (issue 18): a demo database (reference data, answers,
the audit log, QA flags, a locked data version) is backed up, restored into an empty database, and every table is
compared by checksum; restoring into a database with data is refused unless --force.

Each database here is a file or a throwaway PostgreSQL cluster of its own, driven through manage.py in a
subprocess, so the test database that the session loaded is never touched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKSUMS = (
    "import json; from kartlegg.ops.backup import checksums; "
    "print(json.dumps({k: [v.rows, v.sha256] for k, v in checksums().items()}))"
)
# One process builds the demo database: reference data, two years of answers (with their audit trail), the QA
# checks on the newest round (flags), and that round locked (a data version).
POPULATE = """
from django.core.management import call_command
from kartlegg.accounts.models import User, Role
from kartlegg.quality.services.versions import lock_round
from kartlegg.responses.models import Round
call_command("load_reference", "--quiet")
call_command("make_demo_data", "--seed", "3", "--years", "2023-2024")
assert Round.objects.count() == 2
round_obj = Round.objects.order_by("-year").first()
call_command("run_qa", "--round", str(round_obj.pk), "--no-progress")
analyst = User.objects.create(username="backup-analyst", role=Role.ANALYST)
lock_round(round_obj, analyst, note="backup test")
"""


def manage(database_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "1", "LOG_LEVEL": "ERROR"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    if check and done.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done


def table_sums(database_url: str) -> dict[str, list]:
    return json.loads(manage(database_url, "shell", "-c", CHECKSUMS).stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    script = ROOT / "scripts" / "throwaway-pg.sh"
    done = subprocess.run([str(script), "start"], capture_output=True, text=True, timeout=120, check=True)
    found = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    try:
        yield found["DATABASE_URL"]
    finally:
        subprocess.run([str(script), "stop", found["PGDIR"]], capture_output=True, timeout=60, check=False)


def _databases(engine: str, tmp_path: Path, postgres_url: str) -> tuple[str, str]:
    if engine == "sqlite":
        return f"sqlite:///{tmp_path / 'source.sqlite3'}", f"sqlite:///{tmp_path / 'target.sqlite3'}"
    base = postgres_url.rsplit("/", 1)[0]
    import psycopg

    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS restored")
        conn.execute("CREATE DATABASE restored")
    return postgres_url, f"{base}/restored"


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_backup_restore_round_trip(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    postgres_url = request.getfixturevalue("postgres") if engine == "postgresql" else ""
    source, target = _databases(engine, tmp_path, postgres_url)
    manage(source, "migrate", "--no-input", "-v0")
    manage(source, "shell", "-c", POPULATE)
    before = table_sums(source)
    for table in ("responses_answer", "accounts_auditevent", "quality_flag", "quality_dataversion"):
        assert before[table][0] > 0, f"{table} is empty: the round trip would prove little"

    out = tmp_path / "kartlegg.backup"
    manage(source, "backup", "--out", str(out))
    manifest = json.loads(subprocess.run(["tar", "-xOf", str(out), "manifest.json"], capture_output=True).stdout)
    assert manifest["engine"] == engine
    assert {name: [t["rows"], t["sha256"]] for name, t in manifest["tables"].items()} == before

    manage(target, "migrate", "--no-input", "-v0")  # an empty, migrated database is fine to restore into
    restored = manage(target, "restore", str(out))
    assert "alle sjekksummer stemmer" in restored.stdout
    assert table_sums(target) == before  # every table, compared independently of the command's own check

    refused = manage(target, "restore", str(out), check=False)
    assert refused.returncode != 0
    assert "ikke tom" in refused.stderr and "--force" in refused.stderr
    manage(target, "restore", str(out), "--force")
    assert table_sums(target) == before


def test_a_file_that_is_not_a_backup_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "x.backup"
    bogus.write_bytes(b"not a tar file")
    done = manage(f"sqlite:///{tmp_path / 'db.sqlite3'}", "restore", str(bogus), check=False)
    assert done.returncode != 0
    assert "ikke en kartlegg-sikkerhetskopi" in done.stderr
