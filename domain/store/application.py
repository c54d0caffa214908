"""``CaseLog``: the application service over the ``eventsourcing`` library.

Persistence, optimistic concurrency, snapshots and the aggregate cache are the
library's own (adapted in :mod:`domain.store.persistence`); this module adds an injected clock
and use-case verbs that turn library errors into domain errors.

Configuration (``PERSISTENCE_MODULE``, ``SQLITE_DBNAME``, ``POSTGRES_*``, ``CIPHER_*``,
``AGGREGATE_CACHE_MAXSIZE``) is the library's: see :func:`persistence_env` for how a
database URL maps onto it.

Reads go through the library's aggregate cache (:attr:`CaseLog.env`): a case already
read by this process is fast-forwarded by the events stored since (one query), and the
copy a request gets shares the immutable records and typed facts of the cached case
(``Case.__deepcopy__``). Another process's writes are read by that query, so the cache
is safe with several server workers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, BinaryIO, ClassVar
from uuid import UUID, uuid4

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    LRUCache,
    ProcessingEvent,
    ProjectorFunction,
    Repository,
)
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Mapper, StoredEvent, Transcoder
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.utils import Environment, EnvType, strtobool

from domain.access import CaseAccessLog
from domain.accounts import Account
from domain.case import EVENT_CLASSES, REVEALED, Case
from domain.chain import GENESIS
from domain.history import Recorded, utc_now
from domain.sealing import erased
from domain.store.access_table import AccessEntry, AccessTable, open_access_table
from domain.store.cache import case_cache
from domain.store.creation import creation_lock
from domain.store.keyring import KeyStore, open_key_store
from domain.store.persistence import (
    CaseMapper,
    OrjsonTranscoder,
    geometric_snapshot,
    key_file_of,
    persistence_env,
)
from domain.store.recorders import CHECKED, CallerChanged, Unchanged
from domain.store.writer_queue import queue_writers

__all__ = [
    "UNREADABLE",
    "CaseLog",
    "CaseMapper",
    "CaseNotFound",
    "OrjsonTranscoder",
    "VersionConflict",
    "persistence_env",
]

#: A case is snapshotted at this version and then at every doubling (see
#: :func:`domain.store.persistence.geometric_snapshot`); an access log (constant-size state)
#: every 20 entries.
CASE_FIRST_SNAPSHOT = 50
#: Appends without If-Match retried on a concurrent append before answering 409.
_WRITE_ATTEMPTS = 5


def project_events(aggregate: Any, events: Iterable[Any]) -> Any:
    """The library's ``project_aggregate`` without its per-event ``isinstance`` against a
    runtime-checkable Protocol, which costs ~50 µs an event in Python 3.11: ~8 % of a case
    loaded cold (issue 24). Every event read from this store is one of the library's event
    classes (its mapper resolves the stored topic), each with its ``mutate``."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class StoreRepository(Repository[UUID]):
    """The library's repository, projecting with :func:`project_events` by default."""

    def get(
        self, aggregate_id: UUID, *, version: int | None = None,
        projector_func: ProjectorFunction[Any, Any] = project_events,
        fastforward_skipping: bool = False, deepcopy_from_cache: bool = True,
    ) -> Any:  # fmt: skip
        return super().get(
            aggregate_id, version=version, projector_func=projector_func,
            fastforward_skipping=fastforward_skipping, deepcopy_from_cache=deepcopy_from_cache,
        )  # fmt: skip


