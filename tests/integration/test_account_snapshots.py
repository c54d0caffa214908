"""An account grows one event per sign-in; it is snapshotted like the other aggregates that
grow without end, so a request reads it from its last snapshot (issue 24)."""

from __future__ import annotations

from datetime import timedelta

from domain.accounts import Account
from domain.store.application import CaseLog
from tests.integration.conftest import Backend


def test_an_account_signed_in_many_times_loads_from_a_snapshot_as_it_was(
    backend: Backend, store: CaseLog
) -> None:
    account = Account.create("snapshot-test", "試験 花子", "staff", "1310100001", by="管理者")
    store.save(account)
    for n in range(45):
        at = store.clock() + timedelta(seconds=n)
        account.trigger_event(Account.SignedIn, method="password", totp_step=n, timestamp=at)
        store.save(account)
    assert store.snapshots is not None
    snapshots = [s.originator_version for s in store.snapshots.get(account.id)]
    assert snapshots and max(snapshots) >= 40

    fresh = backend.open(AGGREGATE_CACHE_MAXSIZE="")  # another process, no cached copy
    loaded = fresh.repository.get(account.id)
    assert isinstance(loaded, Account) and loaded.version == account.version
    assert loaded.last_sign_in == account.last_sign_in and loaded.last_totp_step == 44
    assert loaded.display_name == "試験 花子" and loaded.session_generation == 0
