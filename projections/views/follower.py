"""Keeping the case views current, exactly once, and rebuilding them without downtime.

How a view stays current (both backends alike, see docs/read-models.md):

- :meth:`CaseViews.catch_up` reads the notification log after the view's tracked
  position, folds each case touched there once (:func:`projections.views.row.case_row`)
  and writes the rows and the new position in one transaction. Lists and dashboards call
  it before they read, so a client that got ``201`` sees its write (read-your-writes),
  and ``teichaku serve`` runs it in a background thread so lists stay fresh between
  reads (docs/read-models.md says why this polling, not the library's
  ``ProjectionRunner``, keeps them on both backends).
- Two processes catching up at once compute the same rows; the view keeps the newer
  version of each row and the tracking insert of the slower one fails (the library
  refuses to move the position backwards), which rolls its transaction back. Nothing
  is written twice and nothing is skipped: a position is recorded only after every
  event up to it was folded.
- A rebuild (:mod:`projections.views.rebuild`) writes the next generation of tables beside the
  live one, catches it up, and switches in one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.utils import get_topic

from domain.case import EVENT_CLASSES
from domain.history import tokyo_date
from domain.store.application import CaseLog, CaseNotFound
from projections.views.row import CaseRow, case_row, is_current_for
from projections.views.store import (
    Cursor,
    PostgresViewStore,
    SQLiteViewStore,
    ViewStore,
    utc_text,
)

#: Topics of the case's own events (access logs and idempotency records are skipped).
CASE_TOPICS = frozenset(get_topic(cls) for cls in EVENT_CLASSES.values())
_TOPICS = sorted(CASE_TOPICS)
BATCH = 500
LAG_COUNT_LIMIT = 100_000
_log = logging.getLogger("teichaku.views")


def open_view_store(cases: CaseLog) -> ViewStore:
    """The view store in the same database (and datastore) as ``cases``' events."""
    module = cases.env.get("PERSISTENCE_MODULE") or ""
    view_class: type[ViewStore] = (
        PostgresViewStore if module.endswith("postgres") else SQLiteViewStore
    )
    store = cases.factory.tracking_recorder(view_class)
    assert isinstance(store, ViewStore)
    store.cipher = cases.mapper.cipher
    store.keys = cases.keys.key
    return store


@dataclass(frozen=True, slots=True)
class Lag:
    """How far a view is behind the event log.

    ``position``: the notification id the view has folded up to; ``head``: the newest
    notification id of the log (access-log entries included); ``behind``: case events
    after ``position`` not yet folded (counted up to :data:`LAG_COUNT_LIMIT`).
    """

    generation: int
    position: int
    head: int
    behind: int

    def as_json(self) -> dict[str, Any]:
        return {
            "generation": self.generation,
            "position": self.position,
            "head": self.head,
            "behind": self.behind,
        }


