"""Japanese labels of the payload fields and choices the staff pages show (field names
stay English in the code and the API; people read these)."""

from __future__ import annotations

#: Japanese labels of payload fields (dotted names); unknown ones show the field name.
FIELD_LABEL_JA = {
    "hired_on": "就職日", "employer": "雇用主", "employer.name": "雇用主の名称",
    "employer.corporate_number": "法人番号(13桁)", "job_title": "職種",
    "weekly_hours": "週の所定労働時間", "disclosed": "障害を開示しての就労",
    "resigned_on": "最終出勤日(退職日)", "reason": "理由", "changed_on": "変化のあった日",
    "aspect": "変化の内容", "description": "説明", "signed_on": "契約日",
    "support_from": "支援開始日", "decided_on": "決定日", "valid_from": "支給決定の開始日",
    "valid_to": "支給決定の終了日", "municipality_code": "市町村番号(6桁)",
    "consent_id": "同意ID", "given_on": "同意日", "written": "書面による同意",
    "parties": "共有先(1行に1件)", "information": "共有する情報の種類(1行に1件)",
    "purpose": "目的", "valid_until": "有効期限", "withdrawn_on": "撤回日",
    "contact_on": "支援日", "counterpart": "相手", "mode": "方法", "place": "場所",
    "party": "相手の名称", "information_shared": "提供した情報の種類(1行に1件)",
    "summary": "記録", "held_on": "開催日", "person_attended": "本人の出席",
    "revised_on": "見直し日", "goals": "目標(1行に1件)", "agreed_on": "本人同意日",
    "delivered_on": "交付日", "month": "対象月(YYYY-MM)", "shared_on": "共有日",
    "shared_with": "共有先(1行に1件)",
    "report_sha256": "レポート内容のハッシュ(支援レポート画面から記録すると自動で入ります)",
    "received_on": "受領日", "kind": "種類",
    "covers_on": "証明の対象日", "ended_on": "終了日", "handed_over_to": "引継ぎ先",
    "declined_on": "お断りした日", "target_version": "対象の版番号",
    "replacement": "訂正後の内容(JSON)",
    "person.name": "氏名", "person.name_kana": "氏名(カナ)",
    "recipient_number": "受給者証番号(10桁)", "office_id": "事業所番号(10桁)",
    "prior_service.kind": "就職前に利用していたサービス",
    "prior_service.ended_on": "そのサービスの利用終了日",
    "prior_service.temporary_while_employed": "就職後の一時的な利用(ELIG-2)",
    "opened_on": "ケース開始日",
}  # fmt: skip

#: Japanese labels of enumeration values.
CHOICE_LABEL_JA = {
    "duties": "職務内容", "supervisor": "上司・指導担当", "workplace": "就業場所",
    "hours": "勤務時間", "contract": "雇用形態", "person": "本人", "employer": "事業主",
    "family": "家族", "agency": "関係機関", "medical": "医療機関", "face_to_face": "対面",
    "online": "オンライン", "phone": "電話", "mail": "メール",
    "employment_certificate": "在職証明書", "payslip": "給与明細",
    "insurance_card": "保険証の写し", "period_expired": "期間満了", "resigned": "退職",
    "person_request": "本人の希望", "other": "その他",
    "employment_transition": "就労移行支援", "continuous_a": "就労継続支援A型",
    "continuous_b": "就労継続支援B型", "daily_life_care": "生活介護",
    "independence_training": "自立訓練",
}  # fmt: skip


def label_of(name: str) -> str:
    """The Japanese label of a dotted field name (else the name itself)."""
    leaf = name.rsplit(".", 1)[-1]
    return FIELD_LABEL_JA.get(name, FIELD_LABEL_JA.get(leaf, name))
