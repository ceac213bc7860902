"""Browser tests: the console in a real headless Chromium (Playwright)."""
