"""The timeline of a case: every recorded fact and every derived milestone, by date.

Events are read through :func:`domain.history.read_history` as known at ``as_of``: a
corrected event shows its corrected content and links the correction; a retracted event
stays visible, marked as withdrawn, so staff see what was taken back and why; the
corrections and retractions themselves appear on the day they were recorded. A correction
of the opening that names another office is shown as what it is, a move of the case
(「事業所の移管: A → B(理由: …)」, with ``transfer: {from_office, to_office}``, who and when;
:mod:`domain.transfer`, docs/decisions/0031).

Milestones (``kind`` values, each with its rule id and source versions):

- ``milestone:eligible_from`` (ELIG-3), ``milestone:last_eligible_day`` (ELIG-4);
- ``milestone:support_end`` (JOB-1/3/4, END-1, PER-2) when support ends earlier than
  the last eligible day;
- ``milestone:job_change_deadline`` (JOB-2 met / JOB-3 open or passed);
- ``milestone:decision_ends`` (PER-1) for every 支給決定, ``milestone:renewal_due``
  (PER-1) for the one to renew;
- ``milestone:plan_review_due`` (PLAN-2, or PLAN-1 before any plan) as judged by
  :func:`projections.compliance.compliance` (its ``plan.review_due_by``).

``on`` is the day milestones are evaluated on (see :func:`projections.entitlement`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from domain.history import TOKYO, Fact, Recorded
from domain.payloads import EFFECTIVE_DATE_FIELD, TYPE_LABEL_JA
from domain.transfer import OfficeChange, office_changes
from projections.compliance import plan_status
from projections.entitlement import Derived, entitlement
from projections.explain import Explanation, explained
from projections.reading import Reading, read

_MILESTONE_LABEL_JA = {
    "eligible_from": "対象となる最初の日(就職後6か月経過の翌日)",
    "last_eligible_day": "対象となる最後の日(3年6か月の満了日)",
    "support_end": "支援の終了日",
    "job_change_deadline": "転職の期限(離職後1か月)",
    "decision_ends": "支給決定の終了日",
    "renewal_due": "支給決定の更新期限",
    "plan_review_due": "支援計画の見直し期限",
}
_MILESTONE_ORDER = {name: i for i, name in enumerate(_MILESTONE_LABEL_JA)}
#: PLAN-1: the first plan's due day (the same milestone kind; there is nothing to review yet).
FIRST_PLAN_LABEL_JA = "最初の支援計画の期限"
#: A correction that names another office for the case (domain.transfer).
TRANSFER_LABEL_JA = "事業所の移管"

_ASPECT_JA = {"duties": "業務内容", "supervisor": "上司", "workplace": "職場", "hours": "勤務時間",
              "contract": "雇用形態"}  # fmt: skip
_COUNTERPART_JA = {"person": "本人", "employer": "事業主", "family": "家族", "agency": "関係機関",
                   "medical": "医療機関"}  # fmt: skip
_MODE_JA = {"face_to_face": "対面", "online": "オンライン", "phone": "電話", "mail": "メール"}
_EVIDENCE_JA = {"employment_certificate": "在職証明書", "payslip": "給与明細",
                "insurance_card": "保険証の写し"}  # fmt: skip
_END_JA = {"period_expired": "期間満了", "resigned": "退職", "person_request": "本人の希望",
           "other": "その他"}  # fmt: skip


def _detail_ja(kind: str, p: Mapping[str, Any]) -> str:
    """The short detail after the type's name: what a staff member needs at a glance."""
    if kind == "hired":
        title = f" ({p['job_title']})" if p.get("job_title") else ""
        return f"{p['employer']['name']}{title}"
    if kind == "job_changed":
        return _ASPECT_JA[p["aspect"]]
    if kind == "contract_signed":
        return f"{p['support_from']}から支援開始"
    if kind == "decision_granted":
        return f"{p['valid_from']}〜{p['valid_to']}"
    if kind == "consent_given":
        return f"{p['consent_id']}({'書面' if p['written'] else '口頭'})"
    if kind == "consent_withdrawn":
        return str(p["consent_id"])
    if kind == "contact_recorded":
        return f"{_COUNTERPART_JA[p['counterpart']]}・{_MODE_JA[p['mode']]}"
    if kind == "support_report_shared":
        return f"{p['month']}分"
    if kind == "evidence_received":
        return _EVIDENCE_JA[p["kind"]]
    if kind == "support_ended":
        return _END_JA[p["reason"]]
    return ""


