"""Idempotent writes to the catalogue, shared by the demo and the harvesters:
create what is missing, patch what differs, leave the rest untouched (so
``metadata_modified`` moves only when something changed)."""
import ckan.plugins.toolkit as tk


def site_context():
    """An action context acting as the site user."""
    user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    return {"user": user, "ignore_auth": True}


def upsert(context, kind, data, refuse=None):
    """Create ``data`` as a ``kind`` ("package", "organization"), or patch
    the existing one where it differs. Returns ``(action_taken, dict)`` where
    action_taken is created, updated or kept.

    An existing dataset of another type, or of another organisation than
    ``data["owner_org"]``, or one that ``refuse(existing)`` returns a reason
    for, is left unchanged: ``tk.ValidationError`` on ``name``. Nothing is
    ever purged."""
    try:
        existing = tk.get_action(f"{kind}_show")(dict(context), {"id": data["name"]})
    except tk.ObjectNotFound:
        return "created", tk.get_action(f"{kind}_create")(dict(context), data)
    if kind == "package":
        reason = refusal(existing, data) or (refuse(existing) if refuse else None)
        if reason:
            raise tk.ValidationError({"name": [reason]})
    if not differs(existing, data):
        return "kept", existing
    return "updated", tk.get_action(f"{kind}_patch")(
        dict(context), dict(data, id=existing["id"]))


def refusal(existing, data):
    """Why ``data`` may not replace the dataset ``existing``, or None."""
    if existing["type"] != data.get("type", "dataset"):
        return (f"The name {existing['name']} is taken by a {existing['type']} dataset; "
                f"a {data.get('type', 'dataset')} cannot replace it")
    org = existing.get("organization") or {}
    if data.get("owner_org") not in (existing.get("owner_org"), org.get("name")):
        return (f"The name {existing['name']} is taken by a dataset of the organisation "
                f"{org.get('name') or existing.get('owner_org')}; it was left unchanged")
    return None


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
