"""What the catalog tells the rest of the panel.

`catalog_changed` is sent whenever selling rates or what is on sale change in bulk, without a
save per row (repricing, a sync importing services): whatever caches prices (the public pages,
the API's `services` answer) forgets them. A save of one row is seen by post_save already.
"""

from django.dispatch import Signal

catalog_changed = Signal()
