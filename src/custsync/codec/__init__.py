"""Canonical rows <-> API JSON: the one translation between the tables and the resources.

``from_api`` flattens resource JSON into a canonical frame (dotted paths, as ``pandas.json_normalize``
writes them); ``to_api`` nests a row's changed fields back into the JSON body the API expects.
"""

from custsync.codec._codec import from_api, to_api
from custsync.codec._requests import customer_request, split_customer_create

__all__ = ["customer_request", "from_api", "split_customer_create", "to_api"]
