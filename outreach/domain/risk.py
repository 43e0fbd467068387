"""Explainable opioid overdose risk level for one contact.

Workers need to see *why* someone is flagged, and reports ("high-risk contacts without a
kit") need one consistent rule, so the score is a plain weighted sum over the table below
and every point counted comes with a sentence saying where it came from.

Weights follow the evidence behind UK take-home naloxone guidance (PHE/OHID, ACMD):

* 4 — the strongest single predictors of a fatal overdose: release from prison in the last
  two weeks and discharge from hospital in the last four (both mean lost tolerance and
  disrupted supply), known loss of tolerance (e.g. after detox or abstinence), and a
  previous overdose. Any one of these alone reaches HIGH.
* 3 — opioids taken with other depressants (benzodiazepines, gabapentinoids, alcohol),
  which multiply respiratory depression and feature in most UK drug deaths.
* 2 — current injecting; using alone (nobody to respond); synthetic opioids such as
  nitazenes or fentanyl, whose strength is unpredictable.
* 1 — homelessness, respiratory illness (COPD, asthma) and age 45 or over.

Thresholds on the total: 0-1 LOW, 2-3 RAISED, 4-7 HIGH, 8 or more VERY_HIGH.

A risk factor a service adds through the hub's reference data (`outreach-hub reference`) counts
ADDED_FACTOR_WEIGHT (1), the lowest weight, explained by its label: the level of a contact must
be the same on every device and on the hub whenever it was worked out, so it may not depend on
reference data that a device may not yet hold or that could change later. A factor that should
weigh more belongs in the table above, in a release (docs/decisions.md, "Hub-added codes").
"""

from __future__ import annotations

import enum
import functools
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from outreach.domain.vocab import Vocabulary
from outreach.errors import InvalidRecord

__all__ = [
    "FACTORS",
    "RiskAssessment",
    "RiskLevel",
    "added_factors",
    "assess_recorded",
    "assess_risk",
    "is_high_risk",
    "level_for_score",
    "risk_level",
]

log = logging.getLogger(__name__)


class RiskLevel(enum.StrEnum):
    LOW = "low"
    RAISED = "raised"
    HIGH = "high"
    VERY_HIGH = "very_high"


@dataclass(frozen=True)
class Factor:
    """One row of the risk table: its weight and the sentence shown to the worker."""

    weight: int
    explanation: str


FACTORS: Mapping[str, Factor] = MappingProxyType(
    {
        "prison_release_2w": Factor(
            4, "Released from prison in the last 2 weeks: tolerance is likely lost"
        ),
        "hospital_discharge_4w": Factor(
            4, "Discharged from hospital in the last 4 weeks: tolerance is likely lost"
        ),
        "lost_tolerance": Factor(
            4, "Lost tolerance (e.g. after detox or a break in use): a usual dose can be fatal"
        ),
        "previous_overdose": Factor(
            4, "Has overdosed before: the strongest predictor of a future overdose"
        ),
        "polysubstance": Factor(
            3,
            "Uses opioids with other depressants (benzodiazepines, gabapentinoids or alcohol): "
            "together they stop breathing more easily",
        ),
        "injecting": Factor(2, "Currently injecting: the drug acts faster and more strongly"),
        "using_alone": Factor(2, "Uses alone: nobody is there to give naloxone or call 999"),
        "synthetic_opioids": Factor(
            2,
            "Uses synthetic opioids (e.g. nitazenes, fentanyl): far stronger than heroin "
            "and of unpredictable strength",
        ),
        "homeless": Factor(1, "Homeless: more likely to use alone, in a hurry or in hiding"),
        "respiratory_illness": Factor(
            1, "Has a respiratory illness (e.g. COPD, asthma): breathing is already weakened"
        ),
        "aged_45_plus": Factor(1, "Aged 45 or over: physical health raises overdose risk"),
    }
)
"""The risk table, strongest first. `synthetic_opioids` is derived from substances only."""

