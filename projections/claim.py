"""Rules FEE-1..10 of spec/fees.md: the units one person's month earns, line by line.

A pure fold: the case's reading (its history at ``as_of``, evaluated on ``on``), the
office's 体制 as known at the same instant (:class:`domain.office.OfficeFacts`) and the fee
schedule (rule VER) give a :class:`PersonMonth`. Every line names its rule id, the
schedule version and file its value came from, the case and office events behind it,
and ⚠ where the value is ○ or the reading is an interpretation (docs/claim.md).

- The base fee (FEE-1) is earned only in a month MON makes billable (the compliance fold's
  own verdict); a month still open reads as not decided yet, one MON refuses earns no base
  fee, and its add-ons are not claimed either ⚠ (加算 are added to the base fee).
- The tier is the one the office notified for the fiscal year (体制届); without one, the
  tier the records compute (RATE ⚠) is used and says so.
- Percentages (FEE-8, FEE-9) are rounded half up to whole units ○; yen (where the office
  entered its 地域区分 unit price) are rounded down ⚠; 利用者負担 (FEE-10) is 10 % of the
  yen, capped by the person's category.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from domain.history import Fact
from domain.office import OfficeFacts
from domain.payloads import (
    ERASED,
    CaseMeetingHeld,
    CaseOpened,
    ContactRecorded,
    Hired,
    Resigned,
)
from domain.rules import mon
from domain.rules.cal import add_months, month_end, month_of, months_in
from domain.rules.schedule import NOT_REGISTERED_JA, Entry, FeeSchedule, Version, item_of
from projections.compliance import compliance
from projections.entitlement import entitlement
from projections.reading import Reading

NOT_BILLABLE_ADDON_JA = (
    "基本報酬を算定しない月のため算定しません(⚠ 加算は基本報酬に加えるものとして読んでいます)"
)


@dataclass(frozen=True, slots=True)
class ClaimLine:
    """One line of a person's month: a rule, its value, units, and where they came from."""

    rule: str
    title_ja: str
    units: int | None
    entry: Entry | None = None
    count: int = 1
    events: tuple[int, ...] = ()
    office_events: tuple[int, ...] = ()
    warning: bool = False
    note_ja: str | None = None
    #: 地域連携会議: 1 for (Ⅰ), 2 for (Ⅱ) (the 実績記録票's code); the day it was held.
    code: int | None = None
    day: dt.date | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule, "title_ja": self.title_ja, "units": self.units,
            "count": self.count,
            "value": self.entry.as_json() if self.entry else None,
            "schedule_version": self.entry.version if self.entry else None,
            "schedule_file": self.entry.file if self.entry else None,
            "certainty": self.entry.certainty if self.entry else None,
            "events": list(self.events), "office_events": list(self.office_events),
            "warning": self.warning or bool(self.entry and self.entry.uncertain),
            "note_ja": self.note_ja,
        }  # fmt: skip


@dataclass(frozen=True)
class PersonMonth:
    """What one person's month earns (units; yen and 利用者負担 where a unit price is known)."""

    month: str
    verdict: str
    reasons: tuple[dict[str, Any], ...]
    version: Version | None
    lines: tuple[ClaimLine, ...]
    units: int | None
    yen: int | None = None
    burden: dict[str, Any] | None = None
    unit_price: dict[str, Any] | None = None
    meeting: ClaimLine | None = None
    initial: dict[str, Any] | None = None
    special_area: bool = False
    problems: tuple[str, ...] = field(default_factory=tuple)
    #: The office's name as registered (its 体制, as known then): the 実績記録票 shows it.
    office_name: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "month": self.month, "verdict": self.verdict, "reasons": list(self.reasons),
            "schedule": self.version.as_json() if self.version else None,
            "lines": [ln.as_json() for ln in self.lines], "units": self.units,
            "unit_price": self.unit_price, "yen": self.yen, "user_burden": self.burden,
            "complete": self.units is not None and not self.problems,
            "problems_ja": list(self.problems),
            "warning": any(ln.warning or (ln.entry and ln.entry.uncertain) for ln in self.lines),
        }  # fmt: skip


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fiscal_year(month: str) -> int:
    year, mon_ = (int(p) for p in month.split("-"))
    return year if mon_ >= 4 else year - 1


