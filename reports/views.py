"""The reports pages under /admin/reports/, for staff with the permission reports.view_reports
(panel/urls.py wraps them in the admin's login). Each table is also a CSV download."""

import csv
from datetime import date

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from catalog.models import Category, Provider

from . import charts, figures
from .figures import Filters

PERMISSION = "reports.view_reports"
TABLES = ("sales", "customers", "signups", "deposits")


class ReportForm(forms.Form):
    period = forms.ChoiceField(choices=[(p, p.title()) for p in figures.PERIODS], required=False)
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    provider = forms.ModelChoiceField(Provider.objects.only("name"), required=False)
    category = forms.ModelChoiceField(Category.objects.only("name"), required=False)
    service = forms.IntegerField(
        label="Service id", required=False, min_value=1, widget=forms.NumberInput(attrs={"size": 8})
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("The start is after the end.")
        return data


def report_view(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    form = ReportForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    period = data.get("period") or "day"
    today = timezone.now().date()
    first, last = figures.default_range(period, today)
    first, last = data.get("start") or first, data.get("end") or last
    filters = Filters(
        provider=data["provider"].pk if data.get("provider") else None,
        category=data["category"].pk if data.get("category") else None,
        service=data.get("service"),
    )
    table = request.GET.get("csv")
    if table in TABLES:
        return _csv(table, period, first, last, filters)
    report = figures.sales(period, first, last, filters)
    signups = figures.signups(period, first, last)
    deposits = figures.deposits(first, last)
    labels = [_label(period, row.start) for row in report.sales]
    context = {
        **admin.site.each_context(request),
        "title": "Reports",
        "form": form,
        "report": report,
        "customers": figures.top_customers(first, last, filters),
        "signups": signups,
        "deposits": deposits,
        "csv": {name: _with(request, csv=name) for name in TABLES},
        "periods": {p: _with(request, period=p, start="", end="") for p in figures.PERIODS},
        "sales_chart": charts.bars(
            labels,
            [
                ("revenue", "revenue", [r.revenue for r in report.sales]),
                ("cost", "cost", [r.cost for r in report.sales]),
                ("profit", "profit", [r.profit for r in report.sales]),
            ],
            title=f"Revenue, cost and profit per {period}",
        ),
        "signups_chart": charts.bars(
            labels,
            [("sign-ups", "signups", [s["signups"] for s in signups])],
            title=f"Sign-ups per {period}",
            money=False,
        ),
    }
    return TemplateResponse(request, "reports/report.html", context)


def _with(request: HttpRequest, **changes: str) -> str:
    """This page's query string with `changes` (an empty value drops the parameter)."""
    query = request.GET.copy()
    query.pop("csv", None)
    for name, value in changes.items():
        query.pop(name, None)
        if value:
            query[name] = value
    return "?" + query.urlencode()


def _label(period: str, start: date) -> str:
    return start.strftime("%b %Y") if period == "month" else start.strftime("%d %b")


def _csv(table: str, period: str, first: date, last: date, filters: Filters) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{table}-{period}-{first}-{last}.csv"'
    out = csv.writer(response)
    for row in csv_rows(table, period, first, last, filters):
        out.writerow(row)
    return response


def csv_rows(table: str, period: str, first: date, last: date, filters: Filters) -> list[list]:
    """A table as rows of text, the header first: exactly the figures the page shows."""
    if table == "sales":
        report = figures.sales(period, first, last, filters)
        rows = [[period, "orders", "charged", "refunded", "revenue", "cost", "profit", "margin %",
                 "cost not reported", "not final"]]  # fmt: skip
        for r in [*report.sales, report.total]:
            start = "total" if r is report.total else r.start.isoformat()
            rows.append([start, r.orders, _m(r.charged), _m(r.refunded), _m(r.revenue),
                         _m(r.cost), _m(r.profit), "" if r.margin is None else str(r.margin),
                         r.uncosted, r.open])  # fmt: skip
        return rows
    if table == "customers":
        rows = [["customer id", "customer", "orders", "spend"]]
        for c in figures.top_customers(first, last, filters):
            rows.append([c["user_id"], c["username"], c["orders"], _m(c["spend"])])
        return rows
    if table == "signups":
        rows = [[period, "sign-ups"]]
        rows += [
            [s["start"].isoformat(), s["signups"]] for s in figures.signups(period, first, last)
        ]
        return rows
    rows = [["method", "name", "deposits", "amount"]]
    rows += [
        [d["method"], d["name"], d["deposits"], _m(d["amount"])]
        for d in figures.deposits(first, last)
    ]
    return rows


def _m(value) -> str:
    """Money as the page shows it: 2 places, no thousands separator."""
    return f"{value:.2f}"
