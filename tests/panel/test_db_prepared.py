"""panel/db.py's prepared_cursor: the hot statements are prepared on the server once seen
`prepare_threshold` times on a connection, and DB_PREPARE_THRESHOLD=off turns that off."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from panel.db import prepared_cursor

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL prepares"),
]

ROOT = Path(__file__).resolve().parents[2]
STATEMENT = "SELECT %(n)s::int + 1 AS prepared_cursor_probe"


def prepared_here() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [text for (text,) in cursor.fetchall() if "prepared_cursor_probe" in text]


def test_a_statement_is_prepared_once_seen_often_enough():
    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
    assert threshold == 5  # the settings' default
    for n in range(threshold + 1):
        with prepared_cursor() as cursor:
            cursor.execute(STATEMENT, {"n": n})
            assert cursor.fetchone() == (n + 1,)
        if n < threshold - 1:
            assert prepared_here() == []
    assert len(prepared_here()) == 1


def test_djangos_own_cursors_never_prepare():
    for n in range(10):
        with connection.cursor() as cursor:
            cursor.execute(STATEMENT.replace("%(n)s", "%s"), [n])
    assert prepared_here() == []


@pytest.mark.slow  # many examples, or processes: seconds
@pytest.mark.parametrize(("value", "threshold"), [("off", None), ("none", None), ("3", 3)])
def test_the_threshold_comes_from_the_environment(value, threshold):
    env = {**os.environ, "DB_PREPARE_THRESHOLD": value}
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['OPTIONS']['prepare_threshold'])"
    )
    printed = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert printed == str(threshold)
