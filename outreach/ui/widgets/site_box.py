"""The site a record (and its stock movement) belongs to, starting at the user's usual site.

A worker's usual site is the one remembered from their last save; a pharmacy user's is their
pharmacy (a remembered pharmacy site, else the first pharmacy on the list), so a kit supplied at
the pharmacy is counted there and takes the pack out of that pharmacy's stock.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QWidget

from outreach.config import Settings
from outreach.domain.vocab import Vocabulary

PHARMACY_ROLE = "pharmacy"


def pharmacy_sites(vocab: Vocabulary) -> list[str]:
    """Sites that are pharmacies (by code or label): reference data may add more than one."""
    return [
        code
        for code in vocab.codes("site")
        if "pharmacy" in code or "pharmacy" in vocab.label("site", code).lower()
    ]


def usual_site(settings: Settings, role: str, vocab: Vocabulary) -> str:
    codes = vocab.codes("site")
    remembered = settings.default_site if settings.default_site in codes else None
    if role == PHARMACY_ROLE:
        pharmacies = pharmacy_sites(vocab)
        if remembered in pharmacies:
            return str(remembered)
        if pharmacies:
            return pharmacies[0]
    return remembered or codes[0]


class SiteBox(QComboBox):
    def __init__(self, vocab: Vocabulary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Site")
        for code in vocab.codes("site"):
            self.addItem(vocab.label("site", code), code)

    def site(self) -> str:
        return str(self.currentData())

    def set_site(self, code: str) -> None:
        index = self.findData(code)
        if index >= 0:
            self.setCurrentIndex(index)
