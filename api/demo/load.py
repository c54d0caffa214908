"""The demo office: fictional cases that show every rule the product computes.

Every case is recorded through the real ``CaseLog``/``Case`` API, so every invariant
applies (a refused event stops the load). Dates are computed back from today (in
Japan), so the demo tells the same story whenever it is loaded: a case in its third
year of support, job changes, a late start, unbillable months, a consent violation, a
corrected hire date, a retracted contact, a decision about to end, an overdue plan
review, an expired case and an ELIG-2 base date. The stories themselves are in
:mod:`api.demo.cases` (in the shape of :mod:`api.demo.story`); this module records them
and creates the demo tokens.

Each event is recorded the evening (18:00 JST) of the day staff entered it, with a
clock that only walks forward, so ``as_of`` reads of the demo behave like real ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from uuid import UUID

from api.demo.cases import stories
from api.demo.office_setup import record_office_setup
from api.demo.story import ADMIN, AUDITOR, OFFICE, OTHER_OFFICE, OTHER_STAFF, STAFF, Entry, Story
from domain.history import TOKYO, tokyo_date, utc_now
from domain.store.application import CaseLog

__all__ = [
    "DEMO_ACCOUNTS", "OFFICE", "OTHER_OFFICE", "DemoSummary", "Entry", "Story",
    "create_demo_accounts", "create_demo_tokens", "load_demo", "tokens_file_text",
]  # fmt: skip


@dataclass(frozen=True)
class DemoSummary:
    """What ``load_demo`` recorded: case ids by scenario, the demo tokens, the day used."""

    today: date
    office_id: str
    other_office_id: str
    cases: dict[str, UUID]
    events: int
    tokens: dict[str, str]
    #: role → (login id, password) of the demo accounts (issue 21).
    accounts: dict[str, tuple[str, str]] = field(default_factory=dict)


class WalkingClock:
    """Hands out increasing instants: the evening of the day the next event is entered."""

    def __init__(self) -> None:
        self.day: date | None = None
        self.last: datetime | None = None

    def enter_on(self, day: date) -> None:
        self.day = day

    def __call__(self) -> datetime:
        assert self.day is not None, "enter_on() first"
        instant = datetime.combine(self.day, time(18), TOKYO)
        if self.last is not None and instant <= self.last:
            instant = self.last + timedelta(minutes=1)
        self.last = instant
        return instant


def load_demo(cases: CaseLog, *, clock: Callable[[], datetime] | None = None) -> DemoSummary:
    """Record the demo office into ``cases`` and create demo tokens; returns what was made.

    ``clock`` gives "now" (default: the real time); stories use days before today only,
    so no event is ever recorded in the future.
    """
    today = tokyo_date((clock or utc_now)())
    ids: dict[str, UUID] = {}
    events = 0
    saved_clock = cases.clock
    try:
        for story in stories(today):
            by = STAFF if story.office_id == OFFICE else OTHER_STAFF
            ids[story.scenario], count = _record(cases, story, today, by)
            events += count
    finally:
        cases.clock = saved_clock
    record_office_setup(cases, today)  # the office's 体制, so the claim has one (issue 22)
    tokens = create_demo_tokens(cases)
    accounts = create_demo_accounts(cases)
    return DemoSummary(today, OFFICE, OTHER_OFFICE, ids, events, tokens, accounts)


def _record(cases: CaseLog, story: Story, today: date, by: str) -> tuple[UUID, int]:
    """Record one story; returns the case id and the number of events recorded."""
    clock = WalkingClock()
    cases.clock = clock
    clock.enter_on(story.opened_entered)
    case_id = cases.open_case(story.opened, recorded_by=by).id
    versions: dict[str, int] = {}
    count = 1
    # A stable sort keeps the story's own order among entries of the same day.
    for entry in sorted(story.entries, key=lambda e: e.day):
        if entry.day >= today:
            continue  # has not happened yet
        payload = dict(entry.payload)
        if entry.target is not None:
            payload["target_version"] = versions[entry.target]
        clock.enter_on(entry.day)
        recorded = cases.record(case_id, entry.type, payload, recorded_by=by)
        if entry.key is not None:
            versions[entry.key] = recorded.version
        count += 1
    return case_id, count


def create_demo_tokens(cases: CaseLog) -> dict[str, str]:
    """One bearer token per demo principal (staff of each office, auditor, admin)."""
    from api.http.auth import TokenStore

    store = TokenStore(cases)
    return {
        "staff": store.create("staff", STAFF, OFFICE),
        "other_staff": store.create("staff", OTHER_STAFF, OTHER_OFFICE),
        "auditor": store.create("auditor", AUDITOR),
        "admin": store.create("admin", ADMIN),
    }


#: The demo's accounts: role → (login id, display name, role, office, password). The
#: passwords are public (this file): a demo office only, never a real one.
DEMO_ACCOUNTS = {
    "staff": ("demo-staff", STAFF, "staff", OFFICE, "mihon-shien-demo-2026"),
    "other_staff": ("demo-staff2", OTHER_STAFF, "staff", OTHER_OFFICE, "reiji-shien-demo-2026"),
    "auditor": ("demo-auditor", AUDITOR, "auditor", None, "kari-kansa-demo-2026"),
    "admin": ("demo-admin", ADMIN, "admin", None, "shikou-kanri-demo-2026"),
}


def create_demo_accounts(cases: CaseLog) -> dict[str, tuple[str, str]]:
    """The demo accounts with their known passwords (made, or their password set again
    when they exist); returns role → (login id, password)."""
    from api.http.accounts import AccountStore

    store = AccountStore(cases)
    made: dict[str, tuple[str, str]] = {}
    for role, (login, name, kind, office, password) in DEMO_ACCOUNTS.items():
        account = store.by_login(login)
        if account is None:
            account, _ = store.create(login, name, kind, office, by="teichaku demo")
        store.set_password(account.id, password, by="teichaku demo")
        made[role] = (login, password)
    return made


def tokens_file_text(
    tokens: dict[str, str], accounts: dict[str, tuple[str, str]] | None = None
) -> str:
    """The demo tokens and accounts as shell assignments (``. var/demo-tokens.txt``)."""
    lines = [
        "# teichaku デモ用トークンとアカウント (demo bearer tokens and accounts).",
        "# Use: . var/demo-tokens.txt  — ブラウザでは http://127.0.0.1:8000/web/login に",
        "# *_LOGIN(ログインID)と *_PASSWORD(パスワード)を入力します。",
        f"# staff: 事業所 {OFFICE} の {STAFF}",
        f"# other_staff: 事業所 {OTHER_OFFICE} の {OTHER_STAFF}",
        f"# auditor: {AUDITOR} (全ケース閲覧のみ) / admin: {ADMIN} (すべて)",
    ]
    for role, (login, password) in (accounts or {}).items():
        lines.append(f"{role.upper()}_LOGIN={login} {role.upper()}_PASSWORD={password}")
    lines += [f"{role.upper()}_TOKEN={token}" for role, token in tokens.items()]
    return "\n".join(lines) + "\n"
