"""The access log's chain check itself (decision 0052), on the in-memory table that a store
without a database uses: intact, an altered entry, a missing one, a removed newest one."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.store.access_table import AccessEntry, MemoryAccessTable, entry_hash, hash_parts

CASE = "7f0c2a8e-1111-4a4a-9b9b-000000000001"
T0 = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)


def _table(n: int) -> MemoryAccessTable:
    table = MemoryAccessTable()
    for k in range(n):
        table.note(AccessEntry("case", T0 + timedelta(minutes=k), f"/r{k}", "監査 花子",
                               "auditor", None, None, (CASE,)))  # fmt: skip
    return table


def test_an_intact_stream_verifies_and_each_kind_of_change_is_named() -> None:
    assert _table(4).verify(CASE) == []

    altered = _table(4)
    altered.rows[1]["endpoint"] = "/elsewhere"
    (brk,) = altered.verify(CASE)
    assert (brk.seq, brk.entry_id) == (2, 2) and "ハッシュ" in brk.problem

    relinked = _table(4)  # the content rehashed, but the next entry's link then breaks
    relinked.rows[1]["previous_hash"] = "f" * 64
    assert [b.seq for b in relinked.verify(CASE)] == [2, 2]

    gap = _table(4)
    del gap.rows[1]
    breaks = gap.verify(CASE)  # the number is missing, and the link skips it
    assert {b.seq for b in breaks} == {3} and any("第2件" in b.problem for b in breaks)

    cut = _table(4)
    del cut.rows[3]
    (brk,) = cut.verify(CASE)
    assert brk.entry_id is None and "第4件" in brk.problem


def test_a_listing_names_its_cases_in_each_case_log_and_not_in_a_reader_s_case_reads() -> None:
    table = _table(1)
    table.note(AccessEntry("listing", T0 + timedelta(hours=1), "/cases", "監査 花子", "auditor",
                           None, "2025-06-02", (CASE, "other")))  # fmt: skip
    assert [e["endpoint"] for e in table.case_entries(CASE)] == ["/r0", "/cases"]
    assert [e["endpoint"] for e in table.case_entries("other")] == ["/cases"]
    assert [r["endpoint"] for r in table.reads_by("監査 花子", 10)] == ["/r0"]


_ROW_VALUES = st.fixed_dictionaries({
    "kind": st.sampled_from(["case", "listing"]), "at": st.text(max_size=30),
    "endpoint": st.text(max_size=60), "principal_name": st.text(max_size=30),
    "role": st.text(max_size=10), "as_of": st.none() | st.text(max_size=30),
    "on_day": st.none() | st.text(max_size=12), "case_ids": st.text(max_size=80),
})  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    stream=st.text(min_size=1, max_size=40),
    values=_ROW_VALUES,
    seq=st.integers(min_value=1, max_value=10**9),
    previous=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
)
def test_the_parts_the_database_hashes_make_the_very_text_of_an_entry_s_hash(
    stream: str, values: dict[str, Any], seq: int, previous: str
) -> None:
    """PostgreSQL hashes ``first + previous + second + seq + third`` in its one-statement
    append: any other text (an escape, an order, a separator) would break every chain."""
    first, second, third = hash_parts(stream, values)
    text = first + previous + second + str(seq) + third
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == entry_hash(
        stream, seq, values, previous
    )
