"""Holds the active classifier in this process and follows the registry when it changes."""

import logging
import threading
import time
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from app.triage import registry
from app.triage.registry import ModelUnavailable
from ml.classifier import Classifier

log = logging.getLogger(__name__)


class ClassifierProvider:
    """Loads the registry's active version; re-checks the registry every `refresh_seconds`.

    Every api replica runs one, so a promotion reaches all of them without a restart.
    """

    def __init__(
        self, factory: sessionmaker[Session], model_dir: Path, refresh_seconds: float = 30.0
    ) -> None:
        self._factory = factory
        self._model_dir = model_dir
        self._refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._classifier: Classifier | None = None
        self._checked_at = 0.0

    @property
    def loaded(self) -> Classifier | None:
        return self._classifier

    def refresh_due(self) -> bool:
        return time.monotonic() - self._checked_at > self._refresh_seconds

    def get(self) -> Classifier:
        """The loaded model, after a registry check (a query) when one is due."""
        if self.refresh_due():
            self.refresh()
        if self._classifier is None:
            raise ModelUnavailable("no trained model is active: run `triage train`")
        return self._classifier

    def refresh(self) -> None:
        with self._lock:
            self._checked_at = time.monotonic()
            try:
                with self._factory() as session:
                    row = registry.active(session)
            except Exception:
                # A database hiccup must not take the loaded model away; keep serving it.
                log.warning("model registry check failed", exc_info=True)
                return
            if row is None or (self._classifier and self._classifier.version == row.version):
                return
            path = registry.resolve_path(row, self._model_dir)
            try:
                self._classifier = Classifier.load(path, expected_sha256=row.sha256)
            except Exception:
                log.exception("could not load model version %s from %s", row.version, path)
                return
            log.info("model version %s loaded", row.version)
