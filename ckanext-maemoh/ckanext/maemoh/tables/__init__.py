"""Tables uploaded or linked by agencies: their validation reports and loading
into the DataStore by ckanext-xloader."""
