"""``CaseLog``: the application service over the ``eventsourcing`` library.

Persistence, optimistic concurrency and snapshots are the library's own; this module
adds an orjson transcoder (stored state is compact JSON that any tool can read), an
injected clock, and use-case verbs that turn library errors into domain errors.

Configuration (``PERSISTENCE_MODULE``, ``SQLITE_DBNAME``, ``POSTGRES_*``, ``CIPHER_*``)
is the library's: see :func:`persistence_env` for how a database URL maps onto it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit
from uuid import UUID

import orjson
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Mapper, StoredEvent, Transcoder

from domain.access import CaseAccessLog
from domain.case import Case
from domain.chain import GENESIS
from domain.history import Recorded, utc_now

_INSTANT_KEYS = ("timestamp", "_created_on", "_modified_on")


class OrjsonTranscoder(Transcoder):
    """Encodes event state with orjson (datetimes become ISO 8601 text with offset)."""

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj, option=orjson.OPT_UTC_Z | orjson.OPT_PASSTHROUGH_SUBCLASS)

    def decode(self, data: bytes) -> Any:
        return orjson.loads(data)


class CaseMapper(Mapper[UUID]):
    """The library's mapper, reviving the instants that JSON stores as text."""

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        state = event.__dict__
        _revive_instants(state)
        if isinstance(state.get("state"), dict):  # a snapshot's aggregate state
            _revive_instants(state["state"])
        return event


def _revive_instants(state: dict[str, Any]) -> None:
    for key in _INSTANT_KEYS:
        value = state.get(key)
        if isinstance(value, str):
            state[key] = datetime.fromisoformat(value)


class CaseLog(Application[UUID]):
    """Records and reads cases. ``clock`` is injected so tests are deterministic."""

    name = "teichaku"
    snapshotting_intervals = {Case: 50, CaseAccessLog: 20}  # noqa: RUF012 (the library reads a class attribute)

    def __init__(
        self, env: Mapping[str, str] | None = None, clock: Callable[[], datetime] = utc_now
    ) -> None:
        super().__init__(env=env)
        self.clock = clock

    def construct_transcoder(self) -> Transcoder:
        return OrjsonTranscoder()

    def construct_mapper(self) -> Mapper[UUID]:
        return CaseMapper(
            transcoder=self.construct_transcoder(),
            compressor=self.factory.compressor(),
            cipher=self.factory.cipher(),
        )

    # -- use cases -------------------------------------------------------------

    def open_case(
        self,
        data: Mapping[str, Any],
        *,
        recorded_by: str,
        companion: Callable[[Recorded], Aggregate] | None = None,
    ) -> Case:
        """Open a new case; raises the domain's validation errors.

        ``companion`` builds another aggregate from the recorded event (e.g. the API's
        idempotency record) that is saved atomically with the case.
        """
        case = Case.open(data, recorded_by=recorded_by, recorded_at=self.clock())
        self._save(case, companions=_companions(companion, case.records[-1]))
        return case

    def record(
        self,
        case_id: UUID,
        event_type: str,
        data: Mapping[str, Any],
        *,
        recorded_by: str,
        expected_version: int | None = None,
        companion: Callable[[Recorded], Aggregate] | None = None,
    ) -> Recorded:
        """Append one event to a case, only if it is still at ``expected_version`` when given.

        ``companion`` as in :meth:`open_case`: saved in the same transaction as the event.
        """
        case = self.get_case(case_id)
        if expected_version is not None and case.version != expected_version:
            raise VersionConflict(case.version, expected_version)
        recorded = case.record(event_type, data, recorded_by=recorded_by, recorded_at=self.clock())
        self._save(case, expected_version, _companions(companion, recorded))
        return recorded

    def get_case(self, case_id: UUID, version: int | None = None) -> Case:
        """Load a case (from its latest snapshot when there is one)."""
        try:
            case: object = self.repository.get(case_id, version=version)
        except AggregateNotFoundError:
            raise CaseNotFound(case_id) from None
        if not isinstance(case, Case):
            raise CaseNotFound(case_id)
        return case

    def records(self, case_id: UUID) -> list[Recorded]:
        """Every recorded event of a case, in recorded order."""
        return self.get_case(case_id).records

    def stored_records(self, case_id: UUID) -> list[Recorded]:
        """The case's events read row by row from the event store, never from a snapshot.

        This is what a chain check must read: a row altered, removed or swapped in the
        database shows here as it is now. A row that no longer decodes becomes a
        placeholder of type :data:`UNREADABLE` whose hash cannot match, so the check
        reports it at its version instead of failing.
        """
        stored = self.recorder.select_events(case_id)
        if not stored:
            raise CaseNotFound(case_id)
        found = [self._stored_record(case_id, row) for row in stored]
        return _fill_unreadable_links(found)

    def _stored_record(self, case_id: UUID, row: StoredEvent) -> Recorded:
        try:
            event = self.mapper.to_domain_event(row)
            if not isinstance(event, Case.Event):
                raise TypeError("not an event of a case")
            state = event.__dict__
            return Recorded(
                case_id=case_id,
                version=int(row.originator_version),
                type=event.TYPE,
                payload=dict(state["payload"]),
                recorded_at=state["timestamp"],
                recorded_by=str(state["recorded_by"]),
                hash=str(state["hash"]),
                previous_hash=str(state["previous_hash"]),
            )
        except Exception:  # any undecodable row is evidence, not a crash
            return _unreadable(case_id, int(row.originator_version))

    def case_ids(self) -> list[UUID]:
        """Every case id, in the order the cases were opened (scans the notification log)."""
        from eventsourcing.utils import get_topic

        topic = get_topic(Case.Opened)
        ids: list[UUID] = []
        start = 1
        while True:
            batch = self.recorder.select_notifications(start, 1000, topics=[topic])
            ids.extend(UUID(str(n.originator_id)) for n in batch)
            if len(batch) < 1000:
                return ids
            start = batch[-1].id + 1

    def _save(
        self, case: Case, expected: int | None = None, companions: tuple[Aggregate, ...] = ()
    ) -> None:
        try:
            self.save(case, *companions)
        except IntegrityError:
            raise VersionConflict(None, expected) from None


