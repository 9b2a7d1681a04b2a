"""The Spend tab as init writes it: headers, what to type, formats and the Channel dropdown."""

from __future__ import annotations

from sheetcrm.model import Cell, Settings
from sheetcrm.tabs import TabContext, spend
from sheetcrm.template import load_template

T = load_template()


def test_the_spend_tab() -> None:
    content = spend.build(TabContext(T, Settings()))
    assert content.rows[0][:3] == [Cell("Month", "header"), Cell("Channel", "header"),
                                  Cell("Amount", "header")]
    assert content.rows[0][4] == Cell("What to type", "label")
    assert content.rows[1][4].value.startswith("Month: ")  # type: ignore[union-attr]
    assert content.freeze_rows == 1
    formats = {f.col: (f.spec.style, f.spec.validation) for f in content.columns}
    assert formats[1][0] == "month" and formats[3][0] == "money"
    assert formats[2][1] is not None and formats[2][1].source == "Lists!$A$2:$A$100"
    assert all(f.first_row == 2 and f.last_row == T.rows for f in content.columns)
