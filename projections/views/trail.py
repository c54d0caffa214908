"""A case as it was known at any past instant, kept beside its view row (decision 0062).

An auditor lists an office ``as_of`` an instant (``GET /cases?as_of=…``): each case as
known then, with its office, opening day, status on a day and version. Folding every case
of the office from its records took ~9 ms a case (issue 24: 0.9–1.5 s for 100 cases,
most of it decoding snapshots). What that list shows depends on little:

- the office, opening day and status depend only on the records the entitlement reads
  (:data:`projections.views.row.ENTITLEMENT_TYPES` and the amendments that target them:
  a handful a case), so they can change only at the instants those were recorded. At each
  such instant the view keeps one **known row** (:class:`Known`): the office, opening day
  and status segments (:func:`projections.views.row.status_segments`) of what was known
  then. The list reads the latest row at or before ``as_of``.
- the version known at ``as_of`` is the highest version recorded at or before it. The
  view keeps every version's instant in **clock pages** of :data:`PAGE` versions, each
  with the earliest instant in it: the page that answers is the last one whose earliest
  instant is at or before ``as_of`` (every later page was recorded wholly after it).

Neither assumes that instants grow with versions (two hosts' clocks may differ): known
rows are made for the distinct instants in instant order, each from every record at or
before it, exactly as :func:`domain.history.known_at` selects them.

Both are state, like the row: a write stores what the records newer than the stored
version change (:func:`changes`), and a row stored before them (an older
:data:`~projections.views.row.ROW_SCHEMA`) is written whole when it is refolded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from domain.history import Recorded, known_at, read_history

#: Versions per clock page.
PAGE = 128
#: The status segments of record sets, each the one before and more, reusing the
#: evaluations of a seed (:func:`projections.views.row.segments_as_known`).
Segments = Callable[[Sequence[Sequence[Recorded]], Any], list[tuple[tuple[dt.date, str], ...]]]


@dataclass(frozen=True, slots=True)
class Known:
    """What the list shows of a case, as known from ``known_from`` on (until the next)."""

    known_from: dt.datetime
    office_id: str | None
    opened_on: dt.date | None  # None: the opening was not known (or was retracted)
    segments: tuple[tuple[dt.date, str], ...]


@dataclass(frozen=True, slots=True)
class ClockPage:
    """The instants of versions ``page * PAGE + 1`` on (at most :data:`PAGE`)."""

    page: int
    stamps: tuple[dt.datetime, ...]

    @property
    def first_version(self) -> int:
        return self.page * PAGE + 1

    @property
    def earliest(self) -> dt.datetime:
        return min(self.stamps)

    def version_at(self, as_of: dt.datetime) -> int | None:
        """The highest version of this page recorded at or before ``as_of``."""
        found = [i for i, at in enumerate(self.stamps) if at <= as_of]
        return self.first_version + found[-1] if found else None


@dataclass(frozen=True, slots=True)
class Trail:
    """What a case's records say of its past, as a write needs it: every version's
    instant and the records the list's values depend on (not the rest)."""

    stamps: tuple[dt.datetime, ...]
    #: The entitlement's records with their amendments, in version order.
    relevant: tuple[Recorded, ...]
    #: The status evaluations of all of ``relevant`` (the row's own,
    #: :class:`projections.views.row.Evaluated`): the earlier sets' segments reuse them.
    seed: Any = None


@dataclass(frozen=True, slots=True)
class Changes:
    """What a write stores: known rows from ``known_from`` on replace the stored ones
    (None: none change), and these clock pages replace theirs."""

    known_from: dt.datetime | None
    known: tuple[Known, ...]
    pages: tuple[ClockPage, ...]


def changes(trail: Trail, stored_version: int, segments: Segments, latest: Known) -> Changes:
    """What the records after ``stored_version`` change (0: everything is new).

    ``segments``: :func:`projections.views.row.segments_as_known` (passed in: the row
    module, which makes the trail, imports this one). ``latest``: the values with every
    record known (the row's own), used for the last instant instead of a fold."""
    new = [r for r in trail.relevant if r.version > stored_version]
    known: tuple[Known, ...] = ()
    since = None
    if new:
        since = min(r.recorded_at for r in new)
        instants = sorted({r.recorded_at for r in trail.relevant if r.recorded_at >= since})
        earlier = [known_at(trail.relevant, at) for at in instants[:-1]]
        folded = segments(earlier, trail.seed)
        known = (
            *(_known(records, at, found)
              for records, at, found in zip(earlier, instants[:-1], folded, strict=True)),
            replace(latest, known_from=instants[-1]),
        )  # fmt: skip
    first = stored_version // PAGE if stored_version < len(trail.stamps) else None
    pages: tuple[ClockPage, ...] = ()
    if first is not None:
        pages = tuple(
            ClockPage(p, trail.stamps[p * PAGE : (p + 1) * PAGE])
            for p in range(first, (len(trail.stamps) - 1) // PAGE + 1)
        )
    return Changes(since, known, pages)


def _known(
    known: Sequence[Recorded], at: dt.datetime, segments: tuple[tuple[dt.date, str], ...]
) -> Known:
    """The list's values from the records known at ``at`` (as ``known_at`` selects them)."""
    opened = read_history(known).opened()
    if opened is None:
        return Known(at, None, None, ())
    office = getattr(opened.payload, "office_id", None)
    return Known(at, office, opened.effective_on, segments)