def _first(month: str) -> dt.date:
    year, mon_ = (int(p) for p in month.split("-"))
    return dt.date(year, mon_, 1)


def person_month(
    reading: Reading, month: str, office: OfficeFacts, schedule: FeeSchedule,
    computed_rate: Fraction | None = None, version: Version | None = None,
) -> PersonMonth:  # fmt: skip
    """FEE-1..10 for one person's ``month``: the lines, the units and (with a unit price) yen.

    ``computed_rate``: the office's 就労定着率 for the month's fiscal year as the records
    compute it (RATE ⚠), used only when no tier was notified. ``version``: evaluate under
    this version instead of the one in force (VER-3's comparison).
    """
    version = version or schedule.for_month(month)
    comp = compliance(reading, from_month=_fy_first(month), to_month=month)
    this = next((m for m in comp.months if m.month == month), None)
    today = reading.on
    if this is None:
        verdict = "out_of_period"
        reasons: tuple[dict[str, Any], ...] = (
            {"rule": "PER-1", "text_ja": "この月は支援の対象期間外です", "events": []},
        )
    else:
        reasons = tuple(r.as_json() for r in this.reasons)
        if this.billable:
            verdict = "billable"
        else:
            verdict = "in_progress" if month >= month_of(today) else "unbillable"
    facts = reading.history.facts
    billable = verdict == "billable"
    problems: list[str] = []
    if version is None:
        problems.append(f"{month}: {NOT_REGISTERED_JA}(この月に施行されている版がありません)")
    lines: list[ClaimLine] = []
    f2f = _face_to_face(facts, month)
    base = _base_fee(version, office, month, billable, verdict, f2f, computed_rate, problems)
    lines.append(base)
    meeting = _meeting(facts, month, version, comp, billable)
    initial = _initial(reading, office, version, month, billable)
    special = _special_area(facts, month)
    for extra in (
        initial["line"] if initial else None,
        meeting,
        _office_addon(office, month, version, "retention_system", "addon.retention_system",
                      "FEE-4", billable),
        _office_addon(office, month, version, "job_coach", "addon.job_coach", "FEE-5", billable),
        _person_addon(version, "addon.special_area", "FEE-6", special, billable),
        _person_addon(version, "addon.cap_management", "FEE-7", _cap_managed(facts), billable),
    ):  # fmt: skip
        if extra is not None:
            lines.append(extra)
    lines += _reductions(office, month, version, base)
    subtotal = _sum(lines)
    treatment = _treatment(office, month, version, subtotal, billable)
    if treatment is not None:
        lines.append(treatment)
    units = _sum(lines)
    if units is None:
        problems.append("単位数が決まらない行があります(各行の説明を見てください)")
    price = office.unit_price(month)
    yen = burden = price_json = None
    if price is not None:
        rate = Decimal(str(price.payload["yen_per_unit"]))
        price_json = {"yen_per_unit": str(rate), "from_month": price.payload["from_month"],
                      "office_events": list(price.events), "warning": True,
                      "note_ja": "⚠ 単位数×単価の1円未満は切り捨てています"}  # fmt: skip
        if units is not None:
            yen = int((Decimal(units) * rate).quantize(Decimal(1), rounding=ROUND_DOWN))
            burden = _burden(facts, version, yen)
    registration = office.registration
    name = str(registration.payload["name"]) if registration is not None else None
    return PersonMonth(month, verdict, reasons, version, tuple(lines), units, yen, burden,
                       price_json, meeting, initial, special is not None,
                       tuple(problems), name)  # fmt: skip


def _fy_first(month: str) -> str:
    return f"{fiscal_year(month)}-04"


