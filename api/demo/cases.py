"""The demo office's stories: one fictional case per scenario, dated back from today.

Names, numbers and employers are obviously fictional (見本 = sample, 架空 = fictional).
Each story says in the domain's words what happened; :mod:`api.demo.load` records it. All
period arithmetic is the calendar module's (rule CAL); here only days are counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any

from api.demo.story import OFFICE, OTHER_OFFICE, Story
from domain.rules.cal import (
    add_months,
    day_after,
    month_start,
    months_in,
    next_period_start,
    period_end,
)

CENTER = "なかの障害者就業・生活支援センター(架空)"
CONSULT = "相談支援事業所みほん(架空)"
SHOP, TRUCKS, BOOKS = "株式会社みほん商事(架空)", "架空物流株式会社", "株式会社ためし書店(架空)"
WORKS = "架空精工株式会社"
INFO = ["就労状況", "支援レポート", "健康状態"]
GOALS = [["生活リズムを整えて遅刻なく出勤する"], ["困ったときに上司へ相談できる"]]

Ago = Callable[..., date]


def _days(n: int) -> timedelta:
    return timedelta(days=n)


def _story(scenario: str, person: str, number: int, hired_on: date, **opts: Any) -> Story:
    """A case opened two weeks before the hire (the previous service ended the day before)."""
    name, kana = person.split("/")
    office = opts.get("office", OFFICE)
    opened_on = opts.get("opened_on", hired_on - _days(14))
    prior = {"kind": opts.get("kind", "employment_transition"), "ended_on": opened_on - _days(1)}
    prior.update(opts.get("prior", {}))
    opened = {
        "person": {"name": name, "name_kana": kana},
        "recipient_number": f"{number:010d}",
        "municipality_code": "131016" if office == OFFICE else "271004",
        "office_id": office,
        "prior_service": prior,
        "opened_on": opened_on,
    }
    return Story(scenario, opened, opts.get("entered", opened_on), office)


def _hire(s: Story, on: date, employer: str, **kw: Any) -> None:
    s.add("hired", hired_on=on, employer={"name": employer}, weekly_hours=30, disclosed=True, **kw)


def _contact(s: Story, on: date, counterpart: str, summary: str, **kw: Any) -> None:
    kw.setdefault("mode", "face_to_face")
    s.add("contact_recorded", contact_on=on, counterpart=counterpart, summary=summary, **kw)


def _consent(s: Story, cid: str, on: date, parties: list[str], **kw: Any) -> None:
    kw.setdefault("information", INFO)
    s.add("consent_given", consent_id=cid, given_on=on, written=True, parties=parties, **kw)


def _start_support(s: Story, employer: str, start: date, years: int, last: date | None) -> None:
    """Written consent and contract two weeks before support starts, then yearly decisions."""
    signed = start - _days(14)
    _consent(s, "C-1", signed, [employer, CONSULT], purpose="就労定着支援のための情報共有")
    s.add("contract_signed", signed_on=signed, support_from=start)
    for _ in range(years):
        end = period_end(start, 12)  # PER-1: one year at a time
        if last is not None:
            end = min(end, last)  # PER-2/PER-3: never past the ELIG-4 day
        evidence = start - _days(12)
        s.add("evidence_received", received_on=evidence, kind="employment_certificate",
              covers_on=evidence)  # fmt: skip
        s.add("decision_granted", decided_on=start - _days(10), valid_from=start, valid_to=end)
        start = day_after(end)
        if last is not None and start > last:
            return


def _supported(
    scenario: str, person: str, number: int, hired: date, employer: str, years: int, **opts: Any
) -> tuple[Story, date]:
    """A case hired at ``employer`` with support from the ELIG-3 day; returns it and that day."""
    s = _story(scenario, person, number, hired, **opts)
    _hire(s, hired, employer)
    base = opts.get("base", hired)
    start = next_period_start(base, 6)  # ELIG-3
    _start_support(s, employer, start, years, opts.get("last"))
    return s, start


def _monthly(
    s: Story, first: date, last: date, employer: str | None, **opts: Iterable[str]
) -> None:
    """MON-1 face-to-face, MON-3 employer visit and MON-4 report for every month.

    ``phone_only`` months have only a phone call; ``no_report`` months no report. Employer
    visits stop at ``last`` (the person may have left); the last month's report is still
    shared the next month.
    """
    for month in months_in(first, last):
        start = date.fromisoformat(f"{month}-01")
        if month in opts.get("phone_only", ()):
            _contact(s, start.replace(day=8), "person", "電話で近況確認(対面できず)", mode="phone")
        else:
            _contact(s, start.replace(day=8), "person", "近況の確認と振り返り", place="事業所")
        if employer is not None and start.replace(day=15) <= last:
            _contact(s, start.replace(day=15), "employer", "職場訪問。上司と作業の様子を確認",
                     party=employer, place=employer, information_shared=["就労状況"])  # fmt: skip
        if month not in opts.get("no_report", ()):
            shared_on = next_period_start(start, 1).replace(day=5)
            with_ = ["本人", employer] if employer else ["本人"]
            s.add("support_report_shared", month=month, shared_on=shared_on, shared_with=with_)


def _plans(s: Story, first: date, last: date) -> None:
    """PLAN-1 plan at the start of support, PLAN-2 revised a few days before each quarter ends."""
    revised, quarter = first, 0
    while revised <= last:
        s.add("plan_revised", revised_on=revised, goals=GOALS[quarter % 2], agreed_on=revised,
              delivered_on=revised)  # fmt: skip
        quarter += 1
        revised = next_period_start(first, 3 * quarter) - _days(5)


def _routine(s: Story, start: date, today: date, employer: str, **opts: Iterable[str]) -> Story:
    _monthly(s, start, today, employer, **opts)
    _plans(s, start, today)
    return s


def stories(today: date) -> list[Story]:
    """Every demo story, as of ``today``."""

    def ago(months: int, day: int = 1) -> date:
        return add_months(month_start(today), -months).replace(day=day)

    return [make(ago, today) for make in _MAKERS]


def _standard(ago: Ago, today: date) -> Story:
    """Third year of support: monthly visits, reports, quarterly plans, yearly decisions."""
    last = period_end(ago(38), 42)
    s, start = _supported("in_support_year3", "見本 一郎/ミホン イチロウ", 1, ago(38), SHOP, 3,
                          last=last)  # fmt: skip
    s.add("job_changed", changed_on=ago(10, 3), aspect="supervisor",
          description="直属の上司が異動で交代(JOB-6: 期間は変わらないが要注意)")  # fmt: skip
    return _routine(s, start, today, SHOP)


def _job_change(ago: Ago, today: date) -> Story:
    """Left on the 20th, hired elsewhere within one month (JOB-2): support continues."""
    s, start = _supported("job_change_once", "試作 二郎/シサク ジロウ", 2, ago(22), SHOP, 2)
    _monthly(s, start, ago(10), SHOP)
    _monthly(s, ago(9), ago(9), None)
    s.add("resigned", resigned_on=ago(9, 20), reason="職場の人間関係")
    _contact(s, ago(9, 25), "agency", "再就職に向けた連絡調整(JOB-5)", party="ハローワーク見本")
    _hire(s, ago(8, 10), TRUCKS)
    _consent(s, "C-2", ago(8, 10), [TRUCKS])
    _monthly(s, ago(8), today, TRUCKS)
    _plans(s, start, today)
    return s


def _in_grace(ago: Ago, today: date) -> Story:
    """Left ten days ago, no new job yet: the JOB-3 grace state with its deadline."""
    left = today - _days(10)
    s, start = _supported("job_change_grace", "草案 百合/ソウアン ユリ", 16, ago(20), TRUCKS, 2)
    _monthly(s, start, left - _days(1), TRUCKS)
    _plans(s, start, today)
    s.add("resigned", resigned_on=left, reason="体調不良のため")
    _contact(s, left + _days(3), "agency", "再就職の希望を受けて連絡調整(JOB-5)", party=CONSULT)
    return s


def _second_change(ago: Ago, today: date) -> Story:
    """A second change of employer ends the entitlement on the leaving day (JOB-4)."""
    s, start = _supported("second_job_change", "架空 三郎/カクウ サブロウ", 3, ago(30), SHOP, 2,
                          kind="continuous_b")  # fmt: skip
    _monthly(s, start, ago(21), SHOP)
    s.add("resigned", resigned_on=ago(20, 15), reason="契約期間の満了")
    _hire(s, ago(20, 28), TRUCKS)
    _consent(s, "C-2", ago(20, 28), [TRUCKS])
    _monthly(s, ago(20), ago(20), None)
    _monthly(s, ago(19), ago(6), TRUCKS)
    _consent(s, "C-3", ago(5, 20), [CENTER], purpose="終了時の引継ぎ")
    s.add("resigned", resigned_on=ago(5, 25), reason="転居のため")
    _monthly(s, ago(5), ago(5), None)
    _hire(s, ago(4, 10), BOOKS)
    s.add("support_ended", ended_on=ago(5, 25), reason="resigned", handed_over_to=CENTER,
          entered=ago(4, 12))  # fmt: skip
    _plans(s, start, ago(6))
    return s


def _late_start(ago: Ago, today: date) -> Story:
    """Declined at month 7, asked later: support ends on the ELIG-4 day anyway (PER-2)."""
    hired = ago(26)
    s = _story("late_start", "模擬 四季/モギ シキ", 4, hired, kind="independence_training")
    _hire(s, hired, SHOP)
    _contact(s, ago(19, 10), "person", "定着支援の利用を案内。本人は現時点では利用を希望せず")
    _contact(s, ago(8, 20), "person", "本人から利用の申込み(職場での悩みが増えたため)")
    _start_support(s, SHOP, ago(7), 1, last=period_end(hired, 42))
    return _routine(s, ago(7), today, SHOP)


def _waiting(ago: Ago, today: date) -> Story:
    """Hired three months ago: still in the first six months (ELIG-3)."""
    s = _story("waiting", "体験 さくら/タイケン サクラ", 5, ago(3))
    _hire(s, ago(3), BOOKS)
    _contact(s, ago(1, 12), "person", "移行支援事業所の定着期間中。定着支援の利用を説明")
    return s


def _unbillable(ago: Ago, today: date) -> Story:
    """A phone-only month (MON-1/MON-2) and a month without a report (MON-4)."""
    s, start = _supported("unbillable_months", "練習 六太/レンシュウ ロクタ", 6, ago(20), TRUCKS, 2)
    phone, missing = ago(5).isoformat()[:7], ago(3).isoformat()[:7]
    return _routine(s, start, today, TRUCKS, phone_only=[phone], no_report=[missing])


def _consent_violation(ago: Ago, today: date) -> Story:
    """A case meeting shared health information with a clinic the consent does not name."""
    clinic = "ひだまりクリニック(架空)"
    s, start = _supported("consent_violation", "標本 七海/ヒョウホン ナナミ", 7, ago(16), SHOP, 1)
    s.add("case_meeting_held", held_on=ago(2, 18), parties=[SHOP, clinic], person_attended=True,
          information_shared=["健康状態"], summary="服薬と勤務時間の調整について")  # fmt: skip
    _consent(s, "C-2", ago(2, 25), [clinic], purpose="事後の同意(CON-3: 治癒しない)")
    return _routine(s, start, today, SHOP)


def _corrected_hire(ago: Ago, today: date) -> Story:
    """Hire day typed as the 11th; corrected to the 1st after the decision was recorded."""
    hired = ago(15)
    s = _story("corrected_hire_date", "手本 八重/テホン ヤエ", 8, hired)
    s.add("hired", hired_on=ago(15, 11), employer={"name": BOOKS}, key="hire")
    start = next_period_start(hired, 6)
    _start_support(s, BOOKS, start, 1, None)
    s.add("event_corrected", entered=ago(7, 3), target="hire", reason="在職証明書で就職日を確認",
          replacement={"hired_on": hired, "employer": {"name": BOOKS}})  # fmt: skip
    return _routine(s, start, today, BOOKS)


def _retracted_contact(ago: Ago, today: date) -> Story:
    """A contact entered on the wrong case, retracted the next day."""
    s, start = _supported("retracted_contact", "例題 九太/レイダイ キュウタ", 9, ago(12), TRUCKS, 1)
    _contact(s, ago(2, 20), "family", "家族からの電話連絡", mode="phone", key="mistake")
    s.add("event_retracted", entered=ago(2, 21), target="mistake",
          reason="別の利用者の記録を誤ってこのケースに登録したため")  # fmt: skip
    return _routine(s, start, today, TRUCKS)


def _decision_ending(ago: Ago, today: date) -> Story:
    """The only decision ends at the end of this month: renewal is due (PER-4)."""
    s, start = _supported("decision_ending", "想定 十和/ソウテイ トワ", 10, ago(17), SHOP, 1)
    return _routine(s, start, today, SHOP)


def _plan_overdue(ago: Ago, today: date) -> Story:
    """Plan revised at the start and once more; the next review is overdue (PLAN-2)."""
    s, start = _supported("plan_overdue", "仮設 光/カセツ ヒカル", 11, ago(14), BOOKS, 1)
    _monthly(s, start, today, BOOKS)
    _plans(s, start, ago(5))
    return s


def _expired(ago: Ago, today: date) -> Story:
    """Three years of support ended on the ELIG-4 day; handed over (END-1)."""
    last = period_end(ago(50), 42)
    s, start = _supported("expired", "見立 栞/ミタテ シオリ", 12, ago(50), TRUCKS, 3, last=last)
    _routine(s, start, last, TRUCKS)
    _consent(s, "C-2", ago(11, 10), [CENTER], purpose="終了後の引継ぎ(END-2)")
    s.add("support_ended", ended_on=last, reason="period_expired", handed_over_to=CENTER,
          entered=ago(8, 5))  # fmt: skip
    _contact(s, ago(6, 10), "person", "期間終了後の自主的な相談対応(PER-5: 請求対象外)")
    return s


def _temporary_use(ago: Ago, today: date) -> Story:
    """Returned from leave through temporary 就労移行支援: base date after it ended (ELIG-2)."""
    ended = ago(10) - _days(1)
    s, start = _supported("temporary_use", "試験 和/シケン ノドカ", 13, ago(14), BOOKS, 1,
                          opened_on=ago(14), entered=ago(10, 2), base=day_after(ended),
                          prior={"ended_on": ended, "temporary_while_employed": True},
                          last=period_end(day_after(ended), 42))  # fmt: skip
    return _routine(s, start, today, BOOKS)


def _other_office(ago: Ago, today: date) -> Story:
    """A case of the second office (staff of the first office may not read it)."""
    s, start = _supported("other_office", "演習 健/エンシュウ ケン", 14, ago(18), WORKS, 2,
                          office=OTHER_OFFICE)  # fmt: skip
    return _routine(s, start, today, WORKS)


def _other_waiting(ago: Ago, today: date) -> Story:
    s = _story(
        "other_office_waiting", "仮置 みどり/カリオキ ミドリ", 15, ago(2), office=OTHER_OFFICE
    )
    _hire(s, ago(2), WORKS)
    return s


_MAKERS: list[Callable[[Ago, date], Story]] = [
    _standard, _job_change, _in_grace, _second_change, _late_start, _waiting, _unbillable,
    _consent_violation, _corrected_hire, _retracted_contact, _decision_ending,
    _plan_overdue, _expired, _temporary_use, _other_office, _other_waiting,
]  # fmt: skip
