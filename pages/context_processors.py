from .site import current


def site(request) -> dict:
    """The site settings on every page as `panel_site` (Django's auth views already pass a
    `site`); PANEL_NAME follows them (the admin edits the name)."""
    snapshot = current()
    return {"panel_site": snapshot, "PANEL_NAME": snapshot.name}
