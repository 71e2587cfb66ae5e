"""The shop page in a real browser: Debian's Chromium driven by Playwright, against the app and the live node."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from shopsearch import keys
from shopsearch.config import AuthSettings
from shopsearch.search_api.app import create_app

pytestmark = [pytest.mark.engine, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def admin_key() -> str:
    return keys.new_key()


@pytest.fixture(scope="module")
def base_url(shop, minilm_encoder, admin_key) -> Iterator[str]:
    """The shop app behind keys, as the demo runs it (a search-only page key, shoppers with tokens), on a real
    HTTP server (a thread) on a free loopback port."""
    http = shop["http"]
    assert http.put("/users/knife-fan/vector", json={"items": ["K0", "K2", "K4"]}).status_code == 200
    assert http.put("/users/pan-fan/vector", json={"items": ["C0", "C1", "C2"]}).status_code == 200
    key = keys.new_key()
    auth = AuthSettings(
        keys=[
            {"name": "page", "role": "search", "sha256": keys.digest(key)},
            {"name": "analyst", "role": "admin", "sha256": keys.digest(admin_key)},
        ],
        page_key=key,
        shopper_secret="a-demo-secret-of-at-least-32-characters",
        demo_shoppers=True,
    )
    app = create_app(
        shop["settings"].model_copy(update={"auth": auth}),
        client=shop["app"].extensions["shopsearch"].client,
        encoder=minilm_encoder,
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(base_url + "/")
    page.wait_for_selector("#results li.card")
    yield page
    context.close()


def first_titles(page, count: int = 4) -> list[str]:
    return page.locator("#results li.card h3").all_inner_texts()[:count]


def rendered(page, action) -> None:
    """Do something that searches, and wait until the page has drawn the new results."""
    before = page.evaluate("document.body.dataset.rendered")
    action()
    page.wait_for_function(f"document.body.dataset.rendered !== '{before}'")


def search_for(page, text: str) -> None:
    page.fill("#q", text)
    rendered(page, lambda: page.press("#q", "Enter"))


def test_type_pick_a_suggestion_with_the_keyboard_and_see_results(page) -> None:
    page.type("#q", "chef kn", delay=30)
    page.wait_for_selector("#suggestions li[role=option]")
    assert page.get_attribute("#q", "aria-expanded") == "true"
    page.press("#q", "ArrowDown")
    assert page.get_attribute("#sugg-0", "aria-selected") == "true"
    rendered(page, lambda: page.press("#q", "Enter"))
    assert "Shun chef knife 8 inch" in first_titles(page, 1)
    assert page.input_value("#q") == "Shun chef knife 8 inch"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "results.png"), full_page=True)


def test_a_typo_still_suggests(page) -> None:
    page.type("#q", "skilet", delay=30)
    # the list may first show an earlier prefix's answer ("s", "sk"): wait for the last one's
    page.locator("#suggestions li[role=option]", has_text="Lodge cast iron skillet").wait_for()
    assert "Lodge cast iron skillet" in page.locator("#suggestions").inner_text()


def test_click_a_facet_then_page_forward(page) -> None:
    home = "#facets button[data-facet=category] >> text=/^Home \\(/"
    rendered(page, lambda: page.click(home))
    assert page.locator("#summary").inner_text().startswith("12 products")
    assert page.get_attribute(home, "aria-pressed") == "true"
    assert len(first_titles(page, 12)) == 12 and page.inner_text("#page-label") == "Page 1 of 1"
    rendered(page, lambda: page.click(home))  # off again: all 28 products
    assert page.inner_text("#page-label") == "Page 1 of 3"
    first = first_titles(page, 12)
    rendered(page, lambda: page.click("#next"))
    assert page.inner_text("#page-label") == "Page 2 of 3"
    assert not set(first) & set(first_titles(page, 12))


def test_switching_shoppers_changes_the_order(page) -> None:
    search_for(page, "kitchen")
    rendered(page, lambda: page.select_option("#user", "knife-fan"))
    assert "personalised for knife-fan" in page.inner_text("#summary")
    knife_fan = first_titles(page, 4)
    rendered(page, lambda: page.select_option("#user", "pan-fan"))
    pan_fan = first_titles(page, 4)
    assert knife_fan != pan_fan
    assert sum("knife" in t.lower() for t in knife_fan) > sum("knife" in t.lower() for t in pan_fan)
    page.wait_for_selector("#rail-foryou li.card")


def test_explain_view_and_rails_after_a_click(page) -> None:
    search_for(page, "headphones")
    card = page.locator("#results li.card").first
    card.locator("button.why-toggle").click()
    assert card.locator("button.why-toggle").get_attribute("aria-expanded") == "true"
    bars = card.locator(".why .bar")
    assert bars.count() >= 2 and "text" in card.locator(".why").inner_text()
    card.locator("h3 a").click()
    page.wait_for_selector("#rail-similar li.card")
    assert page.locator("#rail-similar .reason").first.inner_text().startswith("similar to")


def test_chinese_query(page) -> None:
    search_for(page, "龙井")
    assert first_titles(page, 1) == ["西湖龙井 明前新茶 礼盒装"]


def test_a_search_url_opens_that_search_and_back_returns_to_it(browser, base_url) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(base_url + "/?q=chef+knife&brand=Global")
    page.wait_for_selector("#results li.card")
    assert page.input_value("#q") == "chef knife"
    assert first_titles(page) == ["Global santoku knife"]
    assert page.get_attribute("button[data-facet=brand][aria-pressed=true]", "aria-pressed") == "true"
    search_for(page, "running shoes")
    assert "q=running+shoes" in page.url and "brand" in page.url  # the brand filter stays, in the URL too
    rendered(page, lambda: page.go_back())
    assert page.input_value("#q") == "chef knife" and first_titles(page) == ["Global santoku knife"]
    assert page.url.endswith("/?q=chef+knife&brand=Global")
    context.close()


def test_the_admin_page_shows_search_analytics_behind_the_admin_key(browser, base_url, admin_key, shop) -> None:
    for q in ("asdfghjkl", "chef knife"):
        assert shop["http"].get("/search", query_string={"q": q}).status_code == 200
    shop["app"].extensions["shopsearch"].searches.flush()
    context = browser.new_context(viewport={"width": 1280, "height": 1400})
    page = context.new_page()
    page.goto(base_url + "/admin")
    page.wait_for_function("document.getElementById('summary').textContent.startsWith('Refused')")
    page.fill("#key", admin_key)
    page.click("#controls button[type=submit]")
    page.wait_for_function("document.body.dataset.rendered === 'yes'")
    assert "asdfghjkl" in page.inner_text("#zero_results")
    assert "chef knife" in page.inner_text("#top_queries")
    assert page.locator("#by_position tbody tr").count() >= 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin.png"), full_page=True)
    context.close()
