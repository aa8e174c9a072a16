"""What the order pages need around placing: the service data the page's script prices with,
the fields a service's form shows, and which posted fields go to placing.

Nothing here judges an order or its money: `orders.validation.validate` does, for the browser,
the mass order and the API alike. The script's live charge is a preview; the server charges.
"""

import hashlib
import json
import re
import secrets
from dataclasses import asdict, dataclass
from decimal import Decimal
from html import escape
from itertools import groupby

from django.http import QueryDict
from django.utils.safestring import mark_safe

from catalog.averages import average_text
from catalog.models import Service
from panel.money import format_rate

from .placing import sellable_services
from .types import TYPES, TypeInfo, TypeSpec, spec_for
from .validation import OrderError

# One row per service in the page's JSON, in this column order (the script names them).
SERVICE_COLUMNS = (
    "id", "category", "name", "rate", "min", "max", "step", "type", "dripfeed", "refill",
    "cancel", "description", "average",
)  # fmt: skip
_QUERY_FIELDS = (
    "id", "category_id", "name", "rate", "min", "max", "step", "type", "dripfeed", "refill",
    "cancel", "description", "category__name", "average_seconds",
)  # fmt: skip
_REF = re.compile(r"[0-9a-f]{32}")
_SCRIPT_ESCAPES = (("&", "\\u0026"), ("<", "\\u003C"), (">", "\\u003E"))


def service_rows() -> list[tuple]:
    """Every service on sale, in the services page's order: one query, named tuples."""
    return list(
        sellable_services()
        .order_by("category__position", "category__name", "position", "id")
        .values_list(*_QUERY_FIELDS, named=True)
    )


def can_dripfeed(service: Service) -> bool:
    return spec_for(service.type).dripfeed and service.dripfeed


def type_info(spec: TypeSpec) -> dict:
    info = TypeInfo(spec.link, spec.quantity, spec.flat, spec.dripfeed, fields=[])
    return {**asdict(info), "fields": [asdict(field) for field in spec.fields]}


def page_data(rows: list[tuple], *, balance: Decimal, currency: str) -> str:
    """The one <script type="application/json"> the order page's script reads."""
    data = {
        "currency": currency,
        # Plain decimal digits, never an exponent ("0E-7" is what a zero balance prints as):
        # the script parses only plain text.
        "balance": f"{balance:f}",
        "columns": SERVICE_COLUMNS,
        "services": [
            [sid, cat, name, f"{rate:f}", low, high, step, kind, drip, refill, cancel, desc, avg]
            for sid, cat, name, rate, low, high, step, kind, drip, refill, cancel, desc, _, avg in (
                (*row[:-1], average_text(row.average_seconds)) for row in rows
            )
        ],
        "categories": [[cat, name] for cat, name in categories(rows)],
        "types": {name: type_info(spec) for name, spec in TYPES.items()},
    }
    # Compact, and not ASCII-escaped (names are full of emoji): about a third smaller than
    # django's json_script, with the same escaping of <, > and & for a <script> element.
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in _SCRIPT_ESCAPES:  # str.replace: str.translate is 10× slower here
        text = text.replace(char, escaped)
    html = f'<script id="order-data" type="application/json">{text}</script>'
    return mark_safe(html)  # noqa: S308 (escaped just above)


def categories(rows: list[tuple]) -> list[tuple[int, str]]:
    return [key for key, _ in groupby(rows, key=_category)]


def _category(row) -> tuple[int, str]:
    return row.category_id, row.category__name


def rate_label(rate: Decimal, service_type: str, currency: str) -> str:
    unit = "per package" if spec_for(service_type).flat else "per 1000"
    return f"{format_rate(rate)} {currency} {unit}"


def option_label(
    service_id: int, name: str, rate: Decimal, service_type: str, currency: str
) -> str:
    """The same text the page's script builds for an option (static/js/order.js)."""
    return f"{service_id} · {escape(name)} — {rate_label(rate, service_type, currency)}"


def service_options(
    rows: list[tuple], *, selected: int | None, category: int | None, query: str, currency: str
) -> str:
    """The <option>s of the service picker, grouped by category, rendered in Python for speed
    (a template loop over 5,000 services costs over 100 ms). `category` and `query` narrow the
    list as the script's filter does (for browsers without it, by a GET); the chosen service
    always stays in it."""
    terms = query.casefold().split()
    parts = ['<option value="">Choose a service…</option>']
    for (_, category_name), group in groupby(rows, key=_category):
        options = [
            f'<option value="{row.id}"{" selected" if row.id == selected else ""}>'
            f"{option_label(row.id, row.name, row.rate, row.type, currency)}</option>"
            for row in group
            if row.id == selected
            or (
                (category is None or row.category_id == category)
                and all(term in f"{row.id} {row.name.casefold()}" for term in terms)
            )
        ]
        if options:
            parts.append(f'<optgroup label="{escape(category_name)}">{"".join(options)}</optgroup>')
    return "".join(parts)


