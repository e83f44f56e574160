"""Ingest: platform posts become scored, threaded, deduplicated messages in the inbox."""

from app.ingest.pipeline import IngestReport, ingest_page, store_page

__all__ = ["IngestReport", "ingest_page", "store_page"]
