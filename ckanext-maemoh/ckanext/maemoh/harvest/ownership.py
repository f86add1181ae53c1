"""A harvest source creates, updates and deletes only the datasets it created.

A dataset belongs to the source whose harvest objects point at it, never to
whoever brings the same name (or remote id, or DCAT guid): names are global,
and a source of one organisation must not move, rename, replace or delete a
dataset of another. A clash becomes a harvest object error naming both
sides, and nothing of the other dataset changes; nothing is ever purged.
"""
from ckanext.harvest.model import HarvestObject, HarvestObjectError

from ckanext.maemoh.store import catalog


def created_by(dataset_id, source_id):
    """True when a harvest object of the source points at the dataset."""
    return HarvestObject.Session.query(HarvestObject.id).filter(
        HarvestObject.package_id == dataset_id,
        HarvestObject.harvest_source_id == source_id,
    ).first() is not None


def clash_message(dataset, source_id):
    org = (dataset.get("organization") or {}).get("name") or dataset.get("owner_org")
    return (f"The name {dataset['name']} belongs to a dataset this harvest source did not create "
            f"(organisation {org}, id {dataset['id']}); it was left unchanged. "
            f"Rename the source's datasets or ask that organisation. (source {source_id})")


def upsert(context, harvest_object, data):
    """:func:`catalog.upsert` of a harvested dataset, refused (``tk.ValidationError``
    on ``name``) when the name belongs to a dataset the source did not create."""
    source_id = harvest_object.harvest_source_id
    return catalog.upsert(context, "package", data, refuse=lambda existing: (
        None if created_by(existing["id"], source_id) else clash_message(existing, source_id)))


def save_error(harvest_object, message, stage="Import"):
    HarvestObjectError(message=message, object=harvest_object, stage=stage).save()
