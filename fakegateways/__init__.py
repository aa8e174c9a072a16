"""Local fakes of the payment gateways (Razorpay, Stripe, NOWPayments) for the demo and tests.

Stdlib only, one process, one port, a path prefix per gateway: each speaks the endpoints the
panel's gateway code calls through the official SDKs, shows a checkout page with "Pay" and
"Fail" buttons, and sends correctly signed webhooks to the panel. Never in production settings:
only `make run` (demo/gateways.py) and the tests point PAYMENT_GATEWAY_URLS at it. See
fakegateways/README.md.
"""
