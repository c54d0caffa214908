"""The office dashboard's rows: what needs a staff member's attention, case by case, and
the way to find one person among them.

Read from the stored case view (:mod:`projections.views.follower`), never by folding every case
in the store: the office filter is SQL, and a row evaluated on an earlier day is folded
again for today before it is shown (so the page says what the fold would say today). Each
item carries the rule behind it: this month's face-to-face contact (MON-1/MON-2) and what
else this month still lacks to be billed (MON, PER), a decision ending within 30 days
(PER-1/PER-4 ⚠), an overdue plan review (PLAN-2), consent problems (CON-1..3). The page
is one read, logged once, naming the cases it showed.

Finding a person (issue 20, decision 0035). The form's choices are GET parameters
(:class:`Choices`), so a search can be bookmarked, and the page shows them again:

- **one office** (staff always; auditors and admins when they choose one): the office's
  rows are read whole (an office has about a hundred cases) with their persons opened,
  as the list shows them anyway; the search compares name, reading and 受給者証番号 in
  :func:`domain.finding.search_form` (part of a name, a reading in hiragana or katakana,
  the last digits of a number), then the filters and the order apply, 200 rows a page;
- **every office** (auditors and admins): a search by 受給者証番号 goes through the blind
  index (:meth:`projections.views.store.ViewStore.find_number`): no row is opened but the
  ones found. A name is not searched across offices (that would open every case in the
  store): the page says to choose an office. Without a search the list is in opening
  order, paged by cursor, the filters applied as it is read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar
from urllib.parse import urlencode

from api.http.access_log import record_listing
from api.http.auth import Principal
from api.web.month_words import month_words
from domain.finding import NUMBER_DIGITS, masked_number, number_form, search_form
from domain.payloads import ERASED
from domain.rules import per
from domain.rules.cal import month_end, month_of
from domain.store.application import CaseLog
from projections.dispute import STATUS_LABEL_JA
from projections.views.follower import CaseViews
from projections.views.office import days_left_in_month
from projections.views.row import CaseRow
from projections.views.store import Cursor, utc_text

#: States in which the monthly duties (MON-1, PLAN-2) apply.
SUPPORTING = ("in_support",)
#: Rows on one page of the dashboard.
PAGE = 200
#: Rows read per query when an office is read whole.
_BATCH = 500
#: The longest search text kept (a name, a reading or a number is far shorter).
QUERY_MAX = 100
#: What needs doing, as the rows know it: the filter's choices, each with its rule.
DUE_JA = {
    "face_to_face": "今月の対面支援がまだ(MON-1)",
    "billing": "今月の請求に足りないものがある(MON・PER)",
    "renewal": "支給決定の更新が30日以内(PER-1/PER-4 ⚠)",
    "plan": "計画の見直し期限を超過(PLAN-2)",
    "consent": "同意の問題(CON-1〜3)",
}
SORT_JA = {
    "": "登録順",
    "kana": "フリガナ順",
    "status": "状態順",
    "deadline": "期限の近い順",
}
#: 状態順: the order a case goes through them.
STATUS_ORDER = tuple(STATUS_LABEL_JA)


@dataclass(frozen=True, slots=True)
class Choices:
    """What the dashboard's form asked for; a value it does not offer reads as unset."""

    q: str = ""
    status: str = ""
    due: str = ""
    sort: str = ""
    page: int = 1

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Choices:
        page = params.get("page", "1")  # a page number of at most 4 digits, else the first
        return cls(
            q=params.get("q", "").strip()[:QUERY_MAX],  # as typed: the form shows it again
            status=_offered(params.get("status", ""), STATUS_LABEL_JA),
            due=_offered(params.get("due", ""), DUE_JA),
            sort=_offered(params.get("sort", ""), SORT_JA),
            page=max(int(page), 1) if page.isascii() and page.isdigit() and len(page) <= 4 else 1,
        )

    @property
    def narrowed(self) -> bool:
        """Does the list show less, or in another order, than every case by opening?"""
        return bool(self.q or self.status or self.due or self.sort)

    def link(self, office: str | None, **changes: Any) -> str:
        """The dashboard's address with these choices (and ``changes``): what a bookmark keeps.

        Never the search text: a name or a 受給者証番号 in an address would reach access
        logs, proxies and the browser's history. A search is posted (the page's own
        paging buttons post it again); filters and order stay in the address.
        """
        chosen = {"office_id": office or "", "status": self.status,
                  "due": self.due, "sort": self.sort, **changes}  # fmt: skip
        if chosen.get("page") == 1:
            chosen.pop("page")
        query = urlencode({k: v for k, v in chosen.items() if v})
        return f"/web/?{query}" if query else "/web/"


def _offered(value: str, offered: Mapping[str, str]) -> str:
    return value if value in offered else ""


