"""Request and response models of the HTTP API, named by role (not domain events).

Projection answers keep their own JSON shapes (spec/api.md); the models here declare the
fixed keys for the OpenAPI description and let any further keys through.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Open(BaseModel):
    """A response model that documents the fixed keys and keeps any others."""

    model_config = ConfigDict(extra="allow")


class CaseCreated(BaseModel):
    case_id: str = Field(description="新しいケースのID(UUID)")
    version: int = Field(description="版番号(ケース開始は常に1)")


class EventRecorded(BaseModel):
    version: int = Field(description="記録された出来事の版番号")
    recorded_at: str = Field(description="記録した時刻(時差付き ISO 8601)")


class EventPublic(BaseModel):
    version: int
    type: str
    recorded_at: str
    recorded_by: str
    payload: dict[str, Any]


class EventsPublic(BaseModel):
    events: list[EventPublic]


class EntitlementPublic(Open):
    base_date: date | None
    eligible_from: date | None
    last_eligible_day: date | None
    status: str = Field(description="not_employed|waiting|eligible_no_decision|in_support|…")
    job_change_used: bool
    job_change_deadline: date | None
    decisions: list[dict[str, Any]]
    renewal_due_by: date | None
    explanation: list[dict[str, Any]]


class CompliancePublic(Open):
    months: list[dict[str, Any]]
    plan: dict[str, Any]
    consent_violations: list[dict[str, Any]]


class TimelinePublic(Open):
    entries: list[dict[str, Any]]


class AuditPublic(Open):
    events: list[dict[str, Any]]
    verified: bool
    head: str | None


class CaseSummary(BaseModel):
    """One line of the case list: no names and no recipient numbers (personal data)."""

    case_id: str
    office_id: str | None
    opened_on: date | None
    status: str
    version: int


class CaseList(BaseModel):
    cases: list[CaseSummary]
    next_cursor: str | None = Field(
        default=None, description="続きがあるとき、次のページを得るために cursor に渡す値"
    )


class HealthPublic(BaseModel):
    status: str
    views: dict[str, int] = Field(
        description="ビューの世代(generation)・反映済みの位置(position)・ログの先頭(head)・遅れ(behind)"
    )


class RulePublic(BaseModel):
    id: str
    title_ja: str
    source: str
    interpretive: bool = Field(description="解釈に基づくルール(⚠)なら true")


class RuleList(BaseModel):
    rules: list[RulePublic]


class FieldError(BaseModel):
    field: str
    message: str


class ProblemPublic(BaseModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None
