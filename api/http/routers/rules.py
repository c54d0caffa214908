"""The rulebook: every rule id an explanation can name, with its title and source."""

from __future__ import annotations

from fastapi import APIRouter

from api.http.claim_check import ReadRoute
from api.http.deps import PrincipalDep
from api.http.schemas import RuleList, RulePublic
from domain.rules.catalogue import RULES

router = APIRouter(prefix="/rules", tags=["ルールブック"], route_class=ReadRoute)


@router.get("", response_model=RuleList)
def list_rules(principal: PrincipalDep) -> RuleList:
    """ルールID・名称・根拠・解釈に基づくか(⚠)の一覧を返します(説明の rule を引くため)。"""
    rules = [RulePublic(id=r.id, title_ja=r.title_ja, source=r.source, interpretive=r.interpretive)
             for r in RULES.values()]  # fmt: skip
    return RuleList(rules=rules)
