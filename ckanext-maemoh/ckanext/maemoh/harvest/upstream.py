from ckanext.harvest.harvesters.ckanharvester import CKANHarvester
import ckan.plugins as p
from ckanext.dcat.interfaces import IDCATRDFHarvester
class MaeMohCKANHarvester(CKANHarvester):
    pass
class DCATHarvestMapping(p.SingletonPlugin):
    p.implements(IDCATRDFHarvester, inherit=True)