class CaseLog(Application[UUID]):
    """Records and reads cases. ``clock`` is injected so tests are deterministic."""

    name = "teichaku"
    snapshotting_intervals = {Case: CASE_FIRST_SNAPSHOT, CaseAccessLog: 20, Account: 20}  # noqa: RUF012 (the library reads a class attribute)
    #: Keep up to 256 aggregates per process, within ``TEICHAKU_CASE_CACHE_MB`` (default
    #: 128 MB, estimated from their events: :mod:`domain.store.cache`); override the count
    #: with ``AGGREGATE_CACHE_MAXSIZE`` (0 = unbounded), or turn off with an empty value.
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "256"}

    def __init__(
        self, env: Mapping[str, str] | None = None, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.clock = clock
        # Processes opening a new PostgreSQL schema together make its tables one at a time
        # (the library's, the keys', the access log's): domain.store.creation.
        with creation_lock(self.construct_env(self.name, env)):
            super().__init__(env=env)
            module = self.env.get("PERSISTENCE_MODULE") or ""
            #: The person keys (crypto-shredding, :mod:`domain.store.keyring`), in the
            #: events' database.
            self.keys: KeyStore = open_key_store(
                module, self.recorder, self.mapper.cipher, key_file_of(self.env)
            )
            #: The access log: an append-only table with a hash chain per stream (0052).
            self.access: AccessTable = open_access_table(
                module, self.recorder, self._legacy_access
            )
        assert isinstance(self.mapper, CaseMapper)
        self.mapper.keys = self.keys.key
        datastore = getattr(self.recorder, "datastore", None)
        if isinstance(datastore, SQLiteDatastore) and not datastore.pool.is_sqlite_memory_mode:
            self._writers = queue_writers(datastore, datastore.pool.db_name)
        cache = self.repository.cache
        if isinstance(cache, LRUCache):  # bounded by bytes, not count (decision 0051)
            self.repository.cache = case_cache(self.env, cache.maxsize)

    #: The SQLite file's writer lock (:mod:`domain.store.writer_queue`), None otherwise.
    _writers: BinaryIO | None = None

    def close(self) -> None:
        super().close()
        if self._writers is not None:
            self._writers.close()

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        """The library's settings, with the recorder that checks a remembered writer in the
        transaction of its write (:mod:`domain.store.recorders`) unless one is named."""
        built = super().construct_env(name, env)
        module = built.get("PERSISTENCE_MODULE") or ""
        if module in CHECKED and not built.get("APPLICATION_RECORDER_TOPIC"):
            built["APPLICATION_RECORDER_TOPIC"] = CHECKED[module]
        return built

    @property
    def checks_writers(self) -> bool:
        """Can a write be made for a caller as remembered, checked in its own transaction
        (``unchanged`` of :meth:`record`)? Not on a store in memory: it always refuses."""
        return bool(getattr(self.recorder, "checks_unchanged", False))

    def construct_transcoder(self) -> Transcoder:
        return OrjsonTranscoder()

    def construct_repository(self) -> Repository[UUID]:
        """The library's repository, configured as the library does, projecting with
        :func:`project_events` (:class:`StoreRepository`)."""
        maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return StoreRepository(
            event_store=self.events,
            snapshot_store=self.snapshots,
            cache_maxsize=int(maxsize) if maxsize else None,
            fastforward=strtobool(self.env.get(self.AGGREGATE_CACHE_FASTFORWARD, "y")),
            fastforward_skipping=strtobool(
                self.env.get(self.AGGREGATE_CACHE_FASTFORWARD_SKIPPING, "n")
            ),
            deepcopy_from_cache=strtobool(self.env.get(self.DEEPCOPY_FROM_AGGREGATE_CACHE, "y")),
        )

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
        unchanged: Unchanged = (),
    ) -> Case:
        """Open a new case; raises the domain's validation errors.

        ``companion`` builds another aggregate from the recorded event (e.g. the API's
        idempotency record) that is saved atomically with the case. ``unchanged``: the
        writer's token and account as read, (id, version); the case is saved only if
        neither has a later event, else :class:`CallerChanged` and nothing is saved.
        """
        case_id = uuid4()
        case = Case.open(
            data, recorded_by=recorded_by, recorded_at=self.clock(), case_id=case_id,
            make_key=self.keys.key_for_writing,  # only for a payload that is accepted
        )  # fmt: skip
        try:
            self._save(case, companions=_companions(companion, case.records[-1]),
                       unchanged=unchanged)  # fmt: skip
        except (CallerChanged, VersionConflict):
            # Refused in its transaction, for certain: nothing of the case was stored, and
            # its new key sealed nothing that is. (Not on other errors: a commit whose
            # answer was lost may have stored the case, and its key must stay.)
            self.keys.discard(case_id)
            raise
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
        case: Case | None = None,
        check: Callable[[Case], None] | None = None,
        unchanged: Unchanged = (),
    ) -> Recorded:
        """Append one event to a case, only if it is still at ``expected_version`` when given.

        ``companion`` as in :meth:`open_case`: saved in the same transaction as the event.
        ``case``: the case as the caller already loaded it (e.g. to check who may write),
        so a write loads it once. ``check``: what the caller requires of the case (who may
        write it), run again on the case as reloaded before a retry.

        A writer that gave ``expected_version`` asked for that version: a concurrent
        append is its conflict (409). One that gave none asked for no condition, so when
        another append took the version first, the case is reloaded and the event
        recorded on it (at most :data:`_WRITE_ATTEMPTS` times; the domain's rules run
        again on the newer history). Without ``check`` a caller-loaded case is not
        retried: its checks would not have seen the newer case. ``unchanged`` as in
        :meth:`open_case`.
        """
        retries = expected_version is None and (case is None or check is not None)
        attempts = _WRITE_ATTEMPTS if retries else 1
        for attempt in range(attempts):
            if case is None or case.id != case_id:
                case = self.get_case(case_id)
                if check is not None:
                    check(case)
            try:
                return self._record_on(case, event_type, data, recorded_by, expected_version,
                                       companion, unchanged)  # fmt: skip
            except VersionConflict:
                if attempt + 1 == attempts:
                    raise
                case = None  # another append came first: reload and record again
                time.sleep(0.002 * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    def _record_on(
        self, case: Case, event_type: str, data: Mapping[str, Any], recorded_by: str,
        expected_version: int | None, companion: Callable[[Recorded], Aggregate] | None,
        unchanged: Unchanged = (),
    ) -> Recorded:  # fmt: skip
        if expected_version is not None and case.version != expected_version:
            raise VersionConflict(case.version, expected_version)
        key = None if case.erased else self.keys.key_for_writing(case.id)
        recorded = case.record(
            event_type, data, recorded_by=recorded_by, recorded_at=self.clock(), key=key
        )
        self._save(case, expected_version, _companions(companion, recorded), unchanged)
        return recorded

    def erase_person(
        self, case_id: UUID, *, reason: str, recorded_by: str, expected_version: int | None = None
    ) -> Erasure:
        """Erase the person's personal data: record ``person_erased``, then destroy the key.

        The event comes first, so an erasure is never done without its record; if the key
        could not be destroyed after it (a crash in between), erasing again completes it.
        Dates, rule results and the hash chain are unchanged: only the sealed values
        become unreadable (:mod:`domain.sealing`).
        """
        case = self.get_case(case_id)
        if case.erased:
            if self.keys.destroy(case_id):
                return Erasure(case_id, None, key_destroyed=True)
            raise AlreadyErased(case_id)
        if expected_version is not None and case.version != expected_version:
            raise VersionConflict(case.version, expected_version)
        unsealed = case.unsealed_personal_versions()
        if unsealed:
            raise NotErasable(case_id, unsealed)
        recorded = case.erase(reason, recorded_by=recorded_by, recorded_at=self.clock())
        self._save(case, expected_version)
        destroyed = self.keys.destroy(case_id)
        return Erasure(case_id, recorded, key_destroyed=destroyed)

    def get_case(self, case_id: UUID, version: int | None = None) -> Case:
        """Load a case (from its latest snapshot when there is one)."""
        try:
            case: object = self.repository.get(case_id, version=version)
        except AggregateNotFoundError:
            raise CaseNotFound(case_id) from None
        if not isinstance(case, Case):
            raise CaseNotFound(case_id)
        return case

    def access_entries(self, case_id: UUID) -> list[dict[str, Any]]:
        """The case's read-access log, oldest first (at, endpoint, who, role, as_of, on):
        its reads and the lists that showed it (one indexed query, decision 0052)."""
        return self.access.case_entries(str(case_id))

    def note_access(
        self, case_id: UUID, *, reader: str, role: str, endpoint: str,
        as_of: datetime | None, on: date | None, unchanged: Sequence[tuple[UUID, int]] = (),
    ) -> bool:  # fmt: skip
        """Append one entry to the case's access log, durable before this returns.

        One row in the access table, chained in the case's stream: concurrent reads of a
        case wait a moment on the stream's head row instead of racing for a version.
        ``unchanged``: aggregates (id, version) that must have no later event, checked
        with the write (the reader's token as last read, decision 0058); False, and no
        entry, when one has.
        """
        entry = AccessEntry(
            "case", self.clock(), endpoint, reader, role,
            as_of.isoformat() if as_of is not None else None,
            on.isoformat() if on is not None else None, (str(case_id),),
        )  # fmt: skip
        return self._note(entry, unchanged)

    def note_listing(
        self, case_ids: Sequence[UUID], *, reader: str, role: str, endpoint: str,
        on: date | None, unchanged: Sequence[tuple[UUID, int]] = (),
    ) -> bool:  # fmt: skip
        """One entry for a list or dashboard read naming every case it showed
        (``unchanged``: as for :meth:`note_access`)."""
        return self._note(AccessEntry(
            "listing", self.clock(), endpoint, reader, role, None,
            on.isoformat() if on is not None else None, tuple(str(i) for i in case_ids),
        ), unchanged)  # fmt: skip

    def _note(self, entry: AccessEntry, unchanged: Sequence[tuple[UUID, int]]) -> bool:
        if not unchanged:
            self.access.note(entry)
            return True
        events = str(getattr(self.recorder, "events_table_name", "stored_events"))
        return self.access.note_unless_changed(entry, unchanged, events)

    def _legacy_access(self) -> Iterator[AccessEntry]:
        """The entries written as events before the access table (``CaseAccessLog`` and
        ``ListingRead``), in stored order: read once, when the table is first made."""
        from eventsourcing.utils import get_topic

        from domain.listing_access import ListingRead

        classes = (CaseAccessLog.Started, CaseAccessLog.Accessed, ListingRead.Listed)
        topics = [get_topic(c) for c in classes]
        case_of: dict[UUID, str] = {}
        start = 1
        while True:
            batch = self.recorder.select_notifications(start, 1000, topics=topics)
            for n in batch:
                event = self.mapper.to_domain_event(n)
                if isinstance(event, CaseAccessLog.Started):
                    case_of[event.originator_id] = event.case_id
                elif isinstance(event, CaseAccessLog.Accessed):
                    case_id = case_of.get(event.originator_id)
                    if case_id is not None:
                        yield AccessEntry("case", event.timestamp, event.endpoint,
                                          event.principal_name, event.role, event.as_of,
                                          event.on, (case_id,))  # fmt: skip
                elif isinstance(event, ListingRead.Listed):
                    yield AccessEntry("listing", event.timestamp, event.endpoint,
                                      event.principal_name, event.role, None, event.on,
                                      tuple(event.case_ids))  # fmt: skip
            if len(batch) < 1000:
                return
            start = batch[-1].id + 1

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
        if any(r.type == "person_erased" for r in found):  # as the aggregate reads them
            found = [_erased_record(r) for r in found]
        return _fill_unreadable_links(found)

    def _stored_record(self, case_id: UUID, row: StoredEvent) -> Recorded:
        try:
            event = self.mapper.to_domain_event(row)
            if not isinstance(event, Case.Event):
                raise TypeError("not an event of a case")
            state = event.__dict__
            opened = state.get(REVEALED)
            return Recorded(
                case_id=case_id,
                version=int(row.originator_version),
                type=event.TYPE,
                payload=dict(state["payload"] if opened is None else opened.payload),
                recorded_at=state["timestamp"],
                recorded_by=str(state["recorded_by"]),
                hash=str(state["hash"]),
                previous_hash=str(state["previous_hash"]),
                stored_payload=None if opened is None else dict(state["payload"]),
                openings=None if opened is None else opened.openings,
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

    def stored_office_ids(self) -> list[UUID]:
        """The aggregate id of every office that has its 体制 recorded (for ``verify``)."""
        from eventsourcing.utils import get_topic

        from domain.office import Office

        ids: list[UUID] = []
        start = 1
        while True:
            batch = self.recorder.select_notifications(
                start, 1000, topics=[get_topic(Office.Registered)]
            )
            ids.extend(UUID(str(n.originator_id)) for n in batch)
            if len(batch) < 1000:
                return ids
            start = batch[-1].id + 1

    def stored_case_ids(self) -> list[UUID]:
        """Every case with any stored event (one whose first row was removed included)."""
        from eventsourcing.utils import get_topic

        topics = [get_topic(cls) for cls in EVENT_CLASSES.values()]
        seen: dict[UUID, None] = {}
        start = 1
        while True:
            batch = self.recorder.select_notifications(start, 1000, topics=topics)
            for n in batch:
                seen.setdefault(UUID(str(n.originator_id)), None)
            if len(batch) < 1000:
                return list(seen)
            start = batch[-1].id + 1

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """Snapshot a case at geometric versions (linear storage), other aggregates as usual.

        The case is snapshotted from the saved aggregate itself, not reloaded from the
        store, and without its derived ledger (``Case.Snapshot``).
        """
        for event in processing_event.events:
            aggregate = processing_event.aggregates.get(event.originator_id)
            if not isinstance(aggregate, Case):
                continue
            version = event.originator_version
            if not geometric_snapshot(version, CASE_FIRST_SNAPSHOT):
                continue
            if aggregate.version == version and self.snapshots is not None:
                self.snapshots.put([Case.Snapshot.take(aggregate)])
            else:  # several events saved at once: the snapshot's version is reloaded
                self.take_snapshot(event.originator_id, version)
        # The library's own rule (every N versions) for the other aggregates.
        others = ProcessingEvent[UUID]()
        others.events = processing_event.events
        others.aggregates = {
            k: a for k, a in processing_event.aggregates.items() if not isinstance(a, Case)
        }
        super()._take_snapshots(others)

    def _save(
        self, case: Case, expected: int | None = None, companions: tuple[Aggregate, ...] = (),
        unchanged: Unchanged = (),
    ) -> None:  # fmt: skip
        """Save the case (and its companions) in one transaction; ``unchanged`` checked in
        it by the recorder (:mod:`domain.store.recorders`)."""
        if unchanged and not self.checks_writers:
            raise CallerChanged  # this store cannot check it: the caller must be read now
        try:
            self.save(case, *companions, unchanged=unchanged)
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


def _erased_record(rec: Recorded) -> Recorded:
    if rec.stored_payload is None:
        return rec
    return replace(rec, payload=erased(rec.stored_payload), openings={})


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


@dataclass(frozen=True, slots=True)
class Erasure:
    """What ``erase_person`` did: the event it recorded (``None`` when it only completed an
    earlier erasure) and whether a key was destroyed (``False``: the case had none)."""

    case_id: UUID
    recorded: Recorded | None
    key_destroyed: bool


class AlreadyErased(RuntimeError):
    """The person's data was erased before, and the key is already gone."""

    def __init__(self, case_id: UUID) -> None:
        super().__init__("このケースの個人情報は既に消去されています")
        self.case_id = case_id


class NotErasable(RuntimeError):
    """Some of the case's personal values were stored in clear, before sealing existed.

    Crypto-shredding cannot reach them, and events are never rewritten: recording an
    erasure would claim what is not true, so none is recorded (docs/erasure.md).
    """

    def __init__(self, case_id: UUID, versions: list[int]) -> None:
        super().__init__(
            f"暗号化前に保存された個人情報があるため、鍵の破棄では消去できません(第{versions[0]}版など"
            f" {len(versions)} 件)"
        )
        self.case_id = case_id
        self.versions = versions


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
