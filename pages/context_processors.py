from .site import current


def site(request) -> dict:
    """The site settings on every page; PANEL_NAME follows them (the admin edits the name)."""
    snapshot = current()
    return {"site": snapshot, "PANEL_NAME": snapshot.name}