def _sum(lines: Sequence[ClaimLine]) -> int | None:
    if any(ln.units is None for ln in lines):
        return None
    return sum(ln.units or 0 for ln in lines)


# -- FEE-1 ------------------------------------------------------------------------------


def _face_to_face(facts: Sequence[Fact], month: str) -> list[Fact]:
    return [f for f in facts if f.type == "contact_recorded"
            and month_of(f.effective_on) == month
            and isinstance(f.payload, ContactRecorded)
            and mon.satisfies_face_to_face(f.payload)]  # fmt: skip


def _base_fee(
    version: Version | None, office: OfficeFacts, month: str, billable: bool, verdict: str,
    f2f: list[Fact], computed_rate: Fraction | None, problems: list[str],
) -> ClaimLine:  # fmt: skip
    title = "就労定着支援サービス費(基本報酬)"
    events = tuple(v for f in f2f for v in f.sources)
    if not billable:
        note = {"in_progress": "この月はまだ終わっていないため、請求できるかは未確定です",
                "out_of_period": "支援の対象期間外の月です"}.get(
            verdict, "MON により請求できない月のため、基本報酬は算定しません")  # fmt: skip
        return ClaimLine("FEE-1", title, 0, events=events, note_ja=note)
    if version is None:
        return ClaimLine("FEE-1", title, None, note_ja=NOT_REGISTERED_JA)
    year = fiscal_year(month)
    notified = office.tier(year)
    band = "any"
    office_events: tuple[int, ...] = ()
    notes: list[str] = []
    warning = False
    if version.banded():
        band_fact = office.band(year)
        if band_fact is None:
            problems.append(f"{year}年度の利用者数規模が登録されていません")
            note = f"{year}年度の利用者数規模(体制届)が登録されていません"
            return ClaimLine("FEE-1", title, None, events=events, note_ja=note)
        band = str(band_fact.payload["band"])
        office_events += band_fact.events
    if notified is not None:
        rate = Fraction(int(notified.payload["tier_percent"]), 100)
        office_events += notified.events
        notes.append(f"{year}年度に届け出た区分({notified.payload['tier_percent']}%以上)")
    elif computed_rate is not None:
        rate = computed_rate
        warning = True
        notes.append(f"⚠ {year}年度の区分の届出が未登録のため、記録から計算した就労定着率"
                     f"({float(rate * 100):.1f}%、RATE ⚠)で選んでいます")  # fmt: skip
    else:
        problems.append(f"{year}年度の就労定着率の区分が登録されていません")
        note = f"{year}年度の就労定着率の区分(体制届)が登録されていません"
        return ClaimLine("FEE-1", title, None, events=events, note_ja=note)
    entry = version.base_fee(rate, band)
    if entry is None:
        problems.append(f"{month}: {NOT_REGISTERED_JA}(基本報酬)")
        return ClaimLine("FEE-1", title, None, events=events, office_events=office_events,
                         warning=warning, note_ja=NOT_REGISTERED_JA)  # fmt: skip
    return ClaimLine("FEE-1", entry.item.title_ja, int(entry.value), entry, 1, events,
                     office_events, warning, "。".join(notes))  # fmt: skip


# -- add-ons ------------------------------------------------------------------------------


def _value_line(
    rule: str, title: str, version: Version | None, key: str, billable: bool,
    events: tuple[int, ...] = (), office_events: tuple[int, ...] = (), warning: bool = False,
    note: str | None = None, code: int | None = None, day: dt.date | None = None,
) -> ClaimLine:  # fmt: skip
    entry = version.get(key) if version else None
    title = title or item_of(key).title_ja
    if entry is None:
        return ClaimLine(rule, title, None, None, 1, events, office_events, warning,
                         NOT_REGISTERED_JA, code, day)  # fmt: skip
    if not billable:
        return ClaimLine(rule, entry.item.title_ja, 0, entry, 1, events, office_events, True,
                         NOT_BILLABLE_ADDON_JA, code, day)  # fmt: skip
    return ClaimLine(rule, entry.item.title_ja, int(entry.value), entry, 1, events,
                     office_events, warning, note, code, day)  # fmt: skip


