"""sheetcrm: a customer-enquiry tracker in the spreadsheet a small business already uses."""

from __future__ import annotations

from .errors import SheetCRMError

__version__ = "0.1.0"

__all__ = ["SheetCRMError", "__version__"]
