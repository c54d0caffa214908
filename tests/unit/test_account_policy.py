"""Login ids and the password policy (NIST SP 800-63B, docs/decisions/0041; issue 21)."""

from __future__ import annotations

import pytest

from domain.accounts import (
    MIN_PASSWORD_LENGTH,
    AccountProblem,
    account_id,
    check_login_id,
    check_role,
    common_passwords,
    normalise_login_id,
    password_problems,
)


def test_login_ids_are_one_whatever_the_case_or_width_typed() -> None:
    assert normalise_login_id(" Ｔａｎａｋａ ") == "tanaka"
    assert account_id("TANAKA") == account_id("ｔａｎａｋａ") != account_id("tanaka2")


@pytest.mark.parametrize("typed", ["", "   ", "tana ka", "a" * 65, "tab\there"])
def test_a_login_id_that_cannot_be_typed_back_is_refused(typed: str) -> None:
    with pytest.raises(AccountProblem) as refused:
        check_login_id(typed)
    assert refused.value.field == "login_id"


@pytest.mark.parametrize(
    "password",
    [
        "あおぞらにとぶしろいくもとかぜ",  # Japanese only, 15 characters
        "correct horse battery staple",  # spaces, no digits or capitals
        "x" * 14 + "y",  # no composition rule
        "a" * 63 + "b",  # at least 64 characters allowed
    ],
)
def test_long_passwords_of_any_characters_are_accepted(password: str) -> None:
    assert password_problems(password, "tanaka") == []


def test_a_short_password_is_refused_with_its_length() -> None:
    (problem,) = password_problems("あ" * (MIN_PASSWORD_LENGTH - 2) + "い", "tanaka")
    assert (
        f"{MIN_PASSWORD_LENGTH}文字以上" in problem and f"{MIN_PASSWORD_LENGTH - 1}文字" in problem
    )


def test_full_width_characters_count_as_what_they_normalise_to() -> None:
    typed = "ＰａｓｓｗｏｒｄＰａｓｓｗｏｒｄ"  # "PasswordPassword", on the shipped list
    assert any("よく使われて" in p for p in password_problems(typed, "tanaka"))


@pytest.mark.parametrize("common", ["password1234567", "qwertyuiopasdfgh", "iloveyouiloveyou"])
def test_a_password_on_the_shipped_common_list_is_refused(common: str) -> None:
    assert common in common_passwords()
    assert any("よく使われて" in p for p in password_problems(common.upper(), "tanaka"))


def test_the_shipped_list_is_the_common_list_not_a_handful() -> None:
    words = common_passwords()
    assert len(words) >= 10_000 and "baseball" in words and "12345678" in words


def test_the_login_id_itself_is_refused_as_a_password() -> None:
    login = "yamada.hanako.office1"
    assert any("ログインIDと同じ" in p for p in password_problems(login.upper(), login))


def test_one_character_repeated_is_refused() -> None:
    assert any("繰り返し" in p for p in password_problems("z" * 20, "tanaka"))


def test_an_overlong_password_is_refused() -> None:
    assert any("128文字以内" in p for p in password_problems("長" * 129, "tanaka"))


@pytest.mark.parametrize(
    ("role", "office", "field"),
    [("staff", None, "office_id"), ("staff", "131010000", "office_id"),
     ("auditor", "1310100001", "office_id"), ("owner", None, "role")],
)  # fmt: skip
def test_roles_and_offices_that_do_not_fit_are_refused(
    role: str, office: str | None, field: str
) -> None:
    with pytest.raises(AccountProblem) as refused:
        check_role(role, office)
    assert refused.value.field == field