class CaseViews:
    """The case and case-month views of one store, and the work that keeps them current."""

    def __init__(self, cases: CaseLog, store: ViewStore | None = None) -> None:
        self.cases = cases
        self.store = store or open_view_store(cases)
        self._lock = threading.Lock()
        self.generation  # noqa: B018 (creates the first generation on a new store)

    # -- generations -------------------------------------------------------------------

    @property
    def generation(self) -> int:
        """The live generation (a new store starts at 1): one query."""
        try:
            gen = self.store.active_generation()
        except Exception:  # the meta table does not exist yet: a new store
            gen = None
        if gen is None:
            self.store.create_views(1)
            if self.store.active_generation() is None:
                self.store.switch(1)
            gen = 1
        return gen

    def tracking_name(self, gen: int) -> str:
        return f"{self.cases.name}.views.g{gen}"

    # -- keeping current ---------------------------------------------------------------

    def position(self, gen: int | None = None) -> int:
        gen = self.generation if gen is None else gen
        return self.store.max_tracking_id(self.tracking_name(gen)) or 0

    def lag(self, gen: int | None = None) -> Lag:
        gen = self.generation if gen is None else gen
        position = self.position(gen)
        head = self.cases.recorder.max_notification_id() or 0
        pending = self.cases.recorder.select_notifications(
            position + 1, LAG_COUNT_LIMIT, topics=sorted(CASE_TOPICS)
        )
        return Lag(gen, position, head, len(pending))

    def fresh(self, max_events: int) -> tuple[int, int]:
        """Catch up (at most ``max_events``) for a read: the live generation and the case
        events still behind, in as few round trips as a read can take."""
        gen = self.generation
        read = self.catch_up(gen, max_events)
        return gen, (self.lag(gen).behind if read >= max_events else 0)

    def catch_up(self, gen: int | None = None, max_events: int | None = None) -> int:
        """Fold every case touched after the view's position; returns events read."""
        with self._lock:
            return self._catch_up(self.generation if gen is None else gen, max_events)

    def _catch_up(self, gen: int, max_events: int | None) -> int:
        read = 0
        start = self.position(gen) + 1
        while max_events is None or read < max_events:
            # Only the case's own events: access-log entries and listings change no view.
            batch = self.cases.recorder.select_notifications(start, BATCH, topics=_TOPICS)
            if not batch:
                return read
            touched = {UUID(str(n.originator_id)) for n in batch}
            rows = self.fold(touched)
            try:
                self.store.write(gen, rows, Tracking(self.tracking_name(gen), batch[-1].id))
            except IntegrityError:
                return read  # another process wrote this position first: it is done
            read += len(batch)
            start = batch[-1].id + 1
        return read

    def fold(self, case_ids: Iterable[UUID], on: dt.date | None = None) -> list[CaseRow]:
        """The rows of these cases, each folded once, evaluated on ``on`` (today)."""
        day = on or tokyo_date(self.cases.clock())
        rows = []
        for case_id in sorted(case_ids):
            try:
                records = self.cases.get_case(case_id).records
            except CaseNotFound:
                continue
            rows.append(case_row(case_id, records, day))
        return rows

    def refresh(
        self, rows: list[CaseRow], on: dt.date, gen: int | None = None
    ) -> list[CaseRow]:
        """Rows evaluated on an earlier day are folded again for ``on`` and stored.

        A refreshed row comes back with all its months; the others keep what was read.
        """
        stale = [r.case_id for r in rows if not is_current_for(r, on)]
        if not stale:
            return rows
        fresh = {r.case_id: r for r in self.fold(stale, on)}
        self.store.write(self.generation if gen is None else gen, list(fresh.values()), None)
        return [fresh.get(r.case_id, r) for r in rows]

    def refresh_stale(self, on: dt.date | None = None, limit: int = 200) -> int:
        """Fold again up to ``limit`` rows evaluated before ``on`` (today); returns how many."""
        day = on or tokyo_date(self.cases.clock())
        gen = self.generation
        ids = self.store.stale(gen, day, limit)
        if ids:
            self.store.write(gen, self.fold(ids, day), None)
        return len(ids)

    # -- reading -----------------------------------------------------------------------

    def page(
        self, office: str | None, after: Cursor | None, limit: int,
        keep: Callable[[CaseRow], bool] = lambda row: True, months: str | None = "*",
        gen: int | None = None,
    ) -> tuple[list[CaseRow], Cursor | None]:  # fmt: skip
        """Up to ``limit`` rows that ``keep`` accepts, and the cursor of the next page.

        ``months`` as in :meth:`ViewStore.page` (a list needs none, a dashboard one).
        """
        gen = self.generation if gen is None else gen
        found: list[CaseRow] = []
        while len(found) < limit:
            batch = self.store.page(gen, office, after, max(limit, 50), months)
            for row in batch:
                after = Cursor(utc_text(row.opened_at), str(row.case_id))
                if keep(row):
                    found.append(row)
                    if len(found) == limit:
                        break
            if len(batch) < max(limit, 50) and len(found) < limit:
                return found, None
        return found, after


class ViewFollower:
    """Keeps the views current in the background of a server: new events every
    ``interval`` seconds, and rows of an earlier day folded again for today."""

    def __init__(self, views: CaseViews, interval: float = 1.0) -> None:
        self.views = views
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="teichaku-views", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.views.catch_up(max_events=20_000)
                self.views.refresh_stale()
            except Exception as exc:  # keep following; the lists report their lag
                _log.warning("views not caught up: %s", type(exc).__name__)
