"""Declarative layouts of the sheetcrm tracker.

``tracker.toml`` declares the tabs, columns, header wording, number formats,
widths, dropdowns and conditional formats.  Code never hard-codes those: it
loads this file through :mod:`sheetcrm.template` and each backend renders it.
"""
