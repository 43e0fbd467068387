"""Tests for the explainable overdose risk level."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outreach.domain.risk import (
    AGE_BANDS,
    FACTORS,
    INJECTING_VALUES,
    RISK_FACTOR_CODES,
    RiskAssessment,
    RiskLevel,
    assess_risk,
    is_high_risk,
    level_for_score,
    risk_level,
)
from outreach.errors import InvalidRecord

TICKABLE = sorted(RISK_FACTOR_CODES)
SUBSTANCES = [
    "heroin",
    "illicit_methadone",
    "synthetic_opioids",
    "crack",
    "cocaine",
    "benzodiazepines",
    "gabapentinoids",
    "alcohol",
    "spice",
    "other",
]
WEIGHT = re.compile(r"\(weight (\d+)")


def weights_in(assessment: RiskAssessment) -> list[int]:
    return [int(WEIGHT.search(reason).group(1)) for reason in assessment.reasons]  # type: ignore[union-attr]


def test_ticked_codes_match_design() -> None:
    """The tickable codes are exactly the risk_factors[] list in DESIGN.md."""
    assert set(TICKABLE) == {
        "prison_release_2w",
        "hospital_discharge_4w",
        "lost_tolerance",
        "previous_overdose",
        "using_alone",
        "polysubstance",
        "homeless",
        "respiratory_illness",
        "injecting",
        "aged_45_plus",
    }


def test_nothing_recorded_is_low() -> None:
    """No factors means score 0, level LOW and no reasons."""
    assert assess_risk([]) == RiskAssessment(RiskLevel.LOW, 0, ())


@pytest.mark.parametrize("code", TICKABLE)
def test_each_factor_adds_its_weight_with_one_reason(code: str) -> None:
    """Each ticked factor adds its table weight and exactly one reason naming that weight."""
    result = assess_risk([code])
    assert result.score == FACTORS[code].weight
    assert result.reasons == (f"{FACTORS[code].explanation} (weight {FACTORS[code].weight})",)


def test_example_reason_wording() -> None:
    """Prison release reads as the plain-English sentence from the brief."""
    assert assess_risk(["prison_release_2w"]).reasons == (
        "Released from prison in the last 2 weeks: tolerance is likely lost (weight 4)",
    )


@pytest.mark.parametrize(
    "code", ["prison_release_2w", "hospital_discharge_4w", "lost_tolerance", "previous_overdose"]
)
def test_strongest_factors_alone_are_high(code: str) -> None:
    """Each of the four strongest predictors is on its own enough for HIGH."""
    result = assess_risk([code])
    assert result.level is RiskLevel.HIGH
    assert is_high_risk(result)
    assert all(FACTORS[code].weight >= FACTORS[other].weight for other in FACTORS)


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0, RiskLevel.LOW),
        (1, RiskLevel.LOW),
        (2, RiskLevel.RAISED),
        (3, RiskLevel.RAISED),
        (4, RiskLevel.HIGH),
        (7, RiskLevel.HIGH),
        (8, RiskLevel.VERY_HIGH),
        (30, RiskLevel.VERY_HIGH),
        (-1, RiskLevel.LOW),
    ],
)
def test_thresholds(score: int, level: RiskLevel) -> None:
    """Scores map to levels at the documented boundaries 2, 4 and 8."""
    assert level_for_score(score) is level


@pytest.mark.parametrize(
    ("factors", "level"),
    [
        (["homeless"], RiskLevel.LOW),
        (["homeless", "aged_45_plus"], RiskLevel.RAISED),
        (["polysubstance"], RiskLevel.RAISED),
        (["polysubstance", "homeless"], RiskLevel.HIGH),
        (["injecting", "using_alone"], RiskLevel.HIGH),
        (["prison_release_2w", "lost_tolerance"], RiskLevel.VERY_HIGH),
        (TICKABLE, RiskLevel.VERY_HIGH),
    ],
)
def test_typical_combinations(factors: list[str], level: RiskLevel) -> None:
    """Realistic combinations land on the expected levels."""
    assert assess_risk(factors).level is level


def test_is_high_risk_only_for_high_and_very_high() -> None:
    """is_high_risk is true for HIGH and VERY_HIGH and false for LOW and RAISED."""
    assert not is_high_risk(RiskAssessment(RiskLevel.LOW, 0, ()))
    assert not is_high_risk(RiskAssessment(RiskLevel.RAISED, 3, ()))
    assert is_high_risk(RiskAssessment(RiskLevel.HIGH, 4, ()))
    assert is_high_risk(RiskAssessment(RiskLevel.VERY_HIGH, 9, ()))


@pytest.mark.parametrize("opioid", ["heroin", "illicit_methadone", "synthetic_opioids"])
@pytest.mark.parametrize("depressant", ["benzodiazepines", "gabapentinoids", "alcohol"])
def test_polysubstance_derived_from_substances(opioid: str, depressant: str) -> None:
    """An opioid with a depressant counts as polysubstance and the reason says it was derived."""
    result = assess_risk([], substances=[opioid, depressant])
    poly = [r for r in result.reasons if r.startswith(FACTORS["polysubstance"].explanation)]
    assert len(poly) == 1
    assert "derived from substances used" in poly[0]
    assert opioid.replace("_", " ") in poly[0]
    assert depressant in poly[0]


@pytest.mark.parametrize(
    "substances",
    [["heroin"], ["benzodiazepines", "alcohol"], ["crack", "cocaine", "alcohol"], ["spice"]],
)
def test_no_polysubstance_without_opioid_and_depressant(substances: list[str]) -> None:
    """Opioids alone or depressants alone do not count as polysubstance."""
    result = assess_risk([], substances=substances)
    assert not any(r.startswith(FACTORS["polysubstance"].explanation) for r in result.reasons)


def test_polysubstance_counted_once_when_ticked_and_derived() -> None:
    """Ticking polysubstance and recording the substances still counts it once, as ticked."""
    result = assess_risk(["polysubstance"], substances=["heroin", "alcohol"])
    assert result.score == FACTORS["polysubstance"].weight
    assert result.reasons == (
        f"{FACTORS['polysubstance'].explanation} (weight {FACTORS['polysubstance'].weight})",
    )


def test_synthetic_opioids_counted_from_substances() -> None:
    """Synthetic opioid use adds its own weight and reason."""
    result = assess_risk([], substances=["synthetic_opioids"])
    assert result.score == FACTORS["synthetic_opioids"].weight
    assert "nitazenes" in result.reasons[0]


def test_synthetic_opioids_not_a_tickable_code() -> None:
    """synthetic_opioids is a substance, not a risk-factor code a worker can tick."""
    with pytest.raises(InvalidRecord, match="unknown risk factor code: synthetic_opioids"):
        assess_risk(["synthetic_opioids"])


@pytest.mark.parametrize(
    ("injecting", "counted"),
    [("current", True), ("past", False), ("never", False), ("unknown", False), (None, False)],
)
def test_injecting_derived_only_from_current(injecting: str | None, counted: bool) -> None:
    """Only current injecting adds the injecting factor."""
    result = assess_risk([], injecting=injecting)
    assert (result.score == FACTORS["injecting"].weight) is counted
    if counted:
        assert "derived from injecting status: current" in result.reasons[0]


def test_injecting_counted_once_when_ticked_and_current() -> None:
    """Ticking injecting with current injecting status counts it once."""
    assert assess_risk(["injecting"], injecting="current").score == FACTORS["injecting"].weight


@pytest.mark.parametrize(
    ("age_band", "counted"),
    [
        ("under_18", False),
        ("18_24", False),
        ("35_44", False),
        ("45_54", True),
        ("55_64", True),
        ("65_plus", True),
        ("unknown", False),
        (None, False),
    ],
)
def test_aged_45_plus_derived_from_age_band(age_band: str | None, counted: bool) -> None:
    """Age bands from 45 upwards add the aged 45+ factor, saying which band."""
    result = assess_risk([], age_band=age_band)
    assert (result.score == FACTORS["aged_45_plus"].weight) is counted
    if counted:
        assert f"derived from age band {age_band.replace('_', '-')}" in result.reasons[0]  # type: ignore[union-attr]


def test_aged_counted_once_when_ticked_and_derived() -> None:
    """Ticking aged 45+ with an older age band counts it once."""
    assert assess_risk(["aged_45_plus"], age_band="55_64").score == 1


def test_reasons_ordered_by_weight() -> None:
    """Reasons run from heaviest to lightest weight."""
    result = assess_risk(
        ["homeless", "using_alone", "previous_overdose"],
        substances=["heroin", "gabapentinoids"],
        age_band="65_plus",
    )
    weights = weights_in(result)
    assert weights == sorted(weights, reverse=True)
    assert weights == [4, 3, 2, 1, 1]
    assert result.reasons[0].startswith("Has overdosed before")


def test_duplicates_count_once() -> None:
    """A factor listed twice is counted once."""
    assert assess_risk(["homeless", "homeless"]).score == 1


def test_accepts_any_iterable() -> None:
    """Generators and tuples work as well as lists."""
    result = assess_risk((c for c in ["homeless"]), substances=iter(["heroin", "alcohol"]))
    assert result.score == 4


@pytest.mark.parametrize("bad", ["overdose", "", "Homeless", "prison_release"])
def test_unknown_risk_factor_raises(bad: str) -> None:
    """Unknown risk factor codes raise InvalidRecord naming the code and field."""
    with pytest.raises(InvalidRecord, match="unknown risk factor code") as info:
        assess_risk(["homeless", bad])
    assert info.value.field == "risk_factors"


def test_bare_string_refused() -> None:
    """A single string instead of a list of codes is refused rather than split into letters."""
    with pytest.raises(InvalidRecord, match="list of codes"):
        assess_risk("homeless")
    with pytest.raises(InvalidRecord, match="list of codes"):
        assess_risk([], substances="heroin")


def test_unknown_injecting_and_age_band_raise() -> None:
    """Values outside the injecting and age band code lists raise InvalidRecord."""
    with pytest.raises(InvalidRecord) as info:
        assess_risk([], injecting="yes")
    assert info.value.field == "injecting"
    with pytest.raises(InvalidRecord) as info:
        assess_risk([], age_band="45+")
    assert info.value.field == "age_band"


def test_unknown_substances_ignored() -> None:
    """Substances the hub adds later do not break assessment."""
    assert assess_risk([], substances=["xylazine", "ketamine"]).score == 0


def test_level_is_str_enum() -> None:
    """Levels compare equal to their stored string values."""
    assert RiskLevel.VERY_HIGH == "very_high"
    assert assess_risk(["lost_tolerance"]).level.value == "high"


@given(
    factors=st.lists(st.sampled_from(TICKABLE), max_size=12),
    substances=st.lists(st.sampled_from([*SUBSTANCES, "xylazine"]), max_size=6),
    injecting=st.none() | st.sampled_from(sorted(INJECTING_VALUES)),
    age_band=st.none() | st.sampled_from(sorted(AGE_BANDS)),
)
def test_property_reasons_explain_every_point(
    factors: list[str], substances: list[str], injecting: str | None, age_band: str | None
) -> None:
    """Reasons' weights always sum to the score, are ordered, unique, and set the level."""
    result = assess_risk(factors, substances, injecting, age_band)
    weights = weights_in(result)
    assert sum(weights) == result.score
    assert weights == sorted(weights, reverse=True)
    assert len(set(result.reasons)) == len(result.reasons)
    assert len(result.reasons) >= len(set(factors))
    assert result.level is level_for_score(result.score)


