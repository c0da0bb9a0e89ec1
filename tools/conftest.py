"""The total of tools/test_pages.py: how many of the pages' commands ran."""

totals = {}


def pytest_runtest_logreport(report):
    if report.when == "call":
        for name, number in report.user_properties:
            totals[name] = totals.get(name, 0) + number


def pytest_terminal_summary(terminalreporter):
    if totals:
        terminalreporter.write_line(
            f"pages: {totals.get('ran', 0)} commands ran, {totals.get('compared', 0)} of them "
            f"compared with what the page shows; {totals.get('not run', 0)} not run (each page says why)"
        )