@dataclass
class Dashboard:
    #: The form's choices, for the template.
    DUE: ClassVar[dict[str, str]] = DUE_JA
    SORTS: ClassVar[dict[str, str]] = SORT_JA
    page_size: ClassVar[int] = PAGE

    rows: list[dict[str, Any]] = field(default_factory=list)
    offices: list[str] = field(default_factory=list)
    next_cursor: str | None = None
    behind: int = 0
    choices: Choices = field(default_factory=Choices)
    #: The next and the previous page, with the same choices (None: there is none).
    next_link: str | None = None
    previous_link: str | None = None
    #: Why a search found nothing it could look at (a name across every office).
    message: str | None = None
    #: Whether the order chosen was applied (not when every office is listed unsearched).
    sorted: bool = True
    #: The same list with no search, filter or order (the office chosen kept).
    clear_link: str = "/web/"


def dashboard(
    cases: CaseLog,
    views: CaseViews,
    principal: Principal,
    wanted: str | None,
    today: date,
    after: Cursor | None = None,
    choices: Choices | None = None,
) -> Dashboard:
    """The rows of the office ``wanted`` (all offices when None) that ``choices`` ask for,
    and every office seen."""
    choices = choices or Choices()
    gen, behind = views.fresh(5_000)
    board = Dashboard(behind=behind, choices=choices)
    board.clear_link = Choices().link(wanted if principal.role != "staff" else None)
    if wanted is not None:
        shown = _one_office(views, gen, wanted, today, choices, board)
    elif choices.q:
        shown = _by_number(views, gen, today, choices, board)
    else:
        shown = _every_office(views, gen, after, today, choices, board)
    # The dashboard shows names and verdicts of the cases: it is a read, and logged once.
    record_listing(cases, principal, "web:dashboard", on=today, case_ids=[r.case_id for r in shown])
    board.rows = [_row(r, today) for r in shown]
    # Only auditors and admins choose an office: staff pages skip the DISTINCT scan.
    board.offices = views.store.offices(gen) if principal.role != "staff" else []
    return board


def _one_office(
    views: CaseViews, gen: int, office: str, today: date, choices: Choices, board: Dashboard
) -> list[CaseRow]:
    """The office read whole, searched, filtered and ordered, then the page asked for."""
    rows = _office_rows(views, gen, office, today)
    if choices.q:
        rows = [r for r in rows if _matches(r, choices.q)]
    keep = _filter(choices, today)
    rows = _ordered([r for r in rows if keep(r)], choices.sort, today)
    first = (choices.page - 1) * PAGE
    if choices.page > 1:
        board.previous_link = choices.link(office, page=choices.page - 1)
    if len(rows) > first + PAGE:
        board.next_link = choices.link(office, page=choices.page + 1)
    return rows[first : first + PAGE]


def _office_rows(views: CaseViews, gen: int, office: str, today: date) -> list[CaseRow]:
    """Every row of ``office``, from one generation, evaluated on ``today``."""
    for _ in range(3):  # again from the live generation if a rebuild switched meanwhile
        rows: list[CaseRow] = []
        after: Cursor | None = None
        used = gen
        while True:
            read_from, batch = views.store.page(gen, office, after, _BATCH, month_of(today))
            if rows and read_from != used:
                break
            used = read_from
            rows += batch
            if len(batch) < _BATCH:
                return views.refresh(rows, today, used)
            after = _cursor(batch[-1])
        gen = read_from
    raise RuntimeError("the views kept switching generations while an office was read")


def _by_number(
    views: CaseViews, gen: int, today: date, choices: Choices, board: Dashboard
) -> list[CaseRow]:
    """Every office searched by 受給者証番号, through the blind index only."""
    number = number_form(choices.q)
    if number is None or len(number) != NUMBER_DIGITS:
        board.message = (
            f"すべての事業所から探すときは、受給者証番号({NUMBER_DIGITS}桁)で探してください。"
            "氏名・フリガナで探すときは、事業所を選んでください。"
        )
        return []
    found = views.store.find_number(gen, number)
    if found is None:
        board.message = "鍵ファイルが読めないため、受給者証番号の索引を使えません。"
        return []
    used, ids = found
    rows = views.store.rows(used, ids)
    # The index only points at rows: what is shown is the number as opened now.
    rows = [r for r in rows if number_form(str(r.person.get("recipient_number"))) == number]
    keep = _filter(choices, today)
    return _ordered([r for r in views.refresh(rows, today, used) if keep(r)], choices.sort, today)


def _every_office(
    views: CaseViews, gen: int, after: Cursor | None, today: date, choices: Choices,
    board: Dashboard,
) -> list[CaseRow]:  # fmt: skip
    """Every office in opening order, a page at a time by cursor, filtered as it is read.

    No order but the opening one: ordering every case of every office would read them all.
    """
    board.sorted = not choices.sort
    keep = _filter(choices, today)
    shown: list[CaseRow] = []
    while True:
        used, batch = views.store.page(gen, None, after, PAGE, month_of(today))
        for row in views.refresh(batch, today, used):
            if keep(row):
                shown.append(row)
                if len(shown) == PAGE:
                    board.next_cursor = _cursor(row).token()
                    board.next_link = choices.link(None, cursor=board.next_cursor)
                    return shown
        if len(batch) < PAGE:
            return shown
        after, gen = _cursor(batch[-1]), used


