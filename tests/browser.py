"""A real Chromium for the tests, driven by Playwright: launching it, and pages that note problems.

Chromium comes from the system (``apt-get install chromium``), not from
``playwright install``. Without it the browser tests are skipped, unless
CHATSITE_REQUIRE_BROWSER=1 is set (CI sets it): then a missing browser fails.

A test module uses the fixtures by importing them::

    from browser import browser, problems  # noqa: F401 - fixtures

and opens pages with ``new_page(browser, base_url, problems)``: each page is a
browser context of its own (another person, with their own cookies), and every
console error, uncaught page error and Content-Security-Policy violation it
meets is appended to ``problems``, so that a test can end with
``assert problems == []``.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REQUIRE_BROWSER = os.environ.get("CHATSITE_REQUIRE_BROWSER") == "1"

# Records Content-Security-Policy violations, on every page the context opens.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


def browser_unavailable(reason):
    """Skip, or fail when CI said a browser must be there."""
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason} (and CHATSITE_REQUIRE_BROWSER=1 is set)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the whole module."""
    if not CHROMIUM.exists():
        browser_unavailable("Chromium not installed: apt-get install chromium")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        browser_unavailable("Playwright not installed: pip install playwright")
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
        except Error as error:
            first_line = str(error).strip().splitlines()[0]
            browser_unavailable(
                f"Chromium not installed or cannot start: apt-get install chromium ({first_line})"
            )
        yield chromium
        chromium.close()


@pytest.fixture
def problems():
    """Console errors, uncaught page errors and CSP violations seen during a test."""
    return []


def new_page(browser, base_url, problems, init_script=None):
    """A page in a browser context of its own: another person, with their own cookies.

    ``init_script`` (JavaScript) runs in every page of the context before the
    page's own scripts, like a browser extension would: the page's
    Content-Security-Policy does not apply to it. Close the page's context
    (``page.context.close()``) when done.
    """
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(10_000)
    context.expose_function("reportCspViolation", lambda text: problems.append(f"CSP: {text}"))
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.on("console", lambda message: note_console_error(message, problems))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return page


def note_console_error(message, problems):
    """Keep console errors, except Chromium's own fetch of a /favicon.ico the site never links."""
    if message.type != "error":
        return
    url = message.location.get("url", "")
    if url.endswith("/favicon.ico") and "status of 404" in message.text:
        return
    problems.append(f"console: {message.text} ({url})")
