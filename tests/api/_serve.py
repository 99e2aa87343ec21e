"""Serve the platform on loopback from a file SQLite database (a subprocess of tests/api/test_concurrency.py):
``python tests/api/_serve.py`` with DATABASE_URL=sqlite:///… set; prints ``PORT <n>`` once listening.

The settings are the real ones (WAL, busy timeout, BEGIN IMMEDIATE); only the static files storage is the plain
one, as in the suite (no collectstatic manifest in a test)."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dualcarbon.settings")

import django

django.setup()

from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.test.utils import override_settings  # noqa: E402


class Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    from django.conf import settings

    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain}).enable()
    ThreadedWSGIServer.request_queue_size = 64
    httpd = ThreadedWSGIServer(("127.0.0.1", 0), Quiet)
    httpd.set_app(get_wsgi_application())
    print(f"PORT {httpd.server_port}", flush=True)
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()


if __name__ == "__main__":
    sys.exit(main())