@given(
    factors=st.lists(st.sampled_from(TICKABLE), max_size=10),
    extra=st.sampled_from(TICKABLE),
)
def test_property_more_factors_never_lower_risk(factors: list[str], extra: str) -> None:
    """Adding a factor never lowers the score or the level."""
    order = list(RiskLevel)
    before = assess_risk(factors)
    after = assess_risk([*factors, extra])
    assert after.score >= before.score
    assert order.index(after.level) >= order.index(before.level)


def test_a_factor_the_service_added_counts_the_default_weight_with_its_label() -> None:
    """A hub-added risk factor counts ADDED_FACTOR_WEIGHT, explained by its label; with another
    minor factor it raises the level, alone it cannot reach HIGH."""
    from outreach.domain.risk import ADDED_FACTOR_WEIGHT

    added = {"chemsex": "Chemsex"}
    alone = assess_risk(["chemsex"], added=added)
    assert (alone.score, alone.level) == (ADDED_FACTOR_WEIGHT, RiskLevel.LOW)
    assert alone.reasons == ("Chemsex (weight 1; added by your service)",)
    both = assess_risk(["homeless", "chemsex"], added=added)
    assert (both.score, both.level) == (2, RiskLevel.RAISED)
    assert both.reasons[0].startswith("Homeless") and both.reasons[1].startswith("Chemsex")
    with pytest.raises(InvalidRecord, match="unknown risk factor code: chemsex"):
        assess_risk(["chemsex"])  # not added: still unknown


