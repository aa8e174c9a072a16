from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from panel.encryption import EncryptedTextField

# An upstream cost per 1000 as the provider sent it (providers quote up to 5-6 decimals).
COST = {"max_digits": 20, "decimal_places": 7}
# A selling rate per 1000 in the panel currency: at most 4 decimals (panel.money).
RATE = {"max_digits": 16, "decimal_places": 4}
PERCENT = {"max_digits": 9, "decimal_places": 4}


def validate_markup(value: Decimal) -> None:
    if value < -100:
        raise ValidationError("A markup below -100% would sell at a negative price.")


class ServiceType(models.TextChoices):
    """The service types of API v2 (docs/api.md); the value is the upstream's spelling."""

    DEFAULT = "Default"
    PACKAGE = "Package"
    CUSTOM_COMMENTS = "Custom Comments"
    CUSTOM_COMMENTS_PACKAGE = "Custom Comments Package"
    MENTIONS = "Mentions"
    MENTIONS_WITH_HASHTAGS = "Mentions with Hashtags"
    MENTIONS_CUSTOM_LIST = "Mentions Custom List"
    MENTIONS_HASHTAG = "Mentions Hashtag"
    MENTIONS_USER_FOLLOWERS = "Mentions User Followers"
    MENTIONS_MEDIA_LIKERS = "Mentions Media Likers"
    COMMENT_LIKES = "Comment Likes"
    COMMENT_REPLIES = "Comment Replies"
    POLL = "Poll"
    INVITES_FROM_GROUPS = "Invites from Groups"
    SUBSCRIPTIONS = "Subscriptions"
    WEB_TRAFFIC = "Web Traffic"


class Provider(models.Model):
    name = models.CharField(max_length=100, unique=True)
    api_url = models.URLField("API URL", max_length=500)
    # Secret: encrypted at rest (panel/encryption.py), masked in admin, never in logs, errors,
    # task arguments or pages (see __repr__).
    api_key = EncryptedTextField("API key", max_length=255)
    currency = models.CharField(max_length=3, default="USD")
    exchange_rate = models.DecimalField(
        max_digits=20,
        decimal_places=10,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal("0.0000000001"))],
        help_text="Panel currency units per one unit of the provider's currency.",
    )
    enabled = models.BooleanField(default=True)
    auto_import = models.BooleanField(
        default=True, help_text="Create a panel service for every new upstream service on sync."
    )
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    balance = models.DecimalField(**COST, null=True, blank=True)
    balance_currency = models.CharField(max_length=3, blank=True)
    balance_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Provider {self.pk} {self.name}>"

    def client(self):
        from .upstream import UpstreamClient

        return UpstreamClient.for_provider(self)


