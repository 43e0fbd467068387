"""The overdose-risk level and its reasons, in a box whose size never changes.

Reasons come and go as the form is filled; a label in the form that grew with them moved every
chip below it (a click meant for one risk factor landed on another). The panel has a fixed
height and scrolls its own text instead.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from outreach.domain.risk import RiskAssessment

RISK_COLOURS = {"low": "#2e7d32", "raised": "#b26a00", "high": "#c62828", "very_high": "#8e0000"}
LINES = 4


class RiskPanel(QScrollArea):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Risk level")
        self.label = QLabel()
        self.label.setAccessibleName("Risk level")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        inner = QWidget()
        box = QVBoxLayout(inner)
        box.setContentsMargins(4, 2, 4, 2)
        box.addWidget(self.label)
        box.addStretch(1)
        self.setWidget(inner)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFixedHeight(self.fontMetrics().lineSpacing() * LINES + 10)

    def show_assessment(self, assessment: RiskAssessment) -> None:
        level = assessment.level.value
        colour = RISK_COLOURS.get(level, "black")
        reasons = "".join(f"<li>{escape(reason)}</li>" for reason in assessment.reasons)
        self.label.setText(
            f"Risk: <b style='color:{colour}'>{level.replace('_', ' ').upper()}</b> "
            f"(score {assessment.score})"
            + (f"<ul style='margin:0'>{reasons}</ul>" if reasons else "")
        )
        spoken = f"Risk {level.replace('_', ' ')}, score {assessment.score}"
        self.setAccessibleDescription(spoken + ". " + " ".join(assessment.reasons))

    def text(self) -> str:
        return self.label.text()
