"""Idempotent writes to the catalogue, shared by the demo and the harvesters:
create what is missing, patch what differs, leave the rest untouched (so
``metadata_modified`` moves only when something changed)."""
import ckan.plugins.toolkit as tk


def site_context():
    """An action context acting as the site user."""
    user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    return {"user": user, "ignore_auth": True}


def upsert(context, kind, data):
    """Create ``data`` as a ``kind`` ("package", "organization"), or patch
    the existing one where it differs. Returns ``(action_taken, dict)`` where
    action_taken is created, updated, kept or recreated."""
    try:
        existing = tk.get_action(f"{kind}_show")(dict(context), {"id": data["name"]})
    except tk.ObjectNotFound:
        return "created", tk.get_action(f"{kind}_create")(dict(context), data)
    if kind == "package" and existing["type"] != data.get("type", "dataset"):
        # CKAN cannot change a dataset's type: replace it.
        tk.get_action("dataset_purge")(dict(context), {"id": existing["id"]})
        return "recreated", tk.get_action("package_create")(dict(context), data)
    if not differs(existing, data):
        return "kept", existing
    return "updated", tk.get_action(f"{kind}_patch")(
        dict(context), dict(data, id=existing["id"]))


def differs(existing, data):
    """True when a field of ``data`` differs from the ``existing`` dict."""
    for key, value in data.items():
        if key == "tags":
            current = sorted(tag["name"] for tag in existing.get("tags", []))
            if current != sorted(tag["name"] for tag in value):
                return True
        elif key == "owner_org":
            if value not in (existing.get("owner_org"), existing.get("organization", {}).get("name")):
                return True
        elif existing.get(key) != value:
            return True
    return False
