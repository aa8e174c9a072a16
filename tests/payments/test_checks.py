from django.core.checks import run_checks


def test_the_deploy_check_warns_when_gateways_point_elsewhere(settings):
    settings.PAYMENT_GATEWAY_URLS = {"stripe": "http://127.0.0.1:8766/stripe"}
    assert "payments.W001" in [w.id for w in run_checks(include_deployment_checks=True)]
    settings.PAYMENT_GATEWAY_URLS = {}
    assert "payments.W001" not in [w.id for w in run_checks(include_deployment_checks=True)]