class UpstreamService(models.Model):
    """A provider's service as last synced; the cost side of a panel service."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="services")
    upstream_id = models.CharField(max_length=64)
    name = models.CharField(max_length=500)
    type = models.CharField(max_length=64, default=ServiceType.DEFAULT)
    category = models.CharField(max_length=255, blank=True)
    rate = models.DecimalField("cost per 1000", **COST)
    min = models.PositiveBigIntegerField()
    max = models.PositiveBigIntegerField()
    refill = models.BooleanField(default=False)
    cancel = models.BooleanField(default=False)
    dripfeed = models.BooleanField(default=False)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "upstream_id"], name="upstream_service_unique_per_provider"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} #{self.upstream_id} {self.name}"


class PriceChange(models.Model):
    """An upstream cost change seen by a sync."""

    upstream_service = models.ForeignKey(
        UpstreamService, on_delete=models.CASCADE, related_name="price_changes"
    )
    old_rate = models.DecimalField(**COST)
    new_rate = models.DecimalField(**COST)
    seen_at = models.DateTimeField()

    class Meta:
        ordering = ["-seen_at", "-id"]

    def __str__(self) -> str:
        return f"{self.old_rate} → {self.new_rate}"


class Category(models.Model):
    """The panel's own category, as customers see it."""

    name = models.CharField(max_length=255, unique=True)
    position = models.IntegerField(default=0)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """What customers buy. Sells its first available offer; later offers are fallbacks."""

    name = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="services")
    position = models.IntegerField(default=0)
    enabled = models.BooleanField(default=True, help_text="Offered to customers.")
    # False when no upstream offer is active any more (set by the sync, not by hand).
    available = models.BooleanField(default=True, editable=False)
    type = models.CharField(max_length=64, default=ServiceType.DEFAULT)
    min_override = models.PositiveBigIntegerField(
        "min", null=True, blank=True, help_text="Empty: the upstream's minimum; never below it."
    )
    max_override = models.PositiveBigIntegerField(
        "max", null=True, blank=True, help_text="Empty: the upstream's maximum; never above it."
    )
    markup_percent = models.DecimalField(
        "markup %", **PERCENT, null=True, blank=True, validators=[validate_markup]
    )
    fixed_rate = models.DecimalField(
        **RATE,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text="A fixed selling rate per 1000; overrides every markup.",
    )
    # The selling rate per 1000 in the panel currency, kept in step with cost and markups by
    # catalog.pricing.reprice(); what the customer pays.
    rate = models.DecimalField(**RATE, default=Decimal(0), editable=False)
    step = models.PositiveIntegerField(
        null=True, blank=True, help_text="Quantities must be a multiple of this (empty: any)."
    )
    # The quantity range customers may order: the overrides clamped to the chosen offer's.
    min = models.PositiveBigIntegerField(default=0, editable=False)
    max = models.PositiveBigIntegerField(default=0, editable=False)
    refill = models.BooleanField(default=False, editable=False)
    cancel = models.BooleanField(default=False, editable=False)
    dripfeed = models.BooleanField(default=False, editable=False)
    offers = models.ManyToManyField(UpstreamService, through="ServiceOffer", related_name="+")
    # Average time per 1000 of the panel's own recent completed orders, in seconds; empty:
    # not enough data. Kept by a beat job (catalog/averages.py), never computed per request.
    average_seconds = models.PositiveIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["category__position", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_override__isnull=True)
                | Q(max_override__isnull=True)
                | Q(min_override__lte=models.F("max_override")),
                name="service_min_not_above_max",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ServiceOffer(models.Model):
    """One upstream service a panel service can be bought from; priority 0 is the primary."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="service_offers")
    upstream_service = models.ForeignKey(
        UpstreamService, on_delete=models.CASCADE, related_name="service_offers"
    )
    priority = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["priority", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "upstream_service"], name="offer_unique_per_service"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service} ← {self.upstream_service} (priority {self.priority})"


class MarkupRuleQuerySet(models.QuerySet):
    """Bulk writes of markup rules reprice too (save and delete do through signals:
    catalog/pricing.py `markup_rules_changed`); Django sends no signal for these."""

    def update(self, **kwargs):
        rows = super().update(**kwargs)
        _markups_changed()
        return rows

    def bulk_create(self, *args, **kwargs):
        rules = super().bulk_create(*args, **kwargs)
        _markups_changed()
        return rules

    def bulk_update(self, *args, **kwargs):
        rows = super().bulk_update(*args, **kwargs)
        _markups_changed()
        return rows


def _markups_changed() -> None:
    from .pricing import markup_rules_changed  # pricing imports this module

    markup_rules_changed()


class MarkupRule(models.Model):
    """A markup for a whole panel category, a whole provider, or the global default.

    Precedence: the service's own fixed rate or markup > category > provider > global.
    Created, changed or deleted by any path (admin, shell, command, bulk), it reprices the
    services (catalog/pricing.py `markup_rules_changed`).
    """

    category = models.OneToOneField(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="markup_rule"
    )
    provider = models.OneToOneField(
        Provider, null=True, blank=True, on_delete=models.CASCADE, related_name="markup_rule"
    )
    percent = models.DecimalField("markup %", **PERCENT, validators=[validate_markup])

    objects = MarkupRuleQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(category__isnull=True) | Q(provider__isnull=True),
                name="markup_rule_one_scope",
            ),
            # At most one global default: a unique index on a constant over the global rows.
            models.UniqueConstraint(
                models.Value(1),
                name="markup_rule_one_global",
                condition=Q(category__isnull=True, provider__isnull=True),
            ),
            models.CheckConstraint(condition=Q(percent__gte=-100), name="markup_not_below_100"),
        ]

    def __str__(self) -> str:
        return f"{self.percent}% ({self.scope})"

    @property
    def scope(self) -> str:
        if self.category_id:
            return f"category: {self.category}"
        if self.provider_id:
            return f"provider: {self.provider}"
        return "global default"
