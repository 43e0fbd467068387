"""The commissioner set's tables, declared once: a record type's counts by one counted field
(the record-type registry checks the field and names its code list)."""

from __future__ import annotations

import dataclasses

from outreach.records import registry


@dataclasses.dataclass(frozen=True)
class ReportTable:
    """One published table: a record type's counts by one of its counted fields (registry)."""

    name: str
    title: str
    kind: str
    field: str

    @property
    def vocab(self) -> str:
        """The code list of the field, as the record type declares it ("" if none)."""
        struct = registry.struct_of(self.kind)
        coded = {**getattr(struct, "CODED", {}), **getattr(struct, "CODED_LISTS", {})}
        return coded.get(self.field, _UNDECLARED_LISTS.get(self.field, ""))


# Referrals are structs (destination and code), counted by destination: no CODED entry.
_UNDECLARED_LISTS = {"referrals": "referral_to"}
TABLES = (
    ReportTable("kits_by_product", "Kits by product", "kit_issue", "product"),
    ReportTable("kits_by_recipient", "Kits by recipient", "kit_issue", "recipient"),
    ReportTable("kits_by_site", "Kits by site (outlet)", "kit_issue", "site"),
    ReportTable("kits_by_supply", "Kits: first or repeat supply", "kit_issue", "supply"),
    ReportTable("repeat_kits_by_reason", "Repeat kits by reason", "kit_issue", "resupply_reason"),
    ReportTable("kits_by_training", "Kits by training given", "kit_issue", "training"),
    ReportTable(
        "naloxone_use_by_outcome", "Naloxone use reports by outcome", "naloxone_use", "outcome"
    ),
    ReportTable(
        "naloxone_use_by_administered_by",
        "Naloxone use reports by who gave it",
        "naloxone_use",
        "administered_by",
    ),
    ReportTable(
        "naloxone_use_by_ambulance",
        "Naloxone use reports: ambulance called",
        "naloxone_use",
        "ambulance_called",
    ),
    ReportTable("contacts_by_setting", "Contacts by setting", "contact", "setting"),
    ReportTable("interventions", "Contacts by intervention", "contact", "interventions"),
    ReportTable("referrals_by_destination", "Referrals by destination", "contact", "referrals"),
)


def counted_fields(kind: str) -> tuple[str, ...]:
    """The fields the set counts `kind` by, site first; each checked against the registry
    (ValueError for a table over a field its record type does not count)."""
    fields = (
        "site",
        *dict.fromkeys(t.field for t in TABLES if t.kind == kind and t.field != "site"),
    )
    known = registry.count_fields().get(kind, ())
    missing = [field for field in fields if field not in known]
    if missing:
        raise ValueError(f"the commissioner set counts {kind} by {missing}: not counted fields")
    return fields


__all__ = ["TABLES", "ReportTable", "counted_fields"]
