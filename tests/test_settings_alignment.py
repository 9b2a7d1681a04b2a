"""The Settings rows issue 12 added: Lifetime value, Quarterly revenue target, MQL threshold."""

from __future__ import annotations

import pytest

from sheetcrm.errors import SettingsError
from sheetcrm.model import Grid, Settings
from sheetcrm.settings import settings_from_grid, settings_to_contents, validate_settings
from sheetcrm.template import load_template

T = load_template()


def grid_with(**values: object) -> Grid:
    grid: Grid = [[c.value for c in row] for row in settings_to_contents(Settings(), T).rows]
    for row in grid:
        for label, value in values.items():
            if row and row[0] == label.replace("_", " "):
                row[1] = value  # type: ignore[assignment]
    return grid


def test_defaults_blank_blank_and_fifty() -> None:
    settings = settings_from_grid(grid_with(), T)
    assert (settings.lifetime_value, settings.quarterly_revenue_target,
            settings.mql_threshold) == (None, None, 50)


def test_typed_values() -> None:
    settings = settings_from_grid(grid_with(Lifetime_value="UGX 1,200,000",
                                            Quarterly_revenue_target=3000000,
                                            MQL_threshold="40"), T)
    assert (settings.lifetime_value, settings.quarterly_revenue_target,
            settings.mql_threshold) == (1200000, 3000000, 40)


def test_bad_values_name_their_cell() -> None:
    with pytest.raises(SettingsError, match=r"Settings!B\d+: MQL threshold 'lots' is not"):
        settings_from_grid(grid_with(MQL_threshold="lots"), T)
    with pytest.raises(SettingsError, match=r"Lifetime value '-5' is not an amount"):
        settings_from_grid(grid_with(Lifetime_value=-5), T)


def test_a_tracker_without_the_rows_takes_the_defaults() -> None:
    grid = [row for row in grid_with() if not row or row[0] not in (
        "Lifetime value", "Quarterly revenue target", "MQL threshold")]
    assert settings_from_grid(grid, T).mql_threshold == 50


def test_validate_settings_made_in_code() -> None:
    validate_settings(Settings(lifetime_value=5.0, mql_threshold=0))
    with pytest.raises(SettingsError, match="MQL threshold"):
        validate_settings(Settings(mql_threshold=-1))


def test_the_new_keys_in_a_config_file(tmp_path: pytest.TempPathFactory) -> None:
    from pathlib import Path

    from sheetcrm.settings import settings_from_toml

    path = Path(str(tmp_path)) / "business.toml"
    path.write_text("lifetime_value = 1200000\nmql_threshold = 40\n", encoding="utf-8")
    settings = settings_from_toml(path)
    assert (settings.lifetime_value, settings.quarterly_revenue_target,
            settings.mql_threshold) == (1200000, None, 40)
