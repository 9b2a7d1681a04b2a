"""Storage backends: Excel files, Google Sheets and an in-memory double.

Each implements :class:`sheetcrm.backends.base.Backend`.
"""

from .base import Backend

__all__ = ["Backend"]
