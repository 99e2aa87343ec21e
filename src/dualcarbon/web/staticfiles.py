"""Static files storage: WhiteNoise's compressed, content-hashed files once ``collectstatic`` has run."""

from __future__ import annotations

import logging
from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage

log = logging.getLogger(__name__)


class StaticStorage(CompressedManifestStaticFilesStorage):
    """``{% static %}`` names the hashed file (``app.3f9c….css``, cached for a year) listed in the manifest
    ``collectstatic`` writes to STATIC_ROOT. Before the first ``collectstatic`` there is no manifest: pages
    still render, naming the plain files (said once in the log), instead of failing on every ``{% static %}``."""

    _warned = False

    def create_compressor(self, **kwargs: Any) -> Any:
        """gzip only: Brotli's best setting costs minutes of CPU on every collectstatic of the admin's and the API
        docs' bundles, for files a browser caches for a year anyway."""
        return super().create_compressor(use_brotli=False, **kwargs)

    def stored_name(self, name: str) -> str:
        if not self.hashed_files:
            if not StaticStorage._warned:
                StaticStorage._warned = True
                log.warning(
                    "no static files manifest in %s: run `dualcarbon collectstatic` (pages name unhashed files)",
                    self.location,
                )
            return name
        return super().stored_name(name)
