"""``dualcarbon demo``: build the fictional region 示范市 in var/ and serve it like production.

The demo runs with DEBUG off (docs/security.md): its own secret key in var/secret_key (settings.py makes it
once, mode 600), static files collected into var/static and served by WhiteNoise, the log in
var/log/dualcarbon.log, and the WSGI server gunicorn on 127.0.0.1 only — never Django's runserver.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections

from dualcarbon.demo import generator


def parse_years(text: str) -> tuple[int, ...]:
    """ "2023-2025", "2024", "2023,2025" or a count of years ending in 2025 ("3")."""
    text = text.strip()
    try:
        if "-" in text:
            a, b = (int(x) for x in text.split("-", 1))
            years = tuple(range(min(a, b), max(a, b) + 1))
        elif "," in text:
            years = tuple(sorted({int(x) for x in text.split(",") if x.strip()}))
        else:
            n = int(text)
            last = generator.DEFAULT_YEARS[-1]
            years = tuple(range(last - n + 1, last + 1)) if n < 100 else (n,)
    except ValueError as exc:
        raise CommandError(f"--years: {text!r} is not a year range (e.g. 2023-2025, 2024, or 3)") from exc
    if not years or min(years) < 2000 or max(years) > 2100 or len(years) > 30:
        raise CommandError(f"--years: {text!r} is out of range (2000–2100, at most 30 years)")
    return years


class Command(BaseCommand):
    help = (
        "Build the fictional region 示范市 (enterprises, 3 years of monthly reports, accounts, banks, "
        "verifiers, users) in the database and run the development server."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--enterprises", type=int, default=generator.DEFAULT_ENTERPRISES)
        parser.add_argument("--years", default="2023-2025", help="e.g. 2023-2025 (default), 2024, or 3")
        parser.add_argument("--seed", type=int, default=generator.SEED)
        parser.add_argument(
            "--reset", action="store_true", help="delete the SQLite database (PostgreSQL: drop its tables) and rebuild"
        )
        parser.add_argument("--no-serve", action="store_true", help="build, print the logins and exit")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=2, help="gunicorn worker processes (default 2), 4 threads each"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.perf_counter()
        years = parse_years(opts["years"])
        if opts["enterprises"] < 1:
            raise CommandError("--enterprises must be at least 1")
        db = settings.DATABASES["default"]
        sqlite = db["ENGINE"] == "django.db.backends.sqlite3"
        if sqlite:
            path = Path(str(db["NAME"]))
            path.parent.mkdir(parents=True, exist_ok=True)
        if opts["reset"]:
            connections.close_all()
            if sqlite:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
                self.stdout.write(f"已删除数据库 / removed {path}")
            else:
                dropped = _drop_tables()
                self.stdout.write(f"已删除数据库中的 {dropped} 张表 / dropped {dropped} tables")
        call_command("migrate", interactive=False, verbosity=0)
        migrated = time.perf_counter()
        self.stdout.write(f"数据库已迁移 / migrated in {migrated - started:.1f}s")
        from dualcarbon.registry.models import Organisation

        if not generator.region_exists() and Organisation.objects.exists():
            raise CommandError(
                "数据库中已有不完整的示范数据或其他数据，请加 --reset 重建 / the database holds other or incomplete "
                "data: rebuild it with --reset"
            )
        if generator.region_exists():
            self.stdout.write(
                "示范市已存在，直接启动（重建请加 --reset） / region already built (use --reset to rebuild)"
            )
            result = None
        else:
            self.stdout.write(f"生成示范市：{opts['enterprises']} 家企业，{years[0]}–{years[-1]} 年逐月数据 …")
            result = generator.build(opts["enterprises"], years, opts["seed"], log=self.stdout.write)
            took = time.perf_counter() - migrated
            self.stdout.write(f"生成完成 / built in {took:.1f}s: " + _fmt(result.counts))
            cpu = result.cpu_timings
            self.stdout.write(
                "  " + ", ".join(f"{k} {v:.1f}s (cpu {cpu.get(k, 0.0):.1f}s)" for k, v in result.timings.items())
            )
        self._audit_checkpoint()
        self._print_logins(result, opts["port"])
        self.stdout.write(f"总用时 / total {time.perf_counter() - started:.1f}s")
        if not opts["no_serve"]:
            self._serve(opts["port"], max(1, opts["workers"]))

    def _serve(self, port: int, workers: int) -> None:
        """collectstatic into STATIC_ROOT, then gunicorn on the loopback address until Ctrl-C."""
        started = time.perf_counter()
        stamp = Path(settings.STATIC_ROOT) / ".collected"
        fingerprint = _static_fingerprint()
        if stamp.exists() and stamp.read_text(encoding="ascii") == fingerprint:
            self.stdout.write(f"静态文件未变 / static files unchanged in {settings.STATIC_ROOT}")
        else:
            call_command("collectstatic", interactive=False, verbosity=0)
            stamp.write_text(fingerprint, encoding="ascii")
            self.stdout.write(
                f"静态文件已收集 / static files collected into {settings.STATIC_ROOT} in "
                f"{time.perf_counter() - started:.1f}s"
            )
        if settings.LOG_DIR:
            self.stdout.write(f"日志 / log: {Path(settings.LOG_DIR) / 'dualcarbon.log'}")
        self.stdout.write(f"gunicorn: http://127.0.0.1:{port}/ ({workers} workers × 4 threads; Ctrl-C 停止 / stops)")
        connections.close_all()  # the workers are forked: none inherits an open database connection
        worker = task_worker()  # large Excel uploads are imported by background jobs (reporting.imports)
        try:
            gunicorn_server(port, workers).run()
        finally:
            worker.terminate()
            worker.wait(timeout=30)

    def _audit_checkpoint(self) -> None:
        """A checkpoint of the bank read log, with an audit key generated into var/ (mode 600) on the first run
        (docs/security.md § Audit chain checkpoints); skipped when no key is configured (the tests)."""
        if not (settings.DUALCARBON_AUDIT_KEY or settings.DUALCARBON_AUDIT_KEY_FILE):
            return
        from dualcarbon.registry.models import ChainCheckpoint

        file = Path(settings.DUALCARBON_AUDIT_CHECKPOINT_FILE) if settings.DUALCARBON_AUDIT_CHECKPOINT_FILE else None
        if file is not None and file.exists() and not ChainCheckpoint.objects.exists():
            # a rebuilt database (--reset): the old file's checkpoints anchor the old log
            old = file.with_name(f"{file.name}.{time.strftime('%Y%m%d-%H%M%S')}.old")
            file.rename(old)
            self.stdout.write(f"旧检查点文件已移开 / previous checkpoint file moved to {old}")
        call_command("audit_checkpoint", "--create-key", stdout=self.stdout, stderr=self.stderr)

    def _print_logins(self, result: generator.BuildResult | None, port: int) -> None:
        logins = result.logins if result is not None else _logins_from_db()
        w = self.stdout.write
        w("")
        w(f"地址 / address: http://127.0.0.1:{port}/   （管理后台 /admin/，接口文档 /api/docs）")
        w(f"统一演示密码 / demo password: {generator.PASSWORD}")
        width = max(len(u) for u, _o, _s in logins)
        for username, org, sees in logins:
            w(f"  {username.ljust(width)}  {org} — {sees}")
        w("  ent001 … 每家企业各有一个填报账号 / one login per enterprise (ent001, ent002, …)")
        w("")


def _drop_tables() -> int:
    """Drop the tables of every installed app and ``django_migrations``, so that ``migrate`` rebuilds the
    schema (the PostgreSQL counterpart of deleting the SQLite file). ``flush`` cannot be used: the bank
    access log is append-only and refuses TRUNCATE once it has rows (finance migration 0005)."""
    introspection = connection.introspection
    existing = set(introspection.table_names())
    tables = sorted({*introspection.django_table_names(only_existing=True), "django_migrations"} & existing)
    if tables:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE " + ", ".join(connection.ops.quote_name(t) for t in tables) + " CASCADE")
    return len(tables)


def _fmt(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in counts.items())


def _logins_from_db() -> list[tuple[str, str, str]]:
    from dualcarbon.registry.models import Membership

    names = ["gov", "district", "bank", "verifier", "admin", "ent1", "ent2", "ent3"]
    rows = Membership.objects.filter(user__username__in=names).select_related("user", "organisation")
    by_user = {m.user.get_username(): m for m in rows}
    return [(u, by_user[u].organisation.name, by_user[u].get_role_display()) for u in names if u in by_user]


def _static_fingerprint() -> str:
    """What collectstatic would collect (each source file's name, size and time): unchanged, nothing to do."""
    import hashlib

    from django.contrib.staticfiles import finders

    digest = hashlib.sha256(str(settings.STORAGES["staticfiles"]).encode())
    for finder in finders.get_finders():
        for name, storage in finder.list([]):
            stat = Path(storage.path(name)).stat()
            digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def task_worker() -> subprocess.Popen[bytes]:
    """``dualcarbon db_worker`` beside the server: it runs the background jobs (django-tasks' database backend:
    the queue is a table, no broker), with the demo's secret key."""
    env = {**os.environ, "DJANGO_SECRET_KEY_FILE": str(Path(settings.VAR_DIR) / "secret_key")}
    return subprocess.Popen([sys.executable, "-m", "dualcarbon", "db_worker", "--no-reload"], env=env)


def gunicorn_server(port: int, workers: int) -> Any:
    """gunicorn serving this process's WSGI application (Django is already set up with the demo's settings);
    ``.run()`` serves until SIGINT/SIGTERM."""
    from django.core.wsgi import get_wsgi_application
    from gunicorn.app.base import BaseApplication

    options = {
        "bind": f"127.0.0.1:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": 4,
        "timeout": 120,  # a PDF report or a large Excel export takes seconds, not minutes
        "accesslog": "-",
        "errorlog": "-",
        "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms id=%({x-request-id}o)s',
        "proc_name": "dualcarbon-demo",
        "control_socket_disable": True,  # no gunicornc socket under $HOME shared with other servers
    }
    wsgi = get_wsgi_application()

    class _App(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return wsgi

    return _App()