def event_label_ja(kind: str, payload: Mapping[str, Any]) -> str:
    """A short Japanese line for an event, e.g. 「就職: 株式会社サンプル (事務補助)」."""
    detail = _detail_ja(kind, payload)
    name = TYPE_LABEL_JA.get(kind, kind)
    return f"{name}: {detail}" if detail else name


@dataclass(frozen=True, slots=True)
class Timeline:
    """The entries of a case's timeline, in effective-date order."""

    entries: tuple[dict[str, Any], ...]

    def as_json(self) -> dict[str, Any]:
        return {"entries": [dict(e) for e in self.entries]}


def timeline(
    records: Sequence[Recorded] | Reading, on: date | None = None, as_of: datetime | None = None
) -> Timeline:
    """The timeline of a case as known at ``as_of``, with milestones evaluated on ``on``.

    ``records`` may be a :class:`~projections.reading.Reading`: its entitlement and plan
    are reused.
    """
    reading = read(records, on, as_of)
    return reading.memo("timeline", lambda: _timeline(reading))


def _timeline(reading: Reading) -> Timeline:
    history = reading.history
    after_leaving = _versions_after_leaving(history.facts)
    entries = [_fact_entry(f, f.version in after_leaving) for f in history.facts]
    entries += [_retracted_entry(rec, history.recorded) for rec in history.retracted.values()]
    moves = office_changes(history.recorded)
    entries += [
        _amendment_entry(rec, history.recorded, moves.get(rec.version))
        for rec in history.recorded
        if _amends(rec)
    ]
    entries += _milestones(reading)
    entries.sort(key=_order)
    return Timeline(tuple(entries))


def _order(entry: Mapping[str, Any]) -> tuple[str, int, int, int]:
    """Date, then events before milestones, then version (milestones: a fixed kind order)."""
    if "version" in entry:
        return (entry["date"], 0, entry["version"], 0)
    return (entry["date"], 1, 0, _MILESTONE_ORDER[entry["kind"].removeprefix("milestone:")])


def _amends(rec: Recorded) -> bool:
    return rec.type in ("event_corrected", "event_retracted")


# -- events ------------------------------------------------------------------------


def _base_entry(rec: Recorded, day: date, payload: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "date": day.isoformat(),
        "kind": rec.type,
        "label_ja": event_label_ja(rec.type, payload),
        "version": rec.version,
        "payload": dict(payload),
        "recorded_at": rec.recorded_at_text,
        "recorded_by": rec.recorded_by,
    }


def _fact_entry(fact: Fact, after_leaving: bool) -> dict[str, Any]:
    latest = fact.corrections[-1] if fact.corrections else None
    payload = latest.payload["replacement"] if latest else fact.recorded.payload
    entry = _base_entry(fact.recorded, fact.effective_on, payload)
    entry["corrected_by"] = [c.version for c in fact.corrections]
    entry["correction"] = None
    if latest is not None:
        entry["correction"] = {
            "version": latest.version,
            "reason": latest.payload["reason"],
            "original": dict(fact.recorded.payload),
        }
        entry["label_ja"] += f"(第{latest.version}版で訂正)"
    entry["retracted"] = None
    if fact.type == "job_changed":
        # JOB-6: no period moves, but a change at work is a known moment of risk (S003).
        entry["rule"] = "JOB-6"
        entry["label_ja"] += "(職場の変化は定着の危険が高まる時期です。期間は変わりません)"
    elif after_leaving:
        # JOB-5: coordination after leaving a job stays on the timeline.
        entry["rule"] = "JOB-5"
        entry["label_ja"] += "(離職後の連絡調整)"
    return entry


