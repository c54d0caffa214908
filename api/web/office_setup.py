"""The office's 体制 page (issue 22): ``/web/offices/{id}/setup``.

Everyone who may read the office sees its 体制 as known now or ``as_of`` an instant: the
registration (事業所番号, name, 指定日), the 就労定着率 tier notified per fiscal year with
the tier the records compute beside it (RATE ⚠) and a warning when they differ, the 加算
with their months, 減算 months, the services run jointly, the user band before 令和6年度
and the 地域区分 unit price — each with the office events behind it. An administrator
records each of these with a form (POST to the same address): the same payload models
and rules as ``POST /offices/{id}/events`` (:mod:`domain.office`), problems beside their
inputs, one-time keys (a form sent again stores nothing: :func:`api.web.account.done_once`),
corrections and retractions with a reason. Staff and auditors read; no form is shown to
them and a post from them is a 403 page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.http.auth import Forbidden, Principal
from api.http.routers.office_setup import fee_schedule_of, load_office, read_office_facts
from api.http.routers.offices import office_rows
from api.web.account import check_form_token, done_once, jst
from api.web.fields import Field
from api.web.form_errors import humanised
from api.web.labels import CHOICE_LABEL_JA
from api.web.office import _office, _read_window
from api.web.once import key_of
from api.web.pages import _csrf, _guarded, _page
from api.web.typed_input import read_date
from domain.history import tokyo_date
from domain.office import (
    Office,
    OfficeFact,
    OfficeFacts,
    OfficeRuleViolation,
    validate_office_payload,
)
from domain.payloads import FieldProblem
from domain.rules.schedule import ITEMS
from projections.office_setup import setup_answer
from projections.views.office import fiscal_year_of, retention, retention_years

router = APIRouter(include_in_schema=False)

TYPE_JA = {
    "office_registered": "事業所の登録(名称・指定日)",
    "tier_notified": "就労定着率の区分の届出",
    "addon_notified": "加算の届出",
    "reduction_months": "減算の月",
    "joint_services": "一体的に運営するサービス",
    "user_band_notified": "利用者数規模の届出(令和5年度まで)",
    "unit_price_set": "地域区分の単価",
}
TIERS = [
    (str(t), f"{t}%以上" if t else "0%(最下位の区分)") for t in (95, 90, 80, 70, 50, 30, 10, 0)
]
ADDON_JA = {
    "retention_system": "就労定着実績体制加算(FEE-4)",
    "job_coach": "職場適応援助者養成研修修了者配置体制加算(FEE-5)",
    "treatment": "福祉・介護職員等処遇改善加算(FEE-8)",
}
LEVEL_JA = {"I": "Ⅰ", "II": "Ⅱ", "III": "Ⅲ", "IV": "Ⅳ"}
REDUCTION_JA = {k.split(".", 1)[1]: v.title_ja for k, v in ITEMS.items()
                if k.startswith("reduction.")}  # fmt: skip
SERVICE_JA = {k: CHOICE_LABEL_JA[k] for k in ("employment_transition", "continuous_a",
              "continuous_b", "daily_life_care", "independence_training")}  # fmt: skip
BAND_JA = {"upto20": "20人以下", "21to40": "21人以上40人以下", "41plus": "41人以上"}
MONTH_HINT = "例: 2024-04、2024/4、2024年4月"


def _f(name: str, kind: str, label: str, required: bool = True, choices: Any = ()) -> Field:
    return Field(name, kind, label, required, tuple(choices))


#: The form of each event type (the payload models' fields, with Japanese labels).
FORMS: dict[str, list[Field]] = {
    "office_registered": [
        _f("name", "text", "事業所の名称"),
        _f("designated_on", "date", "指定日"),
    ],
    "tier_notified": [
        _f("fiscal_year", "int", "年度(4月始まりの西暦年。例: 2024)"),
        _f("tier_percent", "choice", "届け出た区分(就労定着率)", choices=TIERS),
        _f("notified_on", "date", "届け出た日"),
    ],
    "addon_notified": [
        _f("addon", "choice", "加算", choices=ADDON_JA.items()),
        _f(
            "level",
            "choice",
            "処遇改善加算の区分(処遇改善加算のときだけ)",
            False,
            [(k, f"({v})") for k, v in LEVEL_JA.items()],
        ),
        _f("from_month", "month", "算定を始める月"),
        _f("to_month", "month", "算定を終える月(空欄なら続く)", False),
        _f("notified_on", "date", "届け出た日"),
    ],
    "reduction_months": [
        _f("kind", "choice", "減算の種類", choices=REDUCTION_JA.items()),
        _f("months", "months", "対象の月(複数は改行か「、」で区切る)"),
        _f("reason", "text", "理由・メモ(任意)", False),
    ],
    "joint_services": [
        _f(
            "services",
            "services",
            "一体的に運営しているサービス(なければ何も選ばない)",
            False,
            SERVICE_JA.items(),
        ),
        _f("from_on", "date", "この内容になった日"),
    ],
    "user_band_notified": [
        _f("fiscal_year", "int", "年度(2023年度まで。例: 2023)"),
        _f("band", "choice", "利用者数規模", choices=BAND_JA.items()),
    ],
    "unit_price_set": [
        _f("yen_per_unit", "number", "1単位の単価(円。地域区分による。例: 10.70)"),
        _f("from_month", "month", "適用を始める月"),
    ],
}
_MONTH = re.compile(r"^\s*(\d{4})\s*(?:-|/|年)\s*(\d{1,2})\s*月?\s*$")
_SPLIT = re.compile(r"[\s、,，]+")


def read_month(text: str) -> str:
    """``2024-04``, ``2024/4``, ``2024年4月`` (full-width digits too) → ``2024-04``."""
    folded = text.translate(str.maketrans("０１２３４５６７８９－／", "0123456789-/"))
    found = _MONTH.match(folded)
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise ValueError(text)
    return f"{found.group(1)}-{int(found.group(2)):02d}"


def parse_setup_form(
    event_type: str, form: Mapping[str, Any]
) -> tuple[dict[str, Any], list[FieldProblem]]:
    """The payload a setup form describes, and what could not be read (field by field)."""
    payload: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for f in FORMS[event_type]:
        if f.kind == "services":
            payload[f.name] = [k for k in SERVICE_JA if form.get(f"{f.name}.{k}") == "on"]
            continue
        text = str(form.get(f.name, "")).strip()
        if not text:
            continue  # absent: the model says whether it is required
        try:
            if f.kind == "date":
                payload[f.name] = read_date(text).isoformat()
            elif f.kind == "month":
                payload[f.name] = read_month(text)
            elif f.kind == "months":
                payload[f.name] = [read_month(m) for m in _SPLIT.split(text) if m]
            elif f.kind == "int" or f.name == "tier_percent":
                payload[f.name] = int(text.translate(str.maketrans("０１２３４５６７８９",
                                                                   "0123456789")))  # fmt: skip
            else:
                payload[f.name] = text
        except ValueError:
            problems.append(FieldProblem(field=f.name, message=_UNREADABLE[f.kind]))
    return payload, problems


_UNREADABLE = {
    "date": "日付として読めません(例: 2025-04-01、令和7年4月1日)",
    "month": f"月として読めません({MONTH_HINT})",
    "months": f"月として読めないものがあります({MONTH_HINT})",
    "int": "半角の数字で入力してください",
    "choice": "選択肢から選んでください",
}


def describe(fact: OfficeFact) -> str:
    """One fact in Japanese words (no personal data: the office's own facts)."""
    p = fact.payload
    if fact.type == "office_registered":
        return f"{p['name']}(指定日 {p['designated_on']})"
    if fact.type == "tier_notified":
        return f"{p['fiscal_year']}年度: {p['tier_percent']}%以上(届出 {p['notified_on']})"
    if fact.type == "addon_notified":
        level = f"({LEVEL_JA[p['level']]})" if p.get("level") else ""
        last = p.get("to_month") or "継続"
        name = ADDON_JA.get(p["addon"], p["addon"])
        return f"{name}{level}: {p['from_month']} から {last}(届出 {p['notified_on']})"
    if fact.type == "reduction_months":
        reason = f"。{p['reason']}" if p.get("reason") else ""
        return f"{REDUCTION_JA.get(p['kind'], p['kind'])}: {'、'.join(p['months'])}{reason}"
    if fact.type == "joint_services":
        names = "、".join(SERVICE_JA.get(s, s) for s in p["services"]) or "なし"
        return f"{names}({p['from_on']} から)"
    if fact.type == "user_band_notified":
        return f"{p['fiscal_year']}年度: {BAND_JA.get(p['band'], p['band'])}"
    if fact.type == "unit_price_set":
        return f"1単位 {p['yen_per_unit']} 円({p['from_month']} から)"
    return fact.type


def form_values(fact: OfficeFact) -> dict[str, str]:
    """A fact's payload as a form's texts (to correct it)."""
    out: dict[str, str] = {}
    for f in FORMS[fact.type]:
        value = fact.payload.get(f.name)
        if f.kind == "services":
            out.update({f"{f.name}.{s}": "on" for s in value or []})
        elif isinstance(value, list):
            out[f.name] = "\n".join(str(v) for v in value)
        elif value is not None:
            out[f.name] = str(value)
    return out


def _read_setup(request: Request, principal: Principal, office_id: str) -> dict[str, Any]:
    """The office's 体制 for the page's window, with the tier checks (logged as a listing)."""
    cases = request.app.state.cases
    views = request.app.state.views
    gen, _ = views.fresh(5_000)
    window = _read_window(request)
    facts = read_office_facts(cases, office_id, window.as_of)
    today = tokyo_date(cases.clock())
    rows = office_rows(views, cases, principal, office_id, today, "web:setup", gen, ())
    years = set(retention_years(rows, today)) | {fiscal_year_of(today)}
    years |= {int(f.payload["fiscal_year"]) for f in facts.of_type("tier_notified")}
    answer = setup_answer(facts, {y: retention(rows, y) for y in years}, fee_schedule_of(request))
    return {"facts": facts, "answer": answer, "window": window}


def _render(
    request: Request, principal: Principal, office_id: str, status: int = 200, *,
    event_type: str = "", form: Mapping[str, str] | None = None,
    errors: dict[str, str] | None = None, other: list[FieldProblem] | None = None,
    correcting: OfficeFact | None = None,
) -> Response:  # fmt: skip
    read = _read_setup(request, principal, office_id)
    facts: OfficeFacts = read["facts"]
    admin = principal.role == "admin" and read["window"].as_of is None
    correct = request.query_params.get("correct", "")
    if correcting is None and admin and correct.isdigit():
        correcting = next((f for f in facts.facts if f.version == int(correct)), None)
    grouped = {t: [f for f in facts.facts if f.type == t] for t in TYPE_JA}
    return _page(
        request, "office_setup.html", status, principal=principal, office=office_id,
        facts=facts, grouped=grouped, answer=read["answer"], window=read["window"],
        current="setup", admin=admin, forms=FORMS, type_ja=TYPE_JA, describe=describe,
        event_type=event_type, form=form or {}, errors=errors or {}, other=other or [],
        correcting=correcting,
        correcting_form=form if correcting and form else (
            form_values(correcting) if correcting else {}),
        csrf=_csrf(request) if admin else "", once=key_of(form or {}),
        saved=request.query_params.get("saved", ""), when=_when,
        already=request.query_params.get("already", ""),
    )  # fmt: skip


@router.get("/web/offices/{office_id}/setup")
def setup_page(request: Request, office_id: str) -> Response:
    return _guarded(request, lambda p: _render(request, p, _office(p, office_id)))


@router.post("/web/offices/{office_id}/setup")
async def record_setup(request: Request, office_id: str) -> Response:
    """One office event from a form (administrators only)."""
    form = {k: str(v) for k, v in (await request.form()).items()}

    def write(principal: Principal) -> Response:
        office_id_ = _office(principal, office_id)
        if principal.role != "admin":
            raise Forbidden("事業所の体制は管理者だけが記録できます")
        check_form_token(request, form)
        cases = request.app.state.cases
        office = load_office(cases, office_id_)
        action = form.get("action", "record")
        event_type = form.get("type", "")
        target = next((f for f in read_office_facts(cases, office_id_).facts
                       if str(f.version) == form.get("target_version")), None)  # fmt: skip
        if action in ("correct", "retract") and (office is None or target is None):
            problem = FieldProblem(field="訂正・取消の対象", message="対象の記録が見つかりません")
            return _render(request, principal, office_id_, 422, other=[problem])
        if action == "correct" and target is not None:
            event_type = target.type
        if action != "retract" and event_type not in FORMS:
            problem = FieldProblem(field="記録の種類", message="記録の種類を選んでください")
            return _render(request, principal, office_id_, 422, other=[problem])
        payload, problems = ({}, []) if action == "retract" else parse_setup_form(event_type, form)
        reason = form.get("reason", "").strip()
        if action in ("correct", "retract") and not reason:
            message = "訂正・取消の理由を入力してください"
            problems.append(FieldProblem(field="reason", message=message))
        if action == "retract":
            body: dict[str, Any] = {"target_version": form.get("target_version"), "reason": reason}
            stored_type = "event_retracted"
        elif action == "correct":
            body = {"target_version": form.get("target_version"), "reason": reason,
                    "replacement": {**payload, **({"office_id": office_id_}
                                    if event_type == "office_registered" else {})}}  # fmt: skip
            stored_type = "event_corrected"
        else:
            body, stored_type = payload, event_type

        def record() -> dict[str, Any]:
            at = cases.clock()
            if office is None:
                if stored_type != "office_registered":
                    raise OfficeRuleViolation(
                        [
                            FieldProblem(
                                field="記録の種類",
                                message="最初に事業所の登録(名称・指定日)を記録してください",
                            )
                        ]
                    )
                created = Office.register(
                    {**body, "office_id": office_id_}, recorded_by=principal.name, recorded_at=at
                )
                found = created.records[-1]
                cases.save(created)
            else:
                found = office.record(stored_type, body, recorded_by=principal.name,
                                      recorded_at=at)  # fmt: skip
                cases.save(office)
            return {"version": found["version"]}

        if problems and action != "retract":  # every problem at once, not in stages
            problems += _schema_problems(event_type, payload, problems)
        try:
            if problems:
                raise OfficeRuleViolation([])
            answer, replayed = done_once(request, principal, form,
                                         f"/web/offices/{office_id_}/setup", record)  # fmt: skip
        except OfficeRuleViolation as exc:
            return _shown_again(request, principal, office_id_, action, event_type, form,
                                [*problems, *exc.problems], target)  # fmt: skip
        except IntegrityError:
            problem = FieldProblem(
                field="記録",
                message=(
                    "同時に別の記録がありました。ページを開き直してからもう一度記録してください"
                ),
            )
            return _render(request, principal, office_id_, 409, other=[problem])
        outcome = "already" if replayed else "saved"
        return RedirectResponse(
            f"/web/offices/{office_id_}/setup?{outcome}={answer['version']}#recorded",
            status_code=303)  # fmt: skip

    return await run_in_threadpool(_guarded, request, write)


def _schema_problems(
    event_type: str, payload: dict[str, Any], unread: list[FieldProblem]
) -> list[FieldProblem]:
    """The payload model's problems besides the inputs that could not be read."""
    skip = {p.field for p in unread}
    try:
        validate_office_payload(event_type, payload)
    except OfficeRuleViolation as exc:
        return [p for p in exc.problems if p.field not in skip]
    return []


def _shown_again(
    request: Request, principal: Principal, office_id: str, action: str, event_type: str,
    form: Mapping[str, str], problems: list[FieldProblem], target: OfficeFact | None,
) -> Response:  # fmt: skip
    """The form again with its problems beside the inputs (422)."""
    names = set() if action == "retract" else {f.name for f in FORMS.get(event_type, [])}
    names |= set() if action == "retract" else {"reason"}
    errors: dict[str, str] = {}
    other: list[FieldProblem] = []
    for p in problems:
        name = p.field.removeprefix("replacement.").split(".")[0]
        if name in names:
            errors[name] = " / ".join(filter(None, [errors.get(name), humanised(p.message)]))
        else:
            other.append(FieldProblem(field=_FIELD_JA.get(p.field, p.field),
                                      message=humanised(p.message)))  # fmt: skip
    return _render(request, principal, office_id, 422, event_type=event_type, form=form,
                   errors=errors, other=other,
                   correcting=target if action == "correct" else None)  # fmt: skip


def _when(recorded_at: str) -> str:
    return jst(datetime.fromisoformat(recorded_at))


_FIELD_JA = {"target_version": "訂正・取消の対象", "type": "記録の種類", "reason": "取消の理由",
             "office_id": "事業所番号", "(payload)": "入力内容"}  # fmt: skip
