"""``/docs`` under its Content-Security-Policy (issue 23), in real Chromium: Swagger UI still
draws every operation from the server's own files, and the browser reports no violation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Site

pytestmark = pytest.mark.browser


def test_the_api_description_renders_under_its_policy_with_no_violation(
    site: Site, browser: Any
) -> None:
    page = browser.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    response = page.goto(f"{site.url}/docs")
    assert "script-src 'self' 'sha256-" in response.headers["content-security-policy"]
    page.locator(".opblock-tag", has_text="ケース").first.wait_for()
    assert page.locator(".opblock").count() > 10
    page.locator(".opblock-summary-path", has_text="/cases/{case_id}/entitlement").first.click()
    page.get_by_role("button", name="Try it out").wait_for()
    violations = [m for m in console if "Content Security Policy" in m]
    assert violations == []
    page.close()
