"""The staff dashboard: the retry figures of this process, or of the fleet when a store is
set, as a page and as JSON."""

import datetime
import functools
import os
import typing as t

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from . import conf, fleet, stats
from .chart import rates_svg

__all__ = ["dashboard", "dashboard_json"]

V = t.TypeVar("V", bound=t.Callable[..., HttpResponse])


def staff_only(view: V) -> V:
    """Anonymous users go to the login page; signed-in users who are not staff get a 403."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: t.Any, **kwargs: t.Any) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (user.is_active and user.is_staff):
            raise PermissionDenied("the pertinax dashboard is for staff")
        return view(request, *args, **kwargs)

    return t.cast(V, guarded)


def _data() -> dict[str, t.Any]:
    options = conf.dashboard_options()
    stats.history.sample(interval=float(options["interval"]), points=int(options["points"]))
    figures = fleet.figures(publish=True)
    snapshot = figures.pop("snapshot", None)
    return {
        **figures,
        "pid": os.getpid(),
        "operations": stats.operation_rows(snapshot),
        "breakers": stats.breaker_rows(),
        "budgets": stats.budget_rows(),
        "series": stats.history.series(),
    }


@staff_only
def dashboard(request: HttpRequest) -> HttpResponse:
    """The page: one row per operation and a chart of success and retry rates."""
    data = _data()
    rows = [{**row, "shown": _shown(row)} for row in data["operations"]]
    breakers = [{**row, "shown": _shown_breaker(row)} for row in data["breakers"]]
    budgets = [{**row, "available_shown": f"{row['available']:g}"} for row in data["budgets"]]
    fleet_breakers = [
        {**row, "shown": _shown_breaker(row)} for row in stats.fleet_breaker_rows(data)
    ]
    fleet_budgets = [
        {**row, "available_shown": f"{row['available']:g}"} for row in stats.fleet_budget_rows(data)
    ]
    return render(
        request,
        "pertinax/dashboard.html",
        {
            **data,
            "rows": rows,
            "breaker_rows": breakers,
            "budget_rows": budgets,
            "fleet_breaker_rows": fleet_breakers,
            "fleet_budget_rows": fleet_budgets,
            "chart": rates_svg(data["series"]),
            "interval": conf.dashboard_options()["interval"],
        },
    )


def _shown(row: t.Mapping[str, t.Any]) -> dict[str, str]:
    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.1%}"

    p95 = row["p95_seconds"]
    return {
        "success_rate": pct(row["success_rate"]),
        "retry_rate": pct(row["retry_rate"]),
        "p95": "-" if p95 is None else (f"{p95 * 1000:.1f} ms" if p95 < 1 else f"{p95:.2f} s"),
    }


def _shown_breaker(row: t.Mapping[str, t.Any]) -> dict[str, str]:
    rate, at = row["failure_rate"], row["changed_at"]
    return {
        "state": stats.state_shown(row),
        "failure_rate": "-" if rate is None else f"{rate:.1%} of {row['window_calls']}",
        "changed_at": "-"
        if at is None
        else datetime.datetime.fromtimestamp(at, datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M:%S UTC"
        ),
    }


@staff_only
def dashboard_json(request: HttpRequest) -> JsonResponse:
    """The same figures as JSON."""
    return JsonResponse(_data())
