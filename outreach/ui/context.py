"""What every page is given: the ops helper, code lists, settings and who is signed in."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import SignalInstance

from outreach import config
from outreach.config import Settings
from outreach.domain.vocab import Vocabulary, base_vocabulary
from outreach.ui.ops import Ops

if TYPE_CHECKING:
    from outreach.store.vault import KdfParams


@dataclass
class AppContext:
    ops: Ops
    data_dir: Path
    vocab: Vocabulary = field(default_factory=base_vocabulary)
    settings: Settings = field(default_factory=config.load_settings)
    user: str = ""
    role: str = ""
    kdf: KdfParams | None = None  # None: calibrate (real use); tests inject a cheap one

    @property
    def changes(self) -> SignalInstance:
        """Emits `outreach.store.store.Changes` after every write (STYLE 3)."""
        return self.ops.changes

    def remember(self, **changes: object) -> None:
        """Persist a preference (e.g. last site) and keep the in-memory copy in step."""
        self.settings = config.update_settings(**changes)
