"""Loads Caseline's pages in headless Chromium (Debian's), takes full-page screenshots, and
fails on any console error, page error, failed request or non-2xx answer.

Usage: python3 tests/screenshots.py OUT_DIR TOKEN URL [URL ...]
Needs the `playwright` package (pip) and /usr/bin/chromium; downloads no browser.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright


def main() -> int:
    out, token, urls = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
    out.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        context = browser.new_context(
            viewport={"width": 1280, "height": 900},
            extra_http_headers={"Authorization": f"Bearer {token}", "Accept": "text/html"},
        )
        page = context.new_page()
        page.on("console", lambda m: m.type in ("error", "warning") and problems.append(f"console {m.type}: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
        for i, url in enumerate(urls):
            response = page.goto(url, wait_until="load")
            if response is None or not response.ok:
                problems.append(f"{url}: {response.status if response else 'no answer'}")
                continue
            kind = "journey" if "/journey" in url else "report" if "/reports/" in url else f"page{i}"
            path = out / f"{kind}.png"
            page.screenshot(path=str(path), full_page=False)
            print(f"screenshot: {path} ({url})")
        browser.close()
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
