"""The top of the case page after a write (issue 20): what was recorded, in words, and
the record a new case needs next.

The notice reads the record from the page's own timeline (as corrected, retractions
shown), so it says 「2026-12-03 本人・対面の支援記録を記録しました」 rather than a version
number, and offers 訂正 and 取消 beside it. ``?recorded=N`` follows a write,
``?already=N`` a form sent again (nothing new stored), ``?resent=N`` a form sent again
with other content (nothing stored: api.web.once).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from api.web.amend import amendable
from domain.payloads import AMENDMENT_TYPES, TYPE_LABEL_JA
from projections.timeline import event_label_ja

OUTCOMES = ("recorded", "already", "resent")
Entry = dict[str, Any]


def notice(entries: Sequence[Entry], query: Mapping[str, str]) -> dict[str, Any] | None:
    """The notice the query asks for: its outcome, its sentence, the record's version
    (the timeline entry to link) and the version 訂正/取消 apply to (None: neither)."""
    outcome = next((o for o in OUTCOMES if query.get(o)), None)
    if outcome is None:
        return None
    raw = query[outcome]
    version = int(raw) if raw.isdigit() else None
    entry = next((e for e in entries if "version" in e and e["version"] == version), None)
    if entry is None:  # shown as of an earlier instant, or a number from elsewhere
        return {"outcome": outcome, "text": _GENERIC[outcome], "version": None, "amend": None}
    what, fact = _what(entries, entry)
    texts = {
        "recorded": f"{what}を記録しました。",
        "already": f"この内容はすでに記録されています: {what}。"
        "もう一度送信された内容は記録していません。",
        "resent": f"このフォームは前に送信され、{what}として記録されています。"
        "今回送信された内容は記録していません。その記録を直すときは「訂正」から、"
        "別の記録を加えるときは下のフォームから記録してください。",
    }
    amend = fact if fact is not None and amendable(fact) else None
    return {
        "outcome": outcome,
        "text": texts[outcome],
        "version": entry["version"],
        "amend": amend["version"] if amend is not None else None,
        "retractable": amend is not None and amend["kind"] != "case_opened",
    }


_GENERIC = {
    "recorded": "記録しました。",
    "already": "この内容はすでに記録されています。もう一度送信された内容は記録していません。",
    "resent": "このフォームは前に送信され、記録されています。"
    "今回送信された内容は記録していません。",
}


def _what(entries: Sequence[Entry], entry: Entry) -> tuple[str, Entry | None]:
    """The record in words (a correction or retraction: of what), and the fact 訂正 and
    取消 apply to."""
    if entry["kind"] not in AMENDMENT_TYPES:
        return described(entry), entry
    target = entry.get("target_version")
    fact = next((e for e in entries if e.get("version") == target
                 and e["kind"] not in AMENDMENT_TYPES), None)  # fmt: skip
    what = described(fact) if fact else "記録"
    return f"{what}の{TYPE_LABEL_JA[entry['kind']]}", fact


def described(entry: Entry) -> str:
    """「2026-12-03 本人・対面の支援記録」: the day it took effect, what, of which kind."""
    kind, payload = entry["kind"], entry.get("payload") or {}
    name = TYPE_LABEL_JA.get(kind, kind)
    label = event_label_ja(kind, payload)
    detail = label.removeprefix(f"{name}: ") if label.startswith(f"{name}: ") else ""
    return f"{entry['date']} {detail}の{name}" if detail else f"{entry['date']} {name}"


# -- the next record -------------------------------------------------------------------

#: The records a case needs before support, in the order they usually come.
_STEPS = ("hired", "contract_signed", "decision_granted")
_CLOSED = ("ended", "expired")


def next_step(
    kinds: set[str], ent: Mapping[str, Any], plan: Mapping[str, Any], on: date
) -> dict[str, str] | None:
    """The record to propose next (its type, the link's words, why), or None.

    就職 first (it fixes the day support can start, ELIG-3), then 利用契約 and 支給決定;
    once support can start (ELIG-3) and none is recorded, the first plan (PLAN-1).
    """
    if ent.get("status") in _CLOSED:
        return None
    start = ent.get("eligible_from")
    missing = next((k for k in _STEPS if k not in kinds), None)
    if missing == "hired":
        why = (
            "就職日を記録すると、支援の対象となる日(就職日から6か月経過の翌日、ELIG-3)が"
            "決まります。"
        )
        return {"type": "hired", "label": "就職を記録する", "why": why}
    can_start = f"支援を開始できるのは{start}からです(ELIG-3)。" if start else ""
    if missing == "contract_signed":
        why = f"{can_start}利用契約の締結日と支援の開始日を記録します。"
        return {"type": missing, "label": "利用契約を記録する", "why": why}
    if missing == "decision_granted":
        why = f"{can_start}受給者証の支給決定の期間を記録します。"
        return {"type": missing, "label": "支給決定を記録する", "why": why}
    due = plan.get("review_due_by")
    if "plan_revised" not in kinds and start and on.isoformat() >= start and due:
        why = f"最初の支援計画の期限は{due}です(PLAN-1)。本人の同意を得て交付した計画を記録します。"
        return {"type": "plan_revised", "label": "最初の支援計画を記録する", "why": why}
    return None
