"""/healthz: the database and the broker checked, JSON ok/failing with 200/503, no secret in
the answer, no session or cookie."""

import pytest

from panel import health

pytestmark = pytest.mark.django_db


def test_healthy_answers_200_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}
    assert not response.cookies  # no session, no CSRF cookie
    assert "no-cache" in response["Cache-Control"]


def test_a_broker_down_answers_503_without_its_address(client, settings):
    settings.CELERY_BROKER_URL = "redis://:hunter2-sentinel@127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "failing",
        "checks": {"database": "ok", "broker": "failing"},
    }
    assert b"hunter2" not in response.content
    assert b"127.0.0.1" not in response.content


def test_a_database_down_answers_503(client, monkeypatch):
    class Unreachable:
        def cursor(self):
            raise RuntimeError("postgres://panel:secret@db/panel unreachable")

    monkeypatch.setattr(health, "connection", Unreachable())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "failing", "broker": "ok"}
    assert b"secret" not in response.content


def test_the_embedded_filesystem_broker_counts_as_up_when_its_folder_is_there(settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path)}
    assert health.check_broker()
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path / "gone")}
    assert not health.check_broker()
