"""Rule VER of spec/fees.md: the fee schedule as versioned data, one file per revision.

Each revision is a TOML file (``domain/rules/schedules/<施行日>_<name>.toml``) holding its
施行日 and every value of fees.md it knows, each with its certainty (✔ / ○) and source.
A value that is not known is absent: the product then says so for that month
(:data:`NOT_REGISTERED_JA`) instead of guessing.

- VER-1: a service month is judged by the version in force on its first day: the one with
  the latest 施行日 on or before that day (:meth:`FeeSchedule.in_force`).
- VER-2: versions are data. A file's ``continues`` lists the value groups that fees.md says
  carried on from the version before (e.g. 令和8年6月 kept the base fee); only those are
  inherited, never the rest (docs/decisions/0036-fee-schedule-as-data.md). An office adds a
  file for a new revision, or amends one value of a version (``amends = "R6"``): every
  value answered names the file it came from (:attr:`Entry.file`).
- VER-3: :func:`compare_entries` lists what differs between two resolved versions.

The built-in files are this package's data (read once, like a constant table); an
office's directory is read by the door (:mod:`api.settings`) and handed over as text,
so nothing here touches a database or the network.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

#: What the product says for a month whose value is not in its schedule (fees.md "—").
NOT_REGISTERED_JA = "この期間の単位数は登録されていません"

Certainty = Literal["✔", "○"]
#: Value groups; ``continues`` names these.
Group = Literal["base_fee", "addon", "treatment", "reduction", "burden_cap"]
#: 利用者数規模 bands before 令和6年度 (``any``: no band, 令和6年度 on).
Band = Literal["any", "upto20", "21to40", "41plus"]
BANDS: tuple[str, ...] = ("any", "upto20", "21to40", "41plus")
BAND_JA = {"any": "区分なし", "upto20": "20人以下", "21to40": "21人以上40人以下",
           "41plus": "41人以上"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Item:
    """What a value key means: its rule, Japanese name and unit."""

    rule: str
    title_ja: str
    unit: Literal["units", "percent", "yen"]


#: Every key a schedule file may hold besides ``base_fee.<band>.<lower %>``.
ITEMS: dict[str, Item] = {
    "addon.initial": Item("FEE-2", "初期加算", "units"),
    "addon.regional_meeting_1": Item("FEE-3", "地域連携会議実施加算(Ⅰ)", "units"),
    "addon.regional_meeting_2": Item("FEE-3", "地域連携会議実施加算(Ⅱ)", "units"),
    "addon.liaison_r3": Item("FEE-3", "定着支援連携促進加算", "units"),
    "addon.employer_coordination": Item("FEE-3", "企業連携等調整特別加算", "units"),
    "addon.retention_system": Item("FEE-4", "就労定着実績体制加算", "units"),
    "addon.job_coach": Item("FEE-5", "職場適応援助者養成研修修了者配置体制加算", "units"),
    "addon.special_area": Item("FEE-6", "特別地域加算", "units"),
    "addon.cap_management": Item("FEE-7", "利用者負担上限額管理加算", "units"),
    "treatment.I": Item("FEE-8", "福祉・介護職員等処遇改善加算(Ⅰ)", "percent"),
    "treatment.II": Item("FEE-8", "福祉・介護職員等処遇改善加算(Ⅱ)", "percent"),
    "treatment.III": Item("FEE-8", "福祉・介護職員等処遇改善加算(Ⅲ)", "percent"),
    "treatment.IV": Item("FEE-8", "福祉・介護職員等処遇改善加算(Ⅳ)", "percent"),
    "reduction.abuse_prevention": Item("FEE-9", "虐待防止措置未実施減算", "percent"),
    "reduction.business_continuity": Item("FEE-9", "業務継続計画未策定減算", "percent"),
    "reduction.information_disclosure": Item("FEE-9", "情報公表未報告減算", "percent"),
    "reduction.support_system": Item("FEE-9", "支援体制構築未実施減算", "percent"),
    "reduction.staff_shortfall_first2": Item("FEE-9", "人員欠如減算(1・2か月目)", "percent"),
    "reduction.staff_shortfall_from3": Item("FEE-9", "人員欠如減算(3か月目から)", "percent"),
    "reduction.manager_shortfall_first4": Item(
        "FEE-9", "サービス管理責任者欠如減算(1〜4か月目)", "percent"),
    "reduction.manager_shortfall_from5": Item(
        "FEE-9", "サービス管理責任者欠如減算(5か月目から)", "percent"),
    "burden_cap.public_assistance": Item("FEE-10", "負担上限月額(生活保護)", "yen"),
    "burden_cap.low_income": Item("FEE-10", "負担上限月額(低所得)", "yen"),
    "burden_cap.general_1": Item("FEE-10", "負担上限月額(一般1)", "yen"),
    "burden_cap.general_2": Item("FEE-10", "負担上限月額(一般2)", "yen"),
}  # fmt: skip
_BASE_KEY = re.compile(r"^base_fee\.(any|upto20|21to40|41plus)\.(\d{1,2})$")
_VERSION_NAME = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$"


def item_of(key: str) -> Item:
    """The meaning of a value key (a base-fee key: FEE-1 by its band and lower bound)."""
    found = _BASE_KEY.match(key)
    if found:
        band, lower = found.groups()
        return Item("FEE-1", f"就労定着支援サービス費({BAND_JA[band]}、定着率{lower}%以上)",
                    "units")  # fmt: skip
    return ITEMS[key]


class ValueFile(BaseModel):
    """One value as written in a file: the number, its certainty and its source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: Decimal = Field(ge=0)
    certainty: Certainty
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    note_ja: str | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _exact(cls, v: Any) -> Any:
        # TOML floats (10.3) are read through their shortest text, so 10.3 stays 10.3.
        return str(v) if isinstance(v, float) else v


