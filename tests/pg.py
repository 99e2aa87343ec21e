"""A throwaway PostgreSQL cluster for the test suite (no system service, no password, no network).

``with throwaway_cluster() as url:`` runs ``initdb`` into a fresh temporary directory, starts the
server on a Unix socket inside it (``listen_addresses=''``: no TCP), creates the ``dualcarbon``
database and yields ``postgres://postgres@/dualcarbon?host=<socketdir>&port=<port>`` for
``DATABASE_URL``. On exit the server is stopped (``pg_ctl -m immediate``) and the directory removed.

Run as root (CI, containers), the server runs as the ``postgres`` OS user (PostgreSQL refuses to run
as root); run as anyone else, it runs as that user. The server binaries are looked up in
``$PG_BIN``, then ``/usr/lib/postgresql/<newest>/bin``, then ``$PATH``.

Durability is switched off (``fsync``, ``synchronous_commit``, ``full_page_writes``): the cluster
lives for one test run.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

DB_NAME = "dualcarbon"
SUPERUSER = "postgres"


def pg_bin() -> Path:
    """The directory with initdb/pg_ctl/psql (PostgreSQL 15 on Debian)."""
    env = os.environ.get("PG_BIN")
    if env:
        return Path(env)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("initdb")
    if which:
        return Path(which).parent
    raise RuntimeError("PostgreSQL server binaries not found: run `make setup` (installs Debian `postgresql`)")


def free_port() -> int:
    """A port number nobody listens on (the server only uses it to name its socket file)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", SUPERUSER, "--", *cmd]


def _run(cmd: list[str], log: Path | None = None) -> None:
    proc = subprocess.run(_as_server_user(cmd), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        detail = proc.stdout + proc.stderr
        if log is not None and log.exists():
            detail += "\n--- server log ---\n" + log.read_text(errors="replace")[-4000:]
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{detail}")


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Start a fresh cluster, yield its DATABASE_URL, stop and delete it afterwards."""
    bindir = pg_bin()
    # short path: a Unix socket path must stay under ~107 bytes
    root = Path(tempfile.mkdtemp(prefix="dcpg-", dir="/tmp"))
    data, sock, log = root / "data", root / "sock", root / "server.log"
    sock.mkdir()
    if os.geteuid() == 0:
        pw = pwd.getpwnam(SUPERUSER)
        for p in (root, sock):
            os.chown(p, pw.pw_uid, pw.pw_gid)
    os.chmod(root, 0o700)
    port = free_port()
    started = False
    try:
        _run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
                "--no-instructions",
            ]
        )
        options = (
            f"-k {sock} -p {port} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=50 -c shared_buffers=128MB"
        )
        _run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start"], log)
        started = True
        _run([str(bindir / "createdb"), "-h", str(sock), "-p", str(port), "-U", SUPERUSER, DB_NAME], log)
        yield f"postgres://{SUPERUSER}@/{DB_NAME}?host={sock}&port={port}"
    finally:
        if started:
            with contextlib.suppress(RuntimeError):
                _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":  # manual check: print the URL and wait
    with throwaway_cluster() as url:
        print(url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            input("cluster running; press Enter to stop ")
