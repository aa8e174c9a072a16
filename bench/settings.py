"""The panel's settings plus the benchmark anchors (bench/views.py), for bench/api_throughput.py.

`bench/bare-add` debits any user named in the request, with no key and no validation: these
settings never serve anything but a benchmark's server (DJANGO_SETTINGS_MODULE=bench.settings).
"""

from panel.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
