"""Caller of the HubSpot archive gateway (hubspot.crm.associations.v1).

ArchiveClient makes the unary calls and raises ArchiveError, which carries the
UpstreamError rich detail; archive_bulk runs the bulk stream's protocol;
to_json prints any answer in the proto3 JSON mapping every caller here uses.
"""
from hubspot_archive_gateway.bulk import BulkOutcome, archive_bulk
from hubspot_archive_gateway.client import ArchiveClient, ArchiveError, to_json
from hubspot_archive_gateway import v1

__all__ = ["ArchiveClient", "ArchiveError", "BulkOutcome", "archive_bulk", "to_json", "v1"]