@dataclass(frozen=True)
class FormField:
    """One input of the order form as the template draws it."""

    name: str
    label: str
    widget: str  # input | textarea | select
    value: str = ""
    required: bool = True
    help: str = ""
    error: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    inputmode: str = "text"
    placeholder: str = ""
    optional: bool = False  # labelled "(optional)"


def form_fields(
    service: Service, values: dict[str, str], errors: dict[str, str]
) -> list[FormField]:
    """The inputs this service's type needs, in order: link, quantity, the type's own."""
    spec = spec_for(service.type)
    limits = f"Min {service.min:,}, max {service.max:,}" + (
        f", in steps of {service.step:,}" if service.step else ""
    )
    fields = []
    if spec.link:
        fields.append(FormField("link", "Link", "input", inputmode="url", placeholder="https://…"))
    if spec.quantity == "quantity":
        fields.append(FormField("quantity", "Quantity", "input", help=limits, inputmode="numeric"))
    for field in spec.fields:
        help_text = field.help
        if field.name == spec.quantity:
            help_text = (
                f"{help_text} The number of lines is the quantity: {limits[0].lower()}{limits[1:]}."
            )
        fields.append(
            FormField(
                field.name,
                field.label,
                "textarea" if field.kind == "lines" else "select" if field.choices else "input",
                required=field.required,
                optional=not field.required,
                help=help_text.strip(),
                choices=field.choices,
                inputmode="numeric" if field.kind == "count" else "text",
                placeholder="dd/mm/yyyy" if field.kind == "date" else "",
            )
        )
    return [_filled(field, values, errors) for field in fields]


def dripfeed_fields(values: dict[str, str], errors: dict[str, str]) -> list[FormField]:
    fields = [
        FormField("runs", "Runs", "input", required=False, help="How many deliveries (2 or more).", inputmode="numeric"),
        FormField("interval", "Interval (minutes)", "input", required=False, help="Minutes between deliveries.", inputmode="numeric"),
    ]  # fmt: skip
    return [_filled(field, values, errors) for field in fields]


def _filled(field: FormField, values: dict[str, str], errors: dict[str, str]) -> FormField:
    default = field.choices[0][0] if field.choices else ""
    return FormField(
        **{
            **asdict(field),
            "value": values.get(field.name, default),
            "error": errors.get(field.name, ""),
        }
    )


def posted_fields(data: QueryDict, service: Service) -> dict[str, str]:
    """The posted values placing needs for this service, as text; nothing else passes.

    A ticked drip-feed box sends runs and interval; without runs it is an error here, since
    placing would otherwise quietly take it as an ordinary order.
    """
    spec = spec_for(service.type)
    names = ["link"] if spec.link else []
    names += ["quantity"] if spec.quantity == "quantity" else []
    names += [field.name for field in spec.fields]
    fields = {name: data.get(name, "") for name in names}
    if can_dripfeed(service) and data.get("dripfeed"):
        fields.update(runs=data.get("runs", ""), interval=data.get("interval", ""))
        if not fields["runs"].strip():
            raise OrderError("Incorrect runs", field="runs", detail="Enter the number of runs.")
    return fields


def error_target(exc: OrderError, service: Service | None) -> str | None:
    """The form field an error belongs next to, or None for the top of the form."""
    if service is None or exc.field is None:
        return None
    spec = spec_for(service.type)
    if exc.field == "quantity" and spec.quantity not in (None, "quantity"):
        return spec.quantity  # a line-count type: the lines field is the quantity
    shown = {"link", "quantity", "runs", "interval", *(field.name for field in spec.fields)}
    return exc.field if exc.field in shown else None


def form_reference(raw: str | None) -> str:
    """The one-time token a form carries through its confirm step: the posted one, or new."""
    return raw if raw and _REF.fullmatch(raw) else secrets.token_hex(16)


def client_reference(raw: str | None, service_id: int, fields: dict[str, str]) -> str | None:
    """The order's client reference (unique per customer): the form's one-time token plus a
    digest of what it orders. The same form posted again with the same content (a double
    click, a reload, the back button) finds its order; changed content is a new order."""
    if not (raw and _REF.fullmatch(raw)):
        return None
    content = json.dumps([service_id, sorted(fields.items())], ensure_ascii=False)
    return f"web-{raw}-{hashlib.sha256(content.encode()).hexdigest()[:16]}"