def _retracted_entry(retraction: Recorded, known: Sequence[Recorded]) -> dict[str, Any]:
    """A withdrawn event, as it read just before it was retracted."""
    target = int(retraction.payload["target_version"])
    original = next(r for r in known if r.version == target)
    corrections = [
        r for r in known if r.type == "event_corrected" and r.payload["target_version"] == target
    ]
    payload = corrections[-1].payload["replacement"] if corrections else original.payload
    day = date.fromisoformat(str(payload[EFFECTIVE_DATE_FIELD[original.type]]))
    entry = _base_entry(original, day, payload)
    entry["label_ja"] = f"【取消済】{entry['label_ja']}(第{retraction.version}版で取消)"
    entry["corrected_by"] = [c.version for c in corrections]
    entry["correction"] = None
    entry["retracted"] = {"version": retraction.version, "reason": retraction.payload["reason"]}
    return entry


def _amendment_entry(
    rec: Recorded, known: Sequence[Recorded], moved: OfficeChange | None
) -> dict[str, Any]:
    target = int(rec.payload["target_version"])
    target_type = next((r.type for r in known if r.version == target), "")
    entry = _base_entry(rec, rec.effective_on, rec.payload)
    what = TYPE_LABEL_JA.get(target_type, "記録")
    entry["label_ja"] = f"{TYPE_LABEL_JA[rec.type]}: 第{target}版({what})— {rec.payload['reason']}"
    entry.update(corrected_by=[], correction=None, retracted=None, target_version=target)
    if moved is not None:  # a correction of the opening's office moves the case (0031)
        entry["label_ja"] = _transfer_label_ja(rec, moved)
        entry["transfer"] = moved.as_json()
    return entry


def _transfer_label_ja(rec: Recorded, moved: OfficeChange) -> str:
    """「事業所の移管: A → B(理由: …)」 with who recorded it and when (Japan time)."""
    at = rec.recorded_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M")
    return (
        f"{TRANSFER_LABEL_JA}: {moved.from_office or '—'} → {moved.to_office}"
        f"(理由: {moved.reason})— {rec.recorded_by}、{at} 記録"
    )


def _versions_after_leaving(facts: Sequence[Fact]) -> set[int]:
    """Contacts and meetings between a resignation and the next hire (JOB-5)."""
    out: set[int] = set()
    left = False
    for fact in facts:
        if fact.type == "hired":
            left = False
        elif fact.type == "resigned":
            left = True
        elif left and fact.type in ("contact_recorded", "case_meeting_held"):
            out.add(fact.version)
    return out


# -- milestones ----------------------------------------------------------------------


def _milestone(name: str, day: date, why: Explanation, detail: str = "") -> dict[str, Any]:
    shown = why.as_json()
    return {
        "date": day.isoformat(),
        "kind": f"milestone:{name}",
        "label_ja": _MILESTONE_LABEL_JA[name] + detail,
        "rule": why.rule,
        "events": shown["events"],
        "text_ja": shown["text_ja"],
    }


def _derived(name: str, derived: Derived | None) -> list[dict[str, Any]]:
    if derived is None:
        return []
    return [_milestone(name, derived.date, derived.explanation)]


def _milestones(reading: Reading) -> list[dict[str, Any]]:
    ent = entitlement(reading)
    out = _derived("eligible_from", ent.eligible_from)
    out += _derived("last_eligible_day", ent.last_eligible_day)
    last = ent.last_eligible_day
    if ent.support_end is not None and (last is None or ent.support_end.date != last.date):
        out += _derived("support_end", ent.support_end)
    out += _derived("job_change_deadline", ent.job_change_deadline)
    for d in ent.decisions:
        text = f"支給決定({d.valid_from.isoformat()}から)は{d.valid_to.isoformat()}に終了します"
        why = explained("PER-1", text, d.sources)
        out.append(_milestone("decision_ends", d.valid_to, why, f"(第{d.version}版)"))
    out += _derived("renewal_due", ent.renewal_due_by)
    out += _plan_review(reading)
    return out


def _plan_review(reading: Reading) -> list[Any]:
    """PLAN-2: the next review's due day, as compliance judges it (one rule, one place);
    with no plan yet (PLAN-1) it is the first plan's due day, and named so."""
    plan = plan_status(reading)
    if plan.review_due_by is None:
        return []
    entry = _milestone("plan_review_due", plan.review_due_by, plan.explanation)
    if plan.explanation.rule == "PLAN-1":
        entry["label_ja"] = FIRST_PLAN_LABEL_JA
    return [entry]