class HeaderFile(BaseModel):
    """A file's ``[version]``: a revision (name, title, 施行日) or an office's amendment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, StringConstraints(pattern=_VERSION_NAME)] | None = None
    title_ja: str | None = None
    effective_from: date | None = None
    continues: list[Group] = Field(default_factory=list)
    #: The version this file amends (an office's checked values); then no 施行日 of its own.
    amends: Annotated[str, StringConstraints(pattern=_VERSION_NAME)] | None = None
    source_ja: str | None = None


class ScheduleFile(BaseModel):
    """A whole file, validated at start-up (a bad file stops the service with its reason)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: HeaderFile
    values: dict[str, ValueFile] = Field(default_factory=dict)

    @field_validator("values")
    @classmethod
    def _known_keys(cls, values: dict[str, ValueFile]) -> dict[str, ValueFile]:
        unknown = [k for k in values if k not in ITEMS and not _BASE_KEY.match(k)]
        if unknown:
            raise ValueError(f"未知の項目です: {', '.join(sorted(unknown))}")
        for k in values:
            found = _BASE_KEY.match(k)
            if found and int(found.group(2)) > 99:
                raise ValueError(f"定着率の下限は0〜99%です: {k}")
        return values


class ScheduleError(ValueError):
    """A schedule file that cannot be used: the file and the reason, in Japanese."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One value as answered: where it came from (version and file) and how sure it is."""

    key: str
    value: Decimal
    certainty: Certainty
    source: str
    version: str
    file: str
    note_ja: str | None = None

    @property
    def uncertain(self) -> bool:
        return self.certainty != "✔"

    @property
    def item(self) -> Item:
        return item_of(self.key)

    def as_json(self) -> dict[str, Any]:
        item = self.item
        return {
            "key": self.key, "rule": item.rule, "title_ja": item.title_ja, "unit": item.unit,
            "value": _number(self.value), "certainty": self.certainty, "warning": self.uncertain,
            "source": self.source, "version": self.version, "file": self.file,
            "note_ja": self.note_ja,
        }  # fmt: skip


def _number(value: Decimal) -> int | str:
    return int(value) if value == value.to_integral_value() else str(value)


@dataclass(frozen=True)
class Version:
    """One revision with every value it holds or continues (resolved)."""

    name: str
    title_ja: str
    effective_from: date
    file: str
    continues: tuple[str, ...]
    values: Mapping[str, Entry]
    #: Files that amended this version (an office's checked values), in the order read.
    amended_by: tuple[str, ...] = ()

    def get(self, key: str) -> Entry | None:
        return self.values.get(key)

    def bands(self) -> list[str]:
        """The 利用者数規模 bands this version has base fees for."""
        found = {m.group(1) for k in self.values if (m := _BASE_KEY.match(k))}
        return [b for b in BANDS if b in found]

    def banded(self) -> bool:
        """Whether this version's base fee depends on the 利用者数規模 (before 令和6年度)."""
        return self.effective_from < date(2024, 4, 1)

    def base_fee(self, rate: Fraction, band: str = "any") -> Entry | None:
        """FEE-1: the base fee of the tier whose lower bound (inclusive) ``rate`` reaches.

        ``None`` when the version holds no table for ``band`` (fees.md "—").
        """
        tiers = sorted(
            ((int(m.group(2)), e) for k, e in self.values.items()
             if (m := _BASE_KEY.match(k)) and m.group(1) == band),
            key=lambda t: t[0], reverse=True,
        )  # fmt: skip
        return next((e for lower, e in tiers if rate >= Fraction(lower, 100)), None)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "title_ja": self.title_ja,
            "effective_from": self.effective_from.isoformat(), "file": self.file,
            "continues": list(self.continues), "amended_by": list(self.amended_by),
        }  # fmt: skip