RISK_FACTOR_CODES = frozenset(FACTORS) - {"synthetic_opioids"}
"""Codes a worker can tick in a contact's risk_factors[] (the shipped list; the hub may add)."""
ADDED_FACTOR_WEIGHT = 1
"""What a risk factor added by the service's reference data weighs (see the module docstring)."""

OPIOIDS = frozenset({"heroin", "illicit_methadone", "synthetic_opioids"})
DEPRESSANTS = frozenset({"benzodiazepines", "gabapentinoids", "alcohol"})
INJECTING_VALUES = frozenset({"current", "past", "never", "unknown"})
AGE_BANDS = frozenset(
    {"under_18", "18_24", "25_34", "35_44", "45_54", "55_64", "65_plus", "unknown"}
)
AGED_45_PLUS_BANDS = frozenset({"45_54", "55_64", "65_plus"})

THRESHOLDS: tuple[tuple[int, RiskLevel], ...] = (
    (8, RiskLevel.VERY_HIGH),
    (4, RiskLevel.HIGH),
    (2, RiskLevel.RAISED),
    (0, RiskLevel.LOW),
)
"""Lowest score for each level, checked from the top."""


@dataclass(frozen=True)
class RiskAssessment:
    """The level, the score behind it, and one sentence per counted factor (heaviest first)."""

    level: RiskLevel
    score: int
    reasons: tuple[str, ...]
    codes: tuple[str, ...] = ()
    """The factor codes counted, in the order of `reasons`."""


def level_for_score(score: int) -> RiskLevel:
    """Return the risk level a total score falls in."""
    for minimum, level in THRESHOLDS:
        if score >= minimum:
            return level
    return RiskLevel.LOW


def assess_risk(
    risk_factors: Iterable[str],
    substances: Iterable[str] = (),
    injecting: str | None = None,
    age_band: str | None = None,
    *,
    added: Mapping[str, str] | None = None,
) -> RiskAssessment:
    """Score a contact's overdose risk and explain every point.

    Ticked factors count as given. Polysubstance, injecting and aged 45+ are also derived
    from the substances, injecting and age band fields when not ticked (the reason says
    so); each factor counts once however it was found. `added` maps the risk factors the
    service's reference data added to their labels (`added_factors`): each counts
    ADDED_FACTOR_WEIGHT. Other unknown risk-factor codes raise `InvalidRecord`, and so do
    unknown injecting or age-band codes unless `added` is given (the caller's lists may extend
    those too: an added injecting value or age band counts nothing). Unknown substances are
    ignored because that list is extensible reference data and only its opioid and depressant
    groups matter here.
    """
    if isinstance(risk_factors, str):
        raise InvalidRecord("risk factors must be a list of codes", field="risk_factors")
    ticked = set(risk_factors)
    labels = added if added is not None else {}
    extra = {code: labels[code] for code in ticked - RISK_FACTOR_CODES if code in labels}
    unknown = sorted(ticked - RISK_FACTOR_CODES - set(extra))
    if unknown:
        raise InvalidRecord(f"unknown risk factor code: {', '.join(unknown)}", field="risk_factors")
    if injecting is not None and injecting not in INJECTING_VALUES:
        if added is None:
            raise InvalidRecord(f"unknown injecting value: {injecting}", field="injecting")
        injecting = None
    if age_band is not None and age_band not in AGE_BANDS:
        if added is None:
            raise InvalidRecord(f"unknown age band: {age_band}", field="age_band")
        age_band = None
    if isinstance(substances, str):
        raise InvalidRecord("substances must be a list of codes", field="substances")

    used = set(substances)
    derived = _derived_factors(used, injecting, age_band)
    counted: list[tuple[int, str, str]] = []  # weight, code, reason
    for code, factor in FACTORS.items():
        if code in ticked:
            counted.append((factor.weight, code, f"{factor.explanation} (weight {factor.weight})"))
        elif code in derived:
            note = f"weight {factor.weight}; {derived[code]}"
            counted.append((factor.weight, code, f"{factor.explanation} ({note})"))
    for code in sorted(extra):
        note = f"weight {ADDED_FACTOR_WEIGHT}; added by your service"
        counted.append((ADDED_FACTOR_WEIGHT, code, f"{extra[code]} ({note})"))
    counted.sort(key=lambda item: -item[0])  # stable: table order within a weight, added last
    score = sum(weight for weight, _, _ in counted)
    return RiskAssessment(
        level=level_for_score(score),
        score=score,
        reasons=tuple(reason for _, _, reason in counted),
        codes=tuple(code for _, code, _ in counted),
    )


