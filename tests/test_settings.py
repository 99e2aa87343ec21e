"""Production settings (docs/security.md § Deployment settings), each in a fresh process: the settings are
read once at start, so what the environment does to them is seen only there."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SECURITY_MD = ROOT / "docs" / "security.md"
SETTINGS_PY = ROOT / "src" / "dualcarbon" / "settings.py"

#: variables of the test run (pytest-env's test key) or of a developer's shell that must not leak in
_OURS = re.compile(r"^(DJANGO_|DUALCARBON_|DATABASE_URL$|EMAIL_|DEFAULT_FROM_EMAIL$)")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not _OURS.match(k)}
    env.update(DUALCARBON_VAR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="dualcarbon.settings", **extra)
    return env


def _run(code_or_args: str | list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    args = ["-c", code_or_args] if isinstance(code_or_args, str) else code_or_args
    return subprocess.run(
        [sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


PRINT_SETTINGS = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.ALLOWED_HOSTS)"
)


def test_debug_is_off_by_default(tmp_path: Path) -> None:
    proc = _run(PRINT_SETTINGS, _env(tmp_path, DJANGO_SECRET_KEY=secrets.token_urlsafe(50)), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[0] == "False False False 0 ['localhost', '127.0.0.1', '[::1]']"


def test_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    for command in (["-m", "dualcarbon", "check"], "import dualcarbon.wsgi"):
        proc = _run(command, _env(tmp_path), tmp_path)
        assert proc.returncode != 0
        assert "django.core.exceptions.ImproperlyConfigured: DJANGO_SECRET_KEY is not set" in proc.stderr
        assert "DJANGO_SECRET_KEY_FILE" in proc.stderr and "docs/security.md" in proc.stderr


def test_secret_key_from_a_file_and_debug_only_when_asked(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text("k" * 20 + secrets.token_urlsafe(40) + "\n")
    code = "import django; django.setup(); from django.conf import settings as s; print(s.SECRET_KEY, s.DEBUG)"
    proc = _run(code, _env(tmp_path, DJANGO_SECRET_KEY_FILE=str(key_file)), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == key_file.read_text().strip() and proc.stdout.split()[1] == "False"

    proc = _run(code, _env(tmp_path, DJANGO_DEBUG="1"), tmp_path)  # development: a fixed, marked-insecure key
    assert proc.returncode == 0 and proc.stdout.split()[0].startswith("django-insecure-") and "True" in proc.stdout


def test_boolean_variables_are_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from dualcarbon.settings import env_bool, env_int

    for value, expected in (("1", True), ("yes", True), ("ON", True), ("0", False), ("false", False), ("", None)):
        monkeypatch.setenv("DUALCARBON_X", value)
        assert env_bool("DUALCARBON_X", None) is expected  # type: ignore[arg-type]
    monkeypatch.setenv("DUALCARBON_X", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DUALCARBON_X='maybe': expected 1 or 0"):
        env_bool("DUALCARBON_X", False)
    monkeypatch.setenv("DUALCARBON_X", "-3")
    with pytest.raises(ImproperlyConfigured):
        env_int("DUALCARBON_X", 1)


def test_demo_generates_its_own_key_once_with_mode_600(tmp_path: Path) -> None:
    """`dualcarbon demo` runs with DEBUG off and makes var/secret_key on its first start (--help: no build)."""
    proc = _run(["-m", "dualcarbon", "demo", "--help"], _env(tmp_path), tmp_path)
    assert proc.returncode == 0, proc.stderr
    key = tmp_path / "var" / "secret_key"
    first = key.read_text()
    assert len(first.strip()) >= 50 and key.stat().st_mode & 0o777 == 0o600

    from dualcarbon.settings import _local_secret_key

    assert _local_secret_key(key) == first.strip() and key.read_text() == first  # read, never made again


def production_env(doc: str, tmp_path: Path) -> dict[str, str]:
    """The block between the production-env markers of docs/security.md, its paths moved under tmp_path."""
    match = re.search(r"<!-- production-env:start -->\s*```sh\n(.*?)```\s*<!-- production-env:end -->", doc, re.S)
    assert match, "docs/security.md has no production-env block"
    values: dict[str, str] = {}
    for line in match.group(1).splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    for prefix in ("/etc/dualcarbon", "/var/lib/dualcarbon", "/var/log/dualcarbon"):
        local = tmp_path / prefix.strip("/").replace("/", "-")
        local.mkdir(parents=True, exist_ok=True)
        values = {k: v.replace(prefix, str(local)) for k, v in values.items()}
    Path(values["DJANGO_SECRET_KEY_FILE"]).write_text(secrets.token_urlsafe(50) + "\n")
    return values


@pytest.mark.slow
def test_check_deploy_is_clean_with_the_documented_production_variables(tmp_path: Path) -> None:
    values = production_env(SECURITY_MD.read_text(encoding="utf-8"), tmp_path)
    assert values["DUALCARBON_TLS"] == "1" and "DJANGO_DEBUG" not in values
    check = ["-m", "django", "check", "--deploy"]
    proc = _run(check, {**_env(tmp_path), **values}, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "System check identified no issues (0 silenced)." in proc.stdout, proc.stdout + proc.stderr
    assert "WARNING" not in proc.stdout + proc.stderr

    # the control: without TLS the same check warns about exactly what DUALCARBON_TLS turns on
    del values["DUALCARBON_TLS"]
    proc = _run(check, {**_env(tmp_path), **values}, tmp_path)
    warned = set(re.findall(r"\(security\.(W\d+)\)", proc.stdout + proc.stderr))
    assert warned == {"W004", "W008", "W012", "W016"}, proc.stdout + proc.stderr


def test_every_environment_variable_of_the_settings_is_documented() -> None:
    source = SETTINGS_PY.read_text(encoding="utf-8")
    read = set(
        re.findall(r"""(?:environ\.get|environ\[|env_bool|env_int|env_list)\(?\s*["']([A-Z][A-Z0-9_]+)["']""", source)
    )
    assert {"DJANGO_DEBUG", "DJANGO_SECRET_KEY", "DUALCARBON_TLS", "DATABASE_URL"} <= read
    doc = SECURITY_MD.read_text(encoding="utf-8")
    section = doc.split("## Deployment settings", 1)[1].split("\n## ", 1)[0]
    missing = sorted(name for name in read if f"`{name}`" not in section)
    assert not missing, f"read by settings.py, not in docs/security.md § Deployment settings: {missing}"
