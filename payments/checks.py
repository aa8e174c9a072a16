"""`manage.py check --deploy`: a production panel must not send gateway calls to the fakes."""

from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def gateways_are_real(app_configs, **kwargs):
    if settings.PAYMENT_GATEWAY_URLS:
        return [
            Warning(
                "PAYMENT_GATEWAY_URLS is set: payment gateways are called at "
                f"{', '.join(sorted(settings.PAYMENT_GATEWAY_URLS))} addresses of its own "
                "(the demo's fakes?). Leave it empty in production.",
                id="payments.W001",
            )
        ]
    return []