def _meeting(
    facts: Sequence[Fact], month: str, version: Version | None, comp: Any, billable: bool
) -> ClaimLine | None:
    """FEE-3 ○: a 地域連携会議 (outside bodies took part, the plan explained): once a month,
    four times a fiscal year (counting earlier months of the year that earned it)."""
    held = _meetings_by_month(facts)
    found = held.get(month)
    if not found:
        return None
    first = found[0]
    payload = first.payload
    assert isinstance(payload, CaseMeetingHeld)
    code = 1 if payload.explained_by == "service_manager" else 2
    if version is not None and version.effective_from < dt.date(2021, 4, 1):
        before_r3 = "⚠ 令和3年度より前の加算は条件の記録がないため計算していません"
        return ClaimLine("FEE-3", "企業連携等調整特別加算", None, None, 1, first.sources, (), True,
                         before_r3)
    if version is not None and version.get("addon.regional_meeting_1") is None:
        key, note = "addon.liaison_r3", "令和3年度の定着支援連携促進加算(区分なし)"
    else:
        key = "addon.regional_meeting_1" if code == 1 else "addon.regional_meeting_2"
        note = "(Ⅰ) サービス管理責任者が説明" if code == 1 else "(Ⅱ) その他の職員が説明し報告"
    billable_months = {m.month for m in comp.months if m.billable}
    earlier = [m for m in held if _fy_first(month) <= m < month and m in billable_months]
    if len(earlier) >= 4:
        return ClaimLine("FEE-3", "地域連携会議実施加算", 0, version.get(key) if version else None,
                         1, first.sources, (), True,
                         f"この年度は既に4回算定しています({', '.join(earlier[:4])})",
                         code, first.effective_on)  # fmt: skip
    more = f"。この月の会議 {len(found)} 件のうち1件(月1回まで)" if len(found) > 1 else ""
    return _value_line("FEE-3", "地域連携会議実施加算", version, key, billable, first.sources,
                       note=note + more, code=code, day=first.effective_on)  # fmt: skip


def _meetings_by_month(facts: Sequence[Fact]) -> dict[str, list[Fact]]:
    out: dict[str, list[Fact]] = {}
    for f in facts:
        p = f.payload
        if isinstance(p, CaseMeetingHeld) and p.explained_by and p.outside_bodies:
            out.setdefault(month_of(f.effective_on), []).append(f)
    return out


def meeting_days(facts: Sequence[Fact], month: str) -> list[tuple[dt.date, int, tuple[int, ...]]]:
    """Every 地域連携会議 of ``month``: its day, code (1 = (Ⅰ), 2 = (Ⅱ)) and versions."""
    out = []
    for f in _meetings_by_month(facts).get(month, []):
        assert isinstance(f.payload, CaseMeetingHeld)
        out.append((f.effective_on, 1 if f.payload.explained_by == "service_manager" else 2,
                    f.sources))  # fmt: skip
    return out


def _initial(
    reading: Reading, office: OfficeFacts, version: Version | None, month: str, billable: bool
) -> dict[str, Any] | None:
    """FEE-2 ○ ⚠: once, in the month use starts, when the person came through a service
    this office does not run jointly."""
    ent = entitlement(reading)
    start: dt.date | None = None
    events: tuple[int, ...] = ()
    if ent.support_from is not None:
        start, events = ent.support_from.date, tuple(ent.support_from.explanation.events)
    elif ent.decisions:
        first = min(ent.decisions, key=lambda d: d.valid_from)
        start, events = first.valid_from, tuple(first.sources)
    if start is None:
        return None
    day30 = start + dt.timedelta(days=29)
    info: dict[str, Any] = {"start": start, "day30": day30, "events": events, "line": None}
    if month_of(start) != month:
        return info
    opened = reading.history.opened()
    assert opened is not None and isinstance(opened.payload, CaseOpened)
    prior = opened.payload.prior_service
    joint = office.joint_services(start)
    office_events = joint.events if joint else ()
    events = (*events, *opened.sources)
    if prior.run_jointly or (joint and prior.kind in joint.payload["services"]):
        jointly = "前のサービスをこの事業所が一体的に運営しているため算定しません"
        entry = version.get("addon.initial") if version else None
        info["line"] = ClaimLine("FEE-2", "初期加算", 0, entry, 1, events, office_events, True,
                                 jointly)
        return info
    known = prior.run_jointly is False or joint is not None
    note = None if known else "⚠ 前のサービスが一体的運営でないことは記録されていません"
    info["line"] = _value_line("FEE-2", "初期加算", version, "addon.initial", billable, events,
                               office_events, not known, note)  # fmt: skip
    return info


