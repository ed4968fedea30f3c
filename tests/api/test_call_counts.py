"""One conversion of the client's call statistics: what the plan file, the CLI, the flows and the reports show."""

from __future__ import annotations

from custsync.api import CallStats, call_counts, calls_spent, calls_text
from custsync.report.build import calls_summary


def _stats() -> CallStats:
    stats = CallStats()
    for method, status in [("GET", 200), ("GET", 429), ("POST", 201), ("PATCH", 200), ("DELETE", 404)]:
        stats.record(method, "customers", status)
    stats.record_retry()
    stats.record_customer_delete("gone")
    return stats


def test_the_client_counts_calls_per_method_with_retries_429s_and_delete_routes() -> None:
    assert _stats().calls() == {
        "GET": 2,
        "POST": 1,
        "PATCH": 1,
        "DELETE": 1,
        "total": 5,
        "retries": 1,
        "rate_limited": 1,
        "customer_deletes": {"gone": 1},
    }


def test_quiet_counters_are_left_out() -> None:
    stats = CallStats()
    stats.record("GET", "customers", 200)
    assert stats.calls() == {"GET": 1, "POST": 0, "PATCH": 0, "DELETE": 0, "total": 1}


def test_readings_of_several_stages_add_up() -> None:
    plan, apply = _stats().calls(), _stats().as_dict()
    both = call_counts(plan, apply)
    assert both["total"] == 10 and both["GET"] == 4 and both["retries"] == 2
    assert both["customer_deletes"] == {"gone": 2}
    assert call_counts(both) == both  # its own form reads back unchanged


def test_the_report_table_and_the_text_are_made_from_the_same_counts() -> None:
    counts = _stats().calls()
    assert calls_summary(counts) == {
        "GET": 2,
        "POST": 1,
        "PATCH": 1,
        "DELETE": 1,
        "total": 5,
        "retries": 1,
        "rate_limited": 1,
        "customer deletes (gone)": 1,
    }
    assert calls_text(counts) == "5 (GET 2, POST 1, PATCH 1, DELETE 1)"


def test_spent_is_the_difference_of_two_readings() -> None:
    stats = CallStats()
    stats.record("GET", "customers", 200)
    before = stats.as_dict()
    stats.record("GET", "addresses", 200)
    stats.record("POST", "customers", 201)
    spent = calls_spent(before, stats.as_dict())
    assert call_counts(spent)["total"] == 2
    assert spent["by_resource"] == {"addresses": {"GET": 1}, "customers": {"POST": 1}}