def test_projection_scores_a_validated_record_with_an_added_factor() -> None:
    """`risk_level` (the facts projection) counts a code outside the table at the default
    weight: the record was validated against the lists that held it. synthetic_opioids stays
    derived-only."""
    assert risk_level(("chemsex",)) == "low"
    assert risk_level(("chemsex", "homeless")) == "raised"
    assert risk_level(("chemsex", "previous_overdose")) == "high"
    with pytest.raises(InvalidRecord, match="synthetic_opioids"):
        risk_level(("synthetic_opioids",))


def test_added_factors_are_the_vocabulary_codes_beyond_the_table() -> None:
    from outreach.domain.risk import added_factors
    from outreach.domain.vocab import Code, base_vocabulary

    assert added_factors(base_vocabulary()) == {}
    vocab = base_vocabulary().merged({"risk_factor": [Code("chemsex", "Chemsex")]})
    assert added_factors(vocab) == {"chemsex": "Chemsex"}


def test_added_injecting_values_and_age_bands_count_nothing_when_lists_are_extended() -> None:
    """The hub may extend any list: with `added` given (the forms, the projection) an injecting
    value or age band outside the table counts nothing instead of failing."""
    assert assess_risk(["homeless"], injecting="weekly", age_band="85_plus", added={}).score == 1
    assert risk_level(("homeless",), (), "weekly", "85_plus") == "low"
    with pytest.raises(InvalidRecord, match="unknown age band"):
        assess_risk([], age_band="85_plus")