def added_factors(vocab: Vocabulary) -> dict[str, str]:
    """The risk factors `vocab` has beyond the shipped table (the hub's additions), with labels."""
    return {
        code: vocab.label("risk_factor", code)
        for code in vocab.code_set("risk_factor") - RISK_FACTOR_CODES
        if code not in FACTORS
    }


class _Validated(Mapping[str, str]):
    """Every code outside the table, labelled by itself: for records already validated against
    the vocabulary that held them (the projection), where a code outside the table can only be
    one the service added."""

    def __getitem__(self, code: str) -> str:
        if code in FACTORS:
            raise KeyError(code)  # synthetic_opioids: derived from substances, never ticked
        return code.replace("_", " ").capitalize()

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and bool(code) and code not in FACTORS

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


_VALIDATED = _Validated()


def assess_recorded(
    risk_factors: Iterable[str],
    substances: Iterable[str] = (),
    injecting: str | None = None,
    age_band: str | None = None,
) -> RiskAssessment:
    """`assess_risk` for a record already validated against the lists that held it (the facts
    projection, client summaries): a risk factor outside the table is one the service added and
    counts ADDED_FACTOR_WEIGHT, labelled by its code; an injecting value or age band outside
    the table counts nothing. So every place that scores a stored contact gives it one level."""
    return assess_risk(risk_factors, substances, injecting, age_band, added=_VALIDATED)


@functools.lru_cache(maxsize=4096)
def risk_level(
    risk_factors: tuple[str, ...],
    substances: tuple[str, ...] = (),
    injecting: str | None = None,
    age_band: str | None = None,
) -> str:
    """`assess_risk(...).level` as a code for a validated record, cached: the facts projection
    asks it for every contact, and a few hundred combinations of answers cover nearly all of
    them. A risk factor outside the table counts ADDED_FACTOR_WEIGHT: the record was validated
    against the vocabulary that held it (one the hub added). Errors are not cached."""
    return assess_recorded(risk_factors, substances, injecting, age_band).level.value


def is_high_risk(assessment: RiskAssessment) -> bool:
    """Return whether the contact should be followed up for a kit (HIGH or VERY_HIGH)."""
    return assessment.level in (RiskLevel.HIGH, RiskLevel.VERY_HIGH)


def _derived_factors(
    substances: set[str], injecting: str | None, age_band: str | None
) -> dict[str, str]:
    """Return factors implied by other fields, each with a note on where it came from."""
    derived: dict[str, str] = {}
    opioids = sorted(substances & OPIOIDS)
    depressants = sorted(substances & DEPRESSANTS)
    if opioids and depressants:
        names = ", ".join(s.replace("_", " ") for s in (*opioids, *depressants))
        derived["polysubstance"] = f"derived from substances used: {names}"
    if "synthetic_opioids" in substances:
        derived["synthetic_opioids"] = "from substances used"
    if injecting == "current":
        derived["injecting"] = "derived from injecting status: current"
    if age_band in AGED_45_PLUS_BANDS:
        derived["aged_45_plus"] = f"derived from age band {age_band.replace('_', '-')}"
    return derived