def _companions(
    build: Callable[[Recorded], Aggregate] | None, recorded: Recorded
) -> tuple[Aggregate, ...]:
    return () if build is None else (build(recorded),)


#: The type of a placeholder for a stored row that no longer decodes.
UNREADABLE = "unreadable"


def _unreadable(case_id: UUID, version: int) -> Recorded:
    at = datetime(1970, 1, 1, tzinfo=UTC)
    return Recorded(case_id, version, UNREADABLE, {}, at, "", "", "")


def _fill_unreadable_links(found: list[Recorded]) -> list[Recorded]:
    """Link each placeholder to its neighbours' hashes.

    The placeholder is already reported as altered; borrowing its neighbours' links
    keeps the check from also blaming it, or its intact successor, for a broken link.
    """
    out = list(found)
    for i, rec in enumerate(out):
        if rec.type != UNREADABLE:
            continue
        before = out[i - 1] if i > 0 and out[i - 1].version == rec.version - 1 else None
        after = out[i + 1] if i + 1 < len(out) and out[i + 1].version == rec.version + 1 else None
        out[i] = replace(
            rec,
            previous_hash=before.hash if before else (GENESIS if rec.version == 1 else ""),
            hash=after.previous_hash if after else "",
        )
    return out


def persistence_env(url: str | None) -> dict[str, str]:
    """Map a database URL (``sqlite:///path``, ``postgresql://…``) onto the library's env."""
    if not url:
        url = "sqlite:///var/teichaku.db"
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        path = path[1:]  # "///rel.db" → "rel.db"; "////abs.db" → "/abs.db"
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path}
    if parts.scheme in ("postgresql", "postgres"):
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": parts.path.lstrip("/") or "postgres",
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
        }
        query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
        if "schema" in query:
            env["POSTGRES_SCHEMA"] = query["schema"]
        return env
    raise ValueError(f"unsupported database URL scheme: {parts.scheme!r}")


class CaseNotFound(LookupError):
    """No case has this id."""

    def __init__(self, case_id: UUID) -> None:
        super().__init__(f"ケースが見つかりません: {case_id}")
        self.case_id = case_id


class VersionConflict(RuntimeError):
    """The case changed since the writer read it; re-read and try again."""

    def __init__(self, actual: int | None, expected: int | None) -> None:
        self.actual = actual
        self.expected = expected
        super().__init__(
            "ケースは他の人によって更新されています。最新の内容を読み込んでからやり直してください"
        )
