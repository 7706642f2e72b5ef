"""What the browser tests of /cabinet share: the page's texts in each language, pictures
of the screen, signing in."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from playwright.sync_api import Page, expect

from app.settings import ROOT
from tests.browser.conftest import ARTIFACTS


@cache
def _locale(lang: str) -> dict[str, Any]:
    path = ROOT / "frontend" / "src" / "locales" / lang / "translation.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def tr(lang: str, key: str, **values: str) -> str:
    """The text the page shows for ``key`` (from the same files the app bundles)."""
    node: Any = _locale(lang)
    for part in key.split("."):
        node = node[part]
    out = str(node)
    for k, v in values.items():
        out = out.replace("{{" + k + "}}", v)
    return out


def shot(page: Page, name: str) -> None:
    """A picture of the whole page for a person to look at (test-artifacts/)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def submit_login(page: Page, username: str, password: str) -> None:
    """Fill in the sign-in form and send it; what the page answers is the caller's."""
    page.get_by_test_id("auth-username").fill(username)
    page.get_by_test_id("auth-password").fill(password)
    page.get_by_test_id("auth-submit").click()


def sign_in(page: Page, username: str, password: str) -> None:
    """Sign in and wait for the cabinet."""
    submit_login(page, username, password)
    expect(page.get_by_test_id("cabinet")).to_be_visible()