def _office_addon(
    office: OfficeFacts, month: str, version: Version | None, kind: str, key: str, rule: str,
    billable: bool,
) -> ClaimLine | None:  # fmt: skip
    found = [f for f in office.addons(month) if f.payload["addon"] == kind]
    if not found:
        return None
    fact = found[-1]
    warning, note = False, None
    if kind == "retention_system":
        reg = office.registration
        if reg is not None:
            designated = dt.date.fromisoformat(str(reg.payload["designated_on"]))
            if _first(month) < add_months(designated, 12):
                return ClaimLine(rule, "就労定着実績体制加算", 0, version.get(key) if version
                                 else None, 1, (), (*fact.events, *reg.events), True,
                                 "指定から1年目の事業所は算定できません")  # fmt: skip
    return _value_line(rule, "", version, key, billable, (), fact.events, warning, note)


def _special_area(facts: Sequence[Fact], month: str) -> tuple[int, ...] | None:
    """FEE-6 ○: the versions saying the person lives, or the employer is, in a 特別地域."""
    opened = next((f for f in facts if f.type == "case_opened"), None)
    if opened is not None and isinstance(opened.payload, CaseOpened):
        claim = opened.payload.claim
        if claim is not None and claim.special_area_home:
            return opened.sources
    last = month_end(_first(month))
    for hire in _employment(facts, _first(month), last):
        assert isinstance(hire.payload, Hired)
        if hire.payload.employer.special_area:
            return hire.sources
    return None


def _employment(facts: Sequence[Fact], first: dt.date, last: dt.date) -> list[Fact]:
    """Hires whose employment overlaps ``first``..``last`` (a resignation ends the latest)."""
    out: list[Fact] = []
    ordered = sorted((f for f in facts if f.type in ("hired", "resigned")),
                     key=lambda f: (f.effective_on, f.version))  # fmt: skip
    current: Fact | None = None
    for f in ordered:
        if isinstance(f.payload, Hired):
            current = f
            if f.effective_on <= last:
                out.append(f)
        elif isinstance(f.payload, Resigned) and current is not None and f.effective_on < first:
            if current in out:
                out.remove(current)
            current = None
    return out


def _cap_managed(facts: Sequence[Fact]) -> tuple[int, ...] | None:
    opened = next((f for f in facts if f.type == "case_opened"), None)
    if opened is not None and isinstance(opened.payload, CaseOpened):
        claim = opened.payload.claim
        if claim is not None and claim.cap_managed_here:
            return opened.sources
    return None


def _person_addon(
    version: Version | None, key: str, rule: str, events: tuple[int, ...] | None, billable: bool
) -> ClaimLine | None:
    if events is None:
        return None
    return _value_line(rule, "", version, key, billable, events)


# -- FEE-9, FEE-8 -------------------------------------------------------------------------