def _cursor(row: CaseRow) -> Cursor:
    return Cursor(utc_text(row.opened_at), str(row.case_id))


# -- searching, filtering, ordering ------------------------------------------------------


def _opened(row: CaseRow, name: str) -> str | None:
    """A person's value as opened, or None when it is missing or erased."""
    value = row.person.get(name)
    return None if not isinstance(value, str) or value == ERASED else value


def _matches(row: CaseRow, query: str) -> bool:
    """Does the person's name, reading or 受給者証番号 contain ``query`` (search forms)?"""
    wanted = search_form(query)
    digits = number_form(query)
    if digits:
        number = _opened(row, "recipient_number")
        return number is not None and digits in (number_form(number) or "")
    return any(
        wanted in search_form(value)
        for value in (_opened(row, "name"), _opened(row, "name_kana"))
        if value
    )


def _filter(choices: Choices, today: date) -> Callable[[CaseRow], bool]:
    def keep(row: CaseRow) -> bool:
        if choices.status and row.status_on(today) != choices.status:
            return False
        return not choices.due or needs(_row(row, today))[choices.due]

    return keep


def needs(shown: dict[str, Any]) -> dict[str, bool]:
    """What a row (as :func:`_row` shows it) needs, by the keys of :data:`DUE_JA`."""
    return {
        "face_to_face": shown["no_face_to_face"],
        "billing": shown["lacking"],
        "renewal": shown["renewal_soon"],
        "plan": shown["plan_overdue"],
        "consent": shown["consent_problems"] > 0,
    }


def _ordered(rows: list[CaseRow], sort: str, today: date) -> list[CaseRow]:
    """Rows in the order chosen; ties (and 登録順) in opening order."""
    if sort == "kana":
        return sorted(rows, key=_reading_key)
    if sort == "status":
        return sorted(rows, key=lambda r: (STATUS_ORDER.index(r.status_on(today)), _reading_key(r)))
    if sort == "deadline":

        def deadline(r: CaseRow) -> tuple[bool, date]:
            due = _row(r, today)["next_deadline"]
            return due is None, due or date.max

        return sorted(rows, key=deadline)
    return rows


def _reading_key(row: CaseRow) -> tuple[bool, str, str]:
    """フリガナ順: by the reading in katakana (hiragana read as katakana), then the name;
    a person with no reading (or erased) after every one with one."""
    kana = search_form(_opened(row, "name_kana") or "")
    return not kana, kana, search_form(_opened(row, "name") or "")


# -- one row as the page shows it ----------------------------------------------------------


def days_left(month: str, on: date) -> int | None:
    """Days still open in ``month`` counting ``on`` itself, or None when it is not ``on``'s.

    The month of the day shown is still in progress: a face-to-face contact may yet be
    made, so it is not "unbillable" until it has ended (MON-1/MON-2). The dashboard and
    the case page's month grid both ask this, so they agree.
    """
    return days_left_in_month(on) if month == month_of(on) else None


def _row(row: CaseRow, today: date) -> dict[str, Any]:
    derived = row.derived
    status = row.status_on(today)
    month = month_of(today)
    this_month = next((m for m in row.months if m.month == month), None)
    supporting = status in SUPPORTING
    renewal_due = derived["renewal_due_by"]
    renewal = date.fromisoformat(renewal_due["date"]) if renewal_due else None
    plan = derived["plan"]
    plan_due = date.fromisoformat(plan["review_due_by"]) if plan["review_due_by"] else None
    no_face_to_face = supporting and this_month is not None and not this_month.face_to_face
    # the month's state in the words every page uses (decision 0028: in progress)
    words = month_words(this_month, today) if supporting and this_month is not None else None
    deadlines = [
        month_end(today) if no_face_to_face else None,
        renewal,
        plan_due if supporting else None,
    ]
    number = _opened(row, "recipient_number")
    return {
        "case_id": row.case_id,
        "office_id": row.office_id,
        "person": row.person,
        "kana": row.person.get("name_kana"),
        "number": masked_number(number) if number else row.person.get("recipient_number"),
        "status": status,
        "supporting": supporting,
        "month": month,
        "face_to_face": this_month.face_to_face if this_month else None,
        "no_face_to_face": no_face_to_face,
        "days_left": days_left(month, today),
        "words": words,
        "lacking": this_month is not None and not this_month.billable,
        "renewal": renewal,
        "renewal_soon": renewal is not None and per.renewal_warning(renewal, today),
        "plan_due": plan["review_due_by"],
        "plan_overdue": supporting and plan["overdue"],
        "consent_problems": derived["consent_problems"],
        "next_deadline": min((d for d in deadlines if d is not None), default=None),
    }
