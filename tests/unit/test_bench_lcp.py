"""bench/lcp.py's parts that need no browser: timings parsing, percentiles, verdict, report.

timings() is what TIMINGS_JS returned for one real cold load of the sample app's page through the
stack (headless Chromium 156 in the bench container's network namespace, no background load).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import lcp
from bench.lcp import LoadError, Sample, parse_timings, percentile, summarize, verdict


def timings(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "lcp": {"element": "p", "size": 7182, "startTime": 200, "url": ""},
        "nav": {
            "loadEventEnd": 204.5,
            "nextHopProtocol": "h2",
            "responseEnd": 84,
            "responseStart": 83.40000000037253,
            "responseStatus": 200,
            "startTime": 0,
            "transferSize": 1563,
        },
        "resources": [
            {
                "duration": 65.59999999962747,
                "name": "https://app.flaskstack.test/static/css/site.3f9a1c2e.css",
                "transferSize": 802,
            },
            {
                "duration": 84.80000000074506,
                "name": "https://app.flaskstack.test/static/img/logo.svg",
                "transferSize": 545,
            },
            {
                "duration": 93.90000000037253,
                "name": "https://app.flaskstack.test/static/js/app.7b2d4e10.js",
                "transferSize": 499,
            },
            {
                "duration": 6.799999998882413,
                "name": "https://app.flaskstack.test/static/img/logo.svg",
                "transferSize": 545,
            },
        ],
    }
    for path, value in changes.items():
        where = raw
        *parents, key = path.split("__")
        for parent in parents:
            where = where[parent]
        if value is DELETE:
            del where[key]
        else:
            where[key] = value
    return raw


DELETE = object()


def test_parse_timings_of_a_cold_load() -> None:
    sample = parse_timings(timings())
    assert sample == Sample(
        ttfb_ms=83.40000000037253, lcp_ms=200.0, protocol="h2", lcp_element="p", resources=4
    )


def test_times_count_from_the_navigation_start() -> None:
    sample = parse_timings(timings(nav__startTime=10.0))
    assert sample.ttfb_ms == pytest.approx(73.4)
    assert sample.lcp_ms == pytest.approx(190.0)


def test_an_image_lcp_is_named_by_its_element() -> None:
    sample = parse_timings(timings(lcp__element="img", lcp__url="https://x/static/img/a.png"))
    assert sample.lcp_element == "img"
    assert parse_timings(timings(lcp__element=None, lcp__url="u")).lcp_element == "u"


def test_a_status_the_browser_does_not_report_is_accepted() -> None:
    # nav.responseStatus is new (Chromium 109): None or 0 when unknown.
    assert parse_timings(timings(nav__responseStatus=None)).lcp_ms == 200.0
    assert parse_timings(timings(nav__responseStatus=0)).lcp_ms == 200.0


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, "not timings"),
        ("oops", "not timings"),
        ({"error": "no LCP support: TypeError"}, "no LCP support"),
        (timings(lcp=None), "no largest-contentful-paint entry"),
        (timings(nav=None), "no navigation timing entry"),
        (timings(nav__responseStatus=502), "answered 502"),
        (timings(nav__responseStatus=404), "answered 404"),
        (timings(nav__responseStart=DELETE), "responseStart is None"),
        (timings(nav__responseStart="41"), "responseStart is '41'"),
        (timings(nav__responseStart=True), "responseStart is True"),
        (timings(nav__responseStart=math.nan), "responseStart is nan"),
        (timings(nav__responseStart=-1.0), "negative"),
        (timings(nav__responseStart=0), "was not fetched"),
        (timings(lcp__startTime=50.0), "before the first byte"),
        (timings(lcp__startTime=math.inf), "startTime is inf"),
        (timings(nav__transferSize=0), "served from a cache: ['the page']"),
        (
            timings(resources=[{"name": "https://x/static/css/site.css", "transferSize": 0}]),
            "served from a cache: ['https://x/static/css/site.css']",
        ),
    ],
)
def test_loads_that_cannot_count(raw: Any, message: str) -> None:
    with pytest.raises(LoadError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_timings(raw)


@pytest.mark.parametrize(
    ("values", "pct", "expected"),
    [
        ([], 50, None),
        ([7.0], 50, 7.0),
        ([7.0], 75, 7.0),
        ([1.0, 2.0], 50, 1.5),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
        ([1.0, 2.0, 3.0, 4.0], 75, 3.25),
        ([4.0, 1.0, 3.0, 2.0], 75, 3.25),  # order does not matter
        ([1.0, 2.0, 3.0, 4.0, 5.0], 75, 4.0),
        ([1.0, 2.0, 3.0, 4.0, 5.0], 0, 1.0),
        ([1.0, 2.0, 3.0, 4.0, 5.0], 100, 5.0),
        ([float(i) for i in range(1, 21)], 75, 15.25),  # 20 loads, as measure() takes
    ],
)
def test_percentile(values: list[float], pct: float, expected: float | None) -> None:
    assert percentile(values, pct) == expected


@pytest.mark.parametrize("pct", [-1, 101])
def test_percentile_out_of_range(pct: float) -> None:
    with pytest.raises(ValueError, match="not within"):
        percentile([1.0], pct)


@pytest.mark.parametrize(
    ("stack", "dev", "ratio", "met"),
    [
        (100.0, 400.0, 0.25, True),
        (200.0, 400.0, 0.5, True),  # the goal is <= 0.5x
        (201.0, 400.0, 0.502, False),
        (400.0, 200.0, 2.0, False),
        (None, 400.0, None, None),  # no stack load counted
        (100.0, None, None, None),  # no dev server load counted
        (100.0, 0.0, None, None),
    ],
)
def test_verdict(
    stack: float | None, dev: float | None, ratio: float | None, met: bool | None
) -> None:
    assert verdict(stack, dev) == (ratio, met)


def test_summarize() -> None:
    samples = [Sample(float(t), float(t) * 3, "h2", "h1", 3) for t in (10, 20, 30, 40)]
    row = summarize(samples, ["no largest-contentful-paint entry"] * 2 + ["timeout"])
    assert row["loads"] == 4
    assert row["errors"] == 3
    assert row["error_messages"] == ["no largest-contentful-paint entry", "timeout"]
    assert (row["ttfb_p50_ms"], row["ttfb_p75_ms"]) == (25.0, 32.5)
    assert (row["lcp_p50_ms"], row["lcp_p75_ms"]) == (75.0, 97.5)
    assert row["protocols"] == ["h2"]
    empty = summarize([], ["timeout"])
    assert (empty["loads"], empty["lcp_p75_ms"]) == (0, None)


def test_format_markdown() -> None:
    result = {
        "servers": {
            "dev": {
                "loads": 20,
                "errors": 0,
                "ttfb_p50_ms": 35.2,
                "ttfb_p75_ms": 50.0,
                "lcp_p50_ms": 160.0,
                "lcp_p75_ms": 210.4,
            },
            "stack-https": {
                "loads": 19,
                "errors": 1,
                "ttfb_p50_ms": 180.0,
                "ttfb_p75_ms": 230.0,
                "lcp_p50_ms": 300.0,
                "lcp_p75_ms": 1350.0,
            },
        },
        "ratio": 6.416,
        "goal": 0.5,
        "goal_met": False,
        "method": "Headless Chromium.",
    }
    text = lcp.format_markdown(result)
    assert "| dev | 20 | 0 | 35 | 50 | 160 | 210 |" in text
    assert "| stack-https | 19 | 1 | 180 | 230 | 300 | 1,350 |" in text
    assert "6.42x stack / dev server, p75 LCP" in text
    assert "<= 0.5x the dev server's) MISSED" in text
    result.update(ratio=0.4, goal_met=True)
    assert ") met." in lcp.format_markdown(result)
    result.update(ratio=None, goal_met=None)
    assert "n/a stack / dev server" in lcp.format_markdown(result)
    assert ") not measured." in lcp.format_markdown(result)
    assert "Without the background load" not in text
    result["servers"]["dev"]["unloaded_lcp_p50_ms"] = 104.0
    result["servers"]["stack-https"]["unloaded_lcp_p50_ms"] = 98.4
    assert "LCP p50: dev 104 ms, stack-https 98 ms: what rendering" in lcp.format_markdown(result)


def test_chromium_args() -> None:
    args = lcp.chromium_args("/tmp/p", ["app.flaskstack.test"])
    assert "--user-data-dir=/tmp/p" in args
    assert "--host-resolver-rules=MAP app.flaskstack.test 127.0.0.1" in args
    # Without these Chromium keeps retrying its own requests in a namespace with no way out.
    for flag in ("--headless", "--no-sandbox", "--disable-background-networking"):
        assert flag in args
    assert not any(a.startswith("--host-resolver-rules") for a in lcp.chromium_args("/p", []))


def test_the_page_script_reads_what_the_parser_needs() -> None:
    for needle in (
        "'largest-contentful-paint', buffered: true",
        "takeRecords()",
        "getEntriesByType('navigation')",
        "responseStart",
        "transferSize",
        "responseStatus",
    ):
        assert needle in lcp.TIMINGS_JS


@pytest.mark.parametrize(
    ("loads", "rounds", "expected"),
    [
        (
            20,
            2,
            [(1, "dev", 10), (1, "stack-https", 10), (2, "stack-https", 10), (2, "dev", 10)],
        ),
        (
            21,
            2,
            [(1, "dev", 11), (1, "stack-https", 11), (2, "stack-https", 10), (2, "dev", 10)],
        ),
        (5, 1, [(1, "dev", 5), (1, "stack-https", 5)]),
        (
            2,
            5,  # never a batch of no loads
            [(1, "dev", 1), (1, "stack-https", 1), (2, "stack-https", 1), (2, "dev", 1)],
        ),
        (
            9,
            3,
            [
                (1, "dev", 3),
                (1, "stack-https", 3),
                (2, "stack-https", 3),
                (2, "dev", 3),
                (3, "dev", 3),
                (3, "stack-https", 3),
            ],
        ),
    ],
)
def test_batches_alternate_and_add_up(
    loads: int, rounds: int, expected: list[tuple[int, str, int]]
) -> None:
    plan = lcp.batches(loads, rounds)
    assert plan == expected
    for server in lcp.SERVERS:
        assert sum(n for _, name, n in plan if name == server) == loads