def _reductions(
    office: OfficeFacts, month: str, version: Version | None, base: ClaimLine
) -> list[ClaimLine]:
    """FEE-9 ○ ⚠: each 減算 of the month takes its percentage of the base fee (rounded half
    up), as a negative line."""
    out = []
    for fact in office.reductions(month):
        key = f"reduction.{fact.payload['kind']}"
        entry = version.get(key) if version else None
        if entry is None:
            out.append(ClaimLine("FEE-9", "減算", None, None, 1, (), fact.events, True,
                                 f"{key}: {NOT_REGISTERED_JA}"))  # fmt: skip
            continue
        units = None if base.units is None else -half_up(Decimal(base.units) * entry.value / 100)
        note = f"⚠ 基本報酬の{_pct(entry.value)}%を減じています(四捨五入)"
        out.append(ClaimLine("FEE-9", entry.item.title_ja, units, entry, 1, (), fact.events, True,
                             note))
    return out


def _treatment(
    office: OfficeFacts, month: str, version: Version | None, subtotal: int | None,
    billable: bool,
) -> ClaimLine | None:  # fmt: skip
    found = [f for f in office.addons(month) if f.payload["addon"] == "treatment"]
    if not found:
        return None
    fact = found[-1]
    level = str(fact.payload["level"])
    key = f"treatment.{level}"
    entry = version.get(key) if version else None
    # The schedule's own title when it knows the level, so a compare matches the lines
    # of two versions by one title whether or not each has a value.
    try:
        title = item_of(key).title_ja
    except KeyError:
        title = f"福祉・介護職員等処遇改善加算({level})"
    if entry is None:
        note = NOT_REGISTERED_JA
        if version is not None and version.effective_from < dt.date(2024, 6, 1):
            note = "○ 就労定着支援は令和6年6月より前は処遇改善加算の対象外と読んでいます"
        return ClaimLine("FEE-8", title, None if version is None or not billable else 0,
                         None, 1, (), fact.events, True, note)  # fmt: skip
    if not billable or subtotal is None:
        why = NOT_BILLABLE_ADDON_JA if not billable else "上の単位数が未確定です"
        return ClaimLine("FEE-8", entry.item.title_ja, 0 if not billable else None, entry, 1,
                         (), fact.events, True, why)
    units = half_up(Decimal(subtotal) * entry.value / 100)
    return ClaimLine("FEE-8", entry.item.title_ja, units, entry, 1, (), fact.events, True,
                     f"{subtotal}単位 × {_pct(entry.value)}%(四捨五入 ○)")  # fmt: skip


def _pct(value: Decimal) -> str:
    return format(value.normalize(), "f")


# -- FEE-10 -------------------------------------------------------------------------------


def _burden(facts: Sequence[Fact], version: Version | None, yen: int) -> dict[str, Any]:
    """FEE-10: 10 % of the cost (rounded down ⚠), capped by the person's category."""
    opened = next((f for f in facts if f.type == "case_opened"), None)
    claim = opened.payload.claim if opened and isinstance(opened.payload, CaseOpened) else None
    tenth = yen // 10
    if claim is None or claim.cap_category is None:
        return {"rule": "FEE-10", "yen": None, "ten_percent": tenth,
                "note_ja": "負担上限月額の区分が記録されていません"}  # fmt: skip
    if claim.cap_category == ERASED:
        return {"rule": "FEE-10", "yen": None, "ten_percent": tenth,
                "note_ja": "負担上限月額の区分は、本人の情報の消去により読めません"}  # fmt: skip
    entry = version.get(f"burden_cap.{claim.cap_category}") if version else None
    if entry is None:
        return {"rule": "FEE-10", "yen": None, "ten_percent": tenth,
                "note_ja": f"負担上限月額: {NOT_REGISTERED_JA}"}  # fmt: skip
    cap = int(entry.value)
    return {"rule": "FEE-10", "yen": min(tenth, cap), "ten_percent": tenth, "cap": entry.as_json(),
            "events": list(opened.sources) if opened else [],
            "note_ja": "⚠ 1割の1円未満は切り捨てています"}  # fmt: skip


# -- the office's months (VER-3) -----------------------------------------------------------


def months_between(first: str, last: str) -> list[str]:
    return months_in(_first(first), _first(last))
