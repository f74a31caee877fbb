"""People signing in to Caseline's pages, in headless Chromium (Debian's), against a real
OpenID Connect provider (tests/signin.sh starts both). Fails on any step that does not go as a
person would expect, and on any console error, page error or failed request on Caseline's pages.

Usage: python3 tests/signin.py OUT_DIR BASE CHILD_ID SIGNIN_LINK
Needs the `playwright` package (pip) and /usr/bin/chromium; downloads no browser.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

problems: list[str] = []


def check(ok: bool, what: str) -> None:
    print(("ok: " if ok else "FAILED: ") + what)
    if not ok:
        problems.append(what)


def watch(page, base: str) -> None:
    """Console errors and failed requests on Caseline's own pages are failures."""
    def mine() -> bool:
        return page.url.startswith(base)
    page.on("console", lambda m: m.type == "error" and mine() and problems.append(f"console error on {page.url}: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: r.url.startswith(base) and problems.append(f"request failed: {r.url}"))


def log_in(page, login: str) -> None:
    """The provider's development login page, then its consent page."""
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password will do")
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    # Consent, the first time this person signs in to Caseline.
    if "/interaction/" in page.url and page.locator("button[type=submit]").count() > 0:
        page.click("button[type=submit]")
        page.wait_for_load_state("load")


def main() -> int:
    out, base, child, link = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    out.mkdir(parents=True, exist_ok=True)
    journey = f"{base}/v1/children/{child}/journey"
    report = f"{base}/v1/reports/inspection"
    shot = lambda page, name: page.screenshot(path=str(out / f"signin-{name}.png"), full_page=False)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])

        # 1. An auditor follows a journey link: sent to the provider, signs in, sees the journey.
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        watch(page, base)
        page.goto(journey, wait_until="load")
        check(not page.url.startswith(base), f"without a session, the journey sends the browser to the provider ({page.url})")
        shot(page, "1-provider-login")
        log_in(page, "ann")
        check(page.url == journey, f"after signing in, the browser is back on the journey ({page.url})")
        check("Signed in as" in page.content() and "Ann Auditor" in page.content(), "the journey names the person signed in")
        check(page.locator("form[action='/signout'] input[name=csrf]").count() == 1, "the page's sign-out form carries a CSRF token")
        shot(page, "2-journey")

        cookies = [c for c in ctx.cookies() if c["name"] == "caseline_session"]
        check(len(cookies) == 1, "one session cookie")
        if cookies:
            c = cookies[0]
            check(c["httpOnly"] and c["sameSite"] == "Lax", f"the cookie is HttpOnly and SameSite=Lax ({c})")
        # 2. The report, in the same session.
        page.goto(report, wait_until="load")
        check(page.url == report and "Ann Auditor" in page.content(), "the report opens in the same session")
        shot(page, "3-report")

        # 3. Sign out; the old cookie then opens nothing.
        page.goto(journey, wait_until="load")
        page.click("form[action='/signout'] button[type=submit]")
        page.wait_for_load_state("load")
        check("You are signed out" in page.content(), "signing out says so")
        shot(page, "4-signed-out")
        if cookies:
            old = browser.new_context()
            answer = old.request.get(journey, headers={"Accept": "text/html", "Cookie": f"caseline_session={cookies[0]['value']}"}, max_redirects=0)
            check(answer.status == 303 and answer.headers.get("location", "").startswith("/signin"),
                  f"the old cookie no longer opens the journey ({answer.status} {answer.headers.get('location')})")
            answer = old.request.get(report, headers={"Accept": "text/html", "Cookie": f"caseline_session={cookies[0]['value']}"}, max_redirects=0)
            check(answer.status == 303, f"nor the report ({answer.status})")
            old.close()
        ctx.close()

        # 4. Ian's groups come only from the provider's userinfo: he still lands on the report.
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        watch(page, base)
        page.goto(report, wait_until="load")
        log_in(page, "ian")
        check(page.url == report and "Ian Inspector" in page.content(),
              f"claims from userinfo: the inspector lands on the report ({page.url})")
        ctx.close()

        # 5. A person with no group Caseline maps is told so, and gets no session.
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        page.goto(report, wait_until="load")
        log_in(page, "sam")
        check("No access to Caseline" in page.content(), "a person without a mapped group is refused")
        check(not [c for c in ctx.cookies() if c["name"] == "caseline_session"], "and gets no session")
        shot(page, "5-no-role")
        ctx.close()

        # 6. A single-use link from `caseline signin-link` opens the report, once.
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        watch(page, base)
        page.goto(link, wait_until="load")
        check(page.url == report and "Ida Inspector" in page.content(), f"the sign-in link opens the report ({page.url})")
        shot(page, "6-link-report")
        page.goto(f"{base}/session", wait_until="load")
        check("Ida Inspector" in page.content() and "inspector" in page.content(), "/session says who is signed in")
        shot(page, "7-session")
        again = browser.new_context()
        second = again.new_page()
        second.goto(link, wait_until="load")
        check("does not sign you in" in second.content(), "the link works only once")
        again.close()
        ctx.close()
        browser.close()
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
