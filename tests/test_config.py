"""sheetcrm.toml: finding it, reading it, and one line naming the line for each mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from sheetcrm.config import (
    ConfigError,
    GoogleLimits,
    TrackerEntry,
    find_config,
    load_config,
)

ISSUE_EXAMPLE = '''\
# sheetcrm.toml
[trackers.nakato]
target = "clients/nakato.xlsx"        # relative paths are relative to this file's folder
[trackers.wanjiru]
target = "https://docs.google.com/spreadsheets/d/<key>/edit"
credentials = "keys/consultant-sa.json"   # optional; otherwise the usual search
'''


def write(tmp_path: Path, text: str, name: str = "sheetcrm.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_the_issue_example_reads_with_paths_relative_to_the_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ISSUE_EXAMPLE))
    assert config.trackers == [
        TrackerEntry("nakato", str(tmp_path / "clients" / "nakato.xlsx"), None, line=2),
        TrackerEntry("wanjiru", "https://docs.google.com/spreadsheets/d/<key>/edit",
                     tmp_path / "keys" / "consultant-sa.json", line=4),
    ]
    assert config.google == GoogleLimits(60, 60, 3)


def test_absolute_paths_and_a_google_section(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, (
        '[trackers.a]\ntarget = "/srv/a.xlsx"\n'
        '[google]\nreads_per_minute = 300\nwrites_per_minute = 120\nconcurrency = 2\n')))
    assert config.trackers[0].target == "/srv/a.xlsx"
    assert config.google == GoogleLimits(300, 120, 2)


def test_a_typo_in_a_key_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[trackers.a]\ntarget = "a.xlsx"\n\n[trackers.b]\ntarget = "b.xlsx"\n'
                 'credentails = "k.json"\n')
    message = error_of(path)
    assert message.startswith(f"{path}, line 6: unknown key 'credentails' in [trackers.b]")


def test_a_missing_target_names_the_section_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[trackers.a]\ntarget = "a.xlsx"\n[trackers.b]\ncredentials = "k"\n')
    assert error_of(path).startswith(f"{path}, line 3: [trackers.b] has no target")


def test_a_duplicate_name_names_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, '[trackers.a]\ntarget = "a.xlsx"\n\n[trackers.a]\ntarget = "b.xlsx"\n')
    assert error_of(path).startswith(
        f"{path}, line 4: the tracker 'a' is already defined on line 1")


def test_an_unknown_section_and_a_bad_google_value_name_their_lines(tmp_path: Path) -> None:
    path = write(tmp_path, '[trackers.a]\ntarget = "a.xlsx"\n[tracker.b]\ntarget = "b.xlsx"\n')
    assert error_of(path).startswith(f"{path}, line 3: unknown section or key 'tracker'")
    path = write(tmp_path, '[trackers.a]\ntarget = "a.xlsx"\n[google]\nreads_per_minute = 0\n')
    assert error_of(path).startswith(f"{path}, line 4: reads_per_minute must be a whole number")
    path = write(tmp_path, '[trackers.a]\ntarget = "a.xlsx"\n[google]\nread_per_minute = 9\n')
    assert error_of(path).startswith(f"{path}, line 4: unknown key 'read_per_minute' in [google]")


def test_broken_toml_and_an_empty_file_are_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[trackers.a]\ntarget = "a.xlsx\n')
    assert "line 2" in error_of(path)
    assert "lists no trackers" in error_of(write(tmp_path, "# nothing yet\n"))


def test_a_bad_name_or_target_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[trackers."my client"]\ntarget = "a.xlsx"\n')
    assert "may use only letters" in error_of(path)
    path = write(tmp_path, '[trackers.a]\ntarget = 5\n')
    assert error_of(path).startswith(f"{path}, line 2: the target of [trackers.a]")


def test_select_keeps_the_config_order_and_names_unknown_trackers(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ISSUE_EXAMPLE))
    assert [t.name for t in config.select("wanjiru, nakato")] == ["nakato", "wanjiru"]
    assert [t.name for t in config.select(None)] == ["nakato", "wanjiru"]
    with pytest.raises(ConfigError, match="--only names okello, not in"):
        config.select("nakato,okello")


# --------------------------------------------------------------------------- finding it


def test_found_from_the_option_then_the_environment_then_here_then_the_user_folder(
    tmp_path: Path,
) -> None:
    explicit = write(tmp_path, ISSUE_EXAMPLE, "explicit.toml")
    named = write(tmp_path, ISSUE_EXAMPLE, "named.toml")
    here = tmp_path / "here"
    here.mkdir()
    local = write(here, ISSUE_EXAMPLE)
    user = write(tmp_path, ISSUE_EXAMPLE, "user.toml")
    env = {"SHEETCRM_CONFIG": str(named)}
    assert find_config(explicit, environ=env, cwd=here, user_file=user) == explicit
    assert find_config(None, environ=env, cwd=here, user_file=user) == named
    assert find_config(None, environ={}, cwd=here, user_file=user) == local
    assert find_config(None, environ={}, cwd=tmp_path, user_file=user) == user


def test_nothing_found_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="No sheetcrm.toml found") as caught:
        find_config(None, environ={}, cwd=tmp_path, user_file=tmp_path / "none.toml")
    assert "SHEETCRM_CONFIG" in str(caught.value)
    with pytest.raises(ConfigError, match="does not exist"):
        find_config(tmp_path / "missing.toml", environ={})
    with pytest.raises(ConfigError, match="SHEETCRM_CONFIG names"):
        find_config(None, environ={"SHEETCRM_CONFIG": str(tmp_path / "x.toml")})


def test_the_user_folder_is_platformdirs_own(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    from sheetcrm.config import user_config_file

    assert user_config_file() == tmp_path / "sheetcrm" / "sheetcrm.toml"
