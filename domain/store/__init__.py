"""The store's wiring: where the pure domain meets the database.

``application`` is the one application service (:class:`~domain.store.application.CaseLog`,
the ``eventsourcing`` application every door writes and reads through); ``persistence``
adapts the library's storage (orjson transcoder, mapper, database URLs); ``keyring`` is
the per-case key table that makes erasure possible; ``access_table`` is the access log,
which also finds the list reads that named a case. Only this package runs SQL or touches
the database: ``domain/`` outside it is pure (``make lint`` checks it with import-linter).
"""
