"""custsync: keep an ERP's customer master data in sync with the systems around it."""

__version__ = "0.1.0"
