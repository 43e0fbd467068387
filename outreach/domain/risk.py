"""Explainable overdose risk level from what a contact records.

An additive score over weighted factors, each with the sentence that explains it, so a worker can
see *why* someone is flagged. The weights follow the evidence on opioid overdose deaths: loss of
tolerance after prison or hospital, and a previous overdose, are the strongest predictors; mixing
opioids with other depressants and using alone make an overdose likelier to be fatal.

Thresholds: score >= 7 very high, >= 4 high, >= 2 raised, else low.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable

from outreach.errors import InvalidRecord

# factor -> (weight, explanation)
WEIGHTS: dict[str, tuple[int, str]] = {
    "prison_release_2w": (3, "Released from prison in the last 2 weeks: tolerance is likely lost"),
    "hospital_discharge_4w": (3, "Left hospital in the last 4 weeks: tolerance may be lost"),
    "lost_tolerance": (3, "Reduced tolerance (a break from using)"),
    "previous_overdose": (3, "Has overdosed before: the strongest sign of another"),
    "polysubstance": (2, "Mixes opioids with other depressants (benzos, gabapentinoids, alcohol)"),
    "using_alone": (2, "Uses alone: nobody to give naloxone or call 999"),
    "injecting": (1, "Injects: faster onset, higher overdose risk"),
    "respiratory_illness": (1, "Respiratory illness (COPD, asthma) worsens opioid overdose"),
    "homeless": (1, "Homeless or rough sleeping"),
    "aged_45_plus": (1, "Aged 45 or over: overdose deaths are concentrated in older users"),
}
OPIOIDS = frozenset({"heroin", "illicit_methadone", "synthetic_opioids"})
DEPRESSANTS = frozenset({"benzodiazepines", "gabapentinoids", "alcohol"})
OLDER_BANDS = frozenset({"45_54", "55_64", "65_plus"})
THRESHOLDS = ((7, "very_high"), (4, "high"), (2, "raised"))


class RiskLevel(enum.StrEnum):
    LOW = "low"
    RAISED = "raised"
    HIGH = "high"
    VERY_HIGH = "very_high"


@dataclasses.dataclass(frozen=True)
class RiskAssessment:
    level: RiskLevel
    score: int
    reasons: tuple[str, ...]


def assess_risk(
    risk_factors: Iterable[str],
    substances: Iterable[str] = (),
    injecting: str | None = None,
    age_band: str | None = None,
) -> RiskAssessment:
    """Score the ticked factors plus those the rest of the record implies, with a reason each."""
    factors = dict.fromkeys(risk_factors, "")
    unknown = [f for f in factors if f not in WEIGHTS]
    if unknown:
        raise InvalidRecord(f"unknown risk factor '{unknown[0]}'", field="risk_factors")
    used = set(substances)
    if used & OPIOIDS and used & DEPRESSANTS and "polysubstance" not in factors:
        factors["polysubstance"] = " (from the substances recorded)"
    if injecting == "current" and "injecting" not in factors:
        factors["injecting"] = " (from injecting status)"
    if age_band in OLDER_BANDS and "aged_45_plus" not in factors:
        factors["aged_45_plus"] = " (from age band)"
    ranked = sorted(factors.items(), key=lambda item: -WEIGHTS[item[0]][0])
    score = sum(WEIGHTS[factor][0] for factor, _ in ranked)
    reasons = tuple(
        f"{WEIGHTS[factor][1]}{note} (weight {WEIGHTS[factor][0]})" for factor, note in ranked
    )
    level = next((RiskLevel(name) for limit, name in THRESHOLDS if score >= limit), RiskLevel.LOW)
    return RiskAssessment(level, score, reasons)


def is_high_risk(assessment: RiskAssessment) -> bool:
    return assessment.level in (RiskLevel.HIGH, RiskLevel.VERY_HIGH)