@dataclass(frozen=True)
class FeeSchedule:
    """Every known version, oldest first."""

    versions: tuple[Version, ...]
    _by_name: dict[str, Version] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update({v.name: v for v in self.versions})

    def in_force(self, day: date) -> Version | None:
        """VER-1: the version whose 施行日 is the latest on or before ``day``."""
        found = [v for v in self.versions if v.effective_from <= day]
        return found[-1] if found else None

    def for_month(self, month: str) -> Version | None:
        """VER-1: the version in force for service month ``YYYY-MM`` (its first day)."""
        year, mon = (int(p) for p in month.split("-"))
        return self.in_force(date(year, mon, 1))

    def named(self, name: str) -> Version | None:
        return self._by_name.get(name)

    def latest(self) -> Version:
        return self.versions[-1]


def parse_file(text: str, file: str) -> ScheduleFile:
    """One schedule file's text, validated; :class:`ScheduleError` names the file and why."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScheduleError(f"{file}: TOML として読めません({exc})") from None
    try:
        parsed = ScheduleFile.model_validate(data)
    except ValidationError as exc:
        where = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ScheduleError(f"{file}: {where}") from None
    header = parsed.version
    if header.amends is None and (header.name is None or header.effective_from is None):
        raise ScheduleError(f"{file}: version.name と version.effective_from(施行日)が必要です")
    if header.amends is not None and (header.effective_from or header.continues):
        raise ScheduleError(f"{file}: amends の版には施行日・continues を書けません")
    return parsed


def build(files: Iterable[tuple[str, str]]) -> FeeSchedule:
    """The schedule from ``(file name, text)`` pairs: revisions, then amendments in order.

    A revision named like an earlier one replaces it (an office's corrected copy).
    """
    revisions: dict[str, tuple[str, ScheduleFile]] = {}
    amendments: list[tuple[str, ScheduleFile]] = []
    for name, text in files:
        parsed = parse_file(text, name)
        if parsed.version.amends is not None:
            amendments.append((name, parsed))
        else:
            assert parsed.version.name is not None
            revisions[parsed.version.name] = (name, parsed)
    dates = [p.version.effective_from for _, p in revisions.values()]
    if len(set(dates)) != len(dates):
        raise ScheduleError("同じ施行日の版が2つあります(版名を揃えて置き換えてください)")
    ordered = sorted(revisions.values(), key=lambda fp: fp[1].version.effective_from or date.min)
    for file, amendment in amendments:
        if amendment.version.amends not in revisions:
            raise ScheduleError(f"{file}: amends の版 {amendment.version.amends} がありません")
    versions: list[Version] = []
    for file, parsed in ordered:
        h = parsed.version
        assert h.name is not None and h.effective_from is not None
        own = {k: Entry(k, v.value, v.certainty, v.source, h.name, file, v.note_ja)
               for k, v in parsed.values.items()}  # fmt: skip
        amended_by: list[str] = []
        for afile, amendment in amendments:
            if amendment.version.amends == h.name:
                amended_by.append(afile)
                own |= {k: Entry(k, v.value, v.certainty, v.source, h.name, afile, v.note_ja)
                        for k, v in amendment.values.items()}  # fmt: skip
        values: dict[str, Entry] = {}
        if versions:
            before = versions[-1]
            values = {k: e for k, e in before.values.items() if k.split(".")[0] in h.continues}
        values |= own
        versions.append(Version(h.name, h.title_ja or h.name, h.effective_from, file,
                                tuple(h.continues), values, tuple(amended_by)))  # fmt: skip
    if not versions:
        raise ScheduleError("報酬の版が1つもありません")
    return FeeSchedule(tuple(versions))


def builtin_files() -> list[tuple[str, str]]:
    """This package's schedule files as ``(path, text)``, the path as in the repository."""
    folder = resources.files("domain.rules") / "schedules"
    found = sorted((p for p in folder.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name)
    return [(f"domain/rules/schedules/{p.name}", p.read_text(encoding="utf-8")) for p in found]


@cache
def builtin() -> FeeSchedule:
    """The built-in schedule (read once; validated when first asked, at start-up)."""
    return build(builtin_files())


def with_office_files(extra: Iterable[tuple[str, str]]) -> FeeSchedule:
    """The built-in schedule with an office's files added (new revisions or amendments)."""
    return build([*builtin_files(), *extra])


def compare_entries(a: Version, b: Version) -> list[dict[str, Any]]:
    """VER-3: every key whose value differs between ``a`` and ``b`` (absent counts)."""
    out = []
    for key in sorted(set(a.values) | set(b.values)):
        x, y = a.get(key), b.get(key)
        if x is not None and y is not None and x.value == y.value:
            continue
        item = item_of(key)
        out.append({"key": key, "rule": item.rule, "title_ja": item.title_ja,
                    "from": x.as_json() if x else None, "to": y.as_json() if y else None})
    return out
