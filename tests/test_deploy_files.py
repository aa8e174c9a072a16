"""docker-compose.yml, the Dockerfile and the lock file have the production shape: the web port
on 127.0.0.1 by default, migrations once as a one-off service that web, worker and beat wait
for, a health check for each, the secrets and mail settings passed; every dependency pinned
in requirements.lock, and the image and `make install` installing from it."""

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def with_defaults(text: str) -> str:
    """A compose value as it is with nothing set: ${NAME:-default} becomes its default."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", text)


def test_the_web_port_is_bound_to_localhost_by_default():
    ports = compose()["services"]["web"]["ports"]
    assert ports, "web publishes its port"
    for port in ports:
        host, _, container = with_defaults(str(port)).rpartition(":")
        assert container == "8000"
        assert host.startswith("127.0.0.1:"), port
    for name, service in compose()["services"].items():
        if name != "web":
            assert "ports" not in service, f"{name} publishes a port"


def test_migrations_run_once_before_web_worker_and_beat():
    services = compose()["services"]
    migrate = services["migrate"]
    assert migrate["command"][-3:] == ["manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    for name in APP_SERVICES:
        service = services[name]
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        command = " ".join(service.get("command", []))
        assert "migrate" not in command
    image_command = (ROOT / "Dockerfile").read_text().split("\nCMD", 1)[1]
    assert "migrate" not in image_command  # web does not migrate as it starts


def test_web_worker_and_beat_have_health_checks():
    services = compose()["services"]
    checks = {name: " ".join(services[name]["healthcheck"]["test"]) for name in APP_SERVICES}
    assert "/healthz" in checks["web"]
    assert "inspect ping" in checks["worker"]
    assert "celerybeat-schedule" in checks["beat"]
    for name in APP_SERVICES:
        assert services[name]["healthcheck"]["interval"]


def test_secrets_and_mail_settings_are_passed():
    for name in APP_SERVICES + ("migrate",):
        environment = compose()["services"][name]["environment"]
        for setting in (
            "SECRET_KEY",
            "FIELD_ENCRYPTION_KEYS",
            "API_KEY_HMAC_SECRETS",
            "EMAIL_BACKEND",
            "EMAIL_HOST",
            "EMAIL_PORT",
            "EMAIL_HOST_USER",
            "EMAIL_HOST_PASSWORD",
            "EMAIL_USE_TLS",
            "DEFAULT_FROM_EMAIL",
            "TRUSTED_PROXIES",
            "BEHIND_TLS_PROXY",
        ):
            assert setting in environment, (name, setting)
        assert "console" not in with_defaults(environment["EMAIL_BACKEND"])
        # Secrets have no default: compose refuses to start without them.
        for secret in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "API_KEY_HMAC_SECRETS"):
            assert ":?" in environment[secret], secret


def pinned() -> dict[str, str]:
    found = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            requirement = Requirement(line.split(";")[0].strip().rstrip("\\").strip())
            specs = list(requirement.specifier)
            assert len(specs) == 1 and specs[0].operator == "==", line
            found[canonicalize_name(requirement.name)] = specs[0].version
    return found


def test_the_lock_file_pins_every_dependency_including_dev():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    versions = pinned()
    for spec in wanted:
        requirement = Requirement(spec)
        name = canonicalize_name(requirement.name)
        assert name in versions, f"{name} is not in requirements.lock: run `make lock`"
        assert requirement.specifier.contains(versions[name], prereleases=True), (
            f"requirements.lock pins {name}=={versions[name]}, outside {spec}: run `make lock`"
        )
    assert len(versions) > len(wanted)  # their own dependencies too


def test_the_image_make_install_and_ci_install_from_the_lock_file():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements.lock" in dockerfile
    assert "--no-deps -e ." in dockerfile
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet -r requirements.lock" in makefile
    assert "--no-deps -e ." in makefile
    assert "uv pip compile" in makefile  # make lock
    assert "make test" in (ROOT / ".ci" / "run").read_text()  # make test installs: the lock
