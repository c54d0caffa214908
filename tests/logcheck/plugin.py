"""A pytest plugin for :mod:`tests.api.test_logs`: while the API suite runs, every log
record of every logger goes to ``$TEICHAKU_LOG_CHECK.log``, and every bearer token issued
and every name, kana and recipient number of a case opened goes to
``$TEICHAKU_LOG_CHECK.secrets`` (one per line), so the outer test can look for the one in
the other. Loaded with ``-p tests.logcheck.plugin``; it does nothing without the variable.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

_secrets: set[str] = set()


def pytest_configure(config: pytest.Config) -> None:
    base = os.environ.get("TEICHAKU_LOG_CHECK")
    if not base:
        return
    handler = logging.FileHandler(base + ".log", encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    _note_secrets()


def pytest_unconfigure(config: pytest.Config) -> None:
    base = os.environ.get("TEICHAKU_LOG_CHECK")
    if base:
        Path(base + ".secrets").write_text("\n".join(sorted(_secrets)), encoding="utf-8")


def _note_secrets() -> None:
    from api.http.auth import TokenStore
    from domain.store.application import CaseLog

    create, open_case = TokenStore.create, CaseLog.open_case

    def noting_create(self: TokenStore, *args: Any, **kwargs: Any) -> str:
        token = create(self, *args, **kwargs)
        _secrets.add(token)
        return token

    def noting_open(self: CaseLog, data: Mapping[str, Any], **kwargs: Any) -> Any:
        person = data.get("person")
        found = [data.get("recipient_number")]
        if isinstance(person, Mapping):
            found += [person.get("name"), person.get("name_kana")]
        _secrets.update(v for v in found if isinstance(v, str) and len(v.strip()) >= 4)
        return open_case(self, data, **kwargs)

    TokenStore.create = noting_create  # type: ignore[method-assign]
    CaseLog.open_case = noting_open  # type: ignore[method-assign]
    _note_account_secrets()


def _note_account_secrets() -> None:
    """Issue 21: every set-up code issued and every password set, with its stored hash."""
    from api.http import accounts

    issue, set_password = accounts.AccountStore._issue_code, accounts.AccountStore.set_password

    def noting_issue(self: Any, *args: Any, **kwargs: Any) -> str:
        code = issue(self, *args, **kwargs)
        _secrets.add(code)
        return code

    def noting_set(self: Any, id: Any, password: str, **kwargs: Any) -> Any:
        account = set_password(self, id, password, **kwargs)
        _secrets.update({password, str(account.password_hash)})
        return account

    accounts.AccountStore._issue_code = noting_issue  # type: ignore[method-assign]
    accounts.AccountStore.set_password = noting_set  # type: ignore[method-assign]
