"""Replay real Google recordings against the fake and compare the answers.

Each file in /work/shared/google-recordings holds request/response pairs
recorded between gspread and Google (vcrpy JSON).  For every interaction the
recorded request (method, URI, body) is sent through a session on a fresh
fake, and the fake's reply must match the recorded one: the status code and
the JSON body, after mapping the ids Google chose (spreadsheet keys, sheetIds,
protected range, named range and chart ids) to the ones the fake chose, and
blanking Drive timestamps.  Nothing else is normalised.

SUPPORTED lists the recordings the fake claims to reproduce; a mismatch in one
of them fails.  Every other recording is listed, with the reason, in
docs/fake-sheets.md.  Run this file as a script to see how every recording
fares (``python -m tests.test_fake_sheets_contract``).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest

from tests.fake_sheets import FakeSheets

RECORDINGS = Path(os.environ.get("SHEETCRM_GOOGLE_RECORDINGS",
                                 "/work/shared/google-recordings"))

#: The service account the recordings were made with (it appears in protected ranges).
RECORDED_ACCOUNT = "telegram-budgeter@telegram-budgeter.iam.gserviceaccount.com"

#: Keys whose values are ids Google chooses; the fake chooses its own.
ID_KEYS = {"id", "spreadsheetId", "sheetId", "protectedRangeId", "namedRangeId", "chartId",
           "objectId", "sourceSheetId", "destinationSpreadsheetId"}
TIME_KEYS = {"createdTime", "modifiedTime"}

#: Spreadsheets that exist before a recording starts but are not shared with the
#: service account (the recording opens them and Google answers 403).
PRIVATE: dict[str, list[str]] = {
    "ClientTest.test_access_private_spreadsheet": [
        "1jIKzPs8LsiZZdLdeMEP-5ZIHw6RkjiOmj1LrJN706Yc"
    ],
}

SUPPORTED: list[str] = [
    "CellTest.test_a1_value",
    "CellTest.test_define_named_range",
    "CellTest.test_delete_named_range",
    "CellTest.test_equality",
    "CellTest.test_merge_cells",
    "CellTest.test_numeric_value",
    "CellTest.test_properties",
    "CellTest.test_update_named_range",
    "CellTest.test_update_named_range_no_args",
    "ClientTest.test_access_non_existing_spreadsheet",
    "ClientTest.test_access_private_spreadsheet",
    "ClientTest.test_add_timeout",
    "ClientTest.test_client_export_spreadsheet",
    "ClientTest.test_copy",
    "ClientTest.test_create",
    "ClientTest.test_list_spreadsheet_files",
    "ClientTest.test_no_found_exeption",
    "ClientTest.test_open_by_key_has_metadata",
    "ClientTest.test_open_by_name_has_metadata",
    "SpreadsheetTest.test_add_del_worksheet",
    "SpreadsheetTest.test_bad_json_api_error",
    "SpreadsheetTest.test_creationTime_prop",
    "SpreadsheetTest.test_export_spreadsheet",
    "SpreadsheetTest.test_get_lastUpdateTime",
    "SpreadsheetTest.test_get_worksheet",
    "SpreadsheetTest.test_get_worksheet_by_id",
    "SpreadsheetTest.test_lastUpdateTime_prop",
    "SpreadsheetTest.test_properties",
    "SpreadsheetTest.test_sheet1",
    "SpreadsheetTest.test_timezone_and_locale",
    "SpreadsheetTest.test_update_title",
    "SpreadsheetTest.test_values_batch_get",
    "SpreadsheetTest.test_values_get",
    "SpreadsheetTest.test_worksheet",
    "SpreadsheetTest.test_worksheet_iteration",
    "SpreadsheetTest.test_worksheets",
    "SpreadsheetTest.test_worksheets_exclude_hidden",
    "WorksheetTest.test_acell",
    "WorksheetTest.test_add_protected_range_normal",
    "WorksheetTest.test_add_protected_range_warning",
    "WorksheetTest.test_add_validation",
    "WorksheetTest.test_append_row",
    "WorksheetTest.test_append_row_with_empty_value",
    "WorksheetTest.test_append_row_with_empty_value_and_table_range",
    "WorksheetTest.test_attributes",
    "WorksheetTest.test_basic_filters",
    "WorksheetTest.test_batch_clear",
    "WorksheetTest.test_batch_get",
    "WorksheetTest.test_batch_merged_cells",
    "WorksheetTest.test_batch_update",
    "WorksheetTest.test_cell",
    "WorksheetTest.test_cell_return_first",
    "WorksheetTest.test_clear",
    "WorksheetTest.test_clear_tab_color",
    "WorksheetTest.test_copy_cut_range",
    "WorksheetTest.test_delete_cols",
    "WorksheetTest.test_delete_protected_range",
    "WorksheetTest.test_delete_row",
    "WorksheetTest.test_find",
    "WorksheetTest.test_findall",
    "WorksheetTest.test_format",
    "WorksheetTest.test_freeze",
    "WorksheetTest.test_get_all_records",
    "WorksheetTest.test_get_all_records_different_header",
    "WorksheetTest.test_get_all_records_duplicate_keys",
    "WorksheetTest.test_get_all_records_numericise_unformatted",
    "WorksheetTest.test_get_all_records_pad_more_than_one_key",
    "WorksheetTest.test_get_all_records_pad_one_key",
    "WorksheetTest.test_get_all_records_pad_values",
    "WorksheetTest.test_get_all_records_value_render_options",
    "WorksheetTest.test_get_all_records_with_all_values_blank",
    "WorksheetTest.test_get_all_records_with_blank_final_headers",
    "WorksheetTest.test_get_all_records_with_keys_blank",
    "WorksheetTest.test_get_all_records_with_some_values_blank",
    "WorksheetTest.test_get_all_values",
    "WorksheetTest.test_get_all_values_date_time_render_options",
    "WorksheetTest.test_get_all_values_title_is_a1_notation",
    "WorksheetTest.test_get_and_get_values_have_same_signature",
    "WorksheetTest.test_get_merge_cells_and_unmerge_cells",
    "WorksheetTest.test_get_notes",
    "WorksheetTest.test_get_notes_2nd_sheet",
    "WorksheetTest.test_get_returns_ValueRange_with_metadata",
    "WorksheetTest.test_get_values_and_combine_merged_cells",
    "WorksheetTest.test_get_values_and_maintain_size",
    "WorksheetTest.test_get_values_can_emulate_get_with_kwargs",
    "WorksheetTest.test_get_values_merge_cells_from_centre_of_sheet",
    "WorksheetTest.test_get_values_merge_cells_outside_of_range",
    "WorksheetTest.test_get_values_merge_cells_with_named_range",
    "WorksheetTest.test_get_values_returns_padded_get_as_listoflists",
    "WorksheetTest.test_get_values_with_args_or_kwargs",
    "WorksheetTest.test_group_columns",
    "WorksheetTest.test_group_rows",
    "WorksheetTest.test_hide_columns_rows",
    "WorksheetTest.test_hide_gridlines",
    "WorksheetTest.test_hide_show_worksheet",
    "WorksheetTest.test_insert_cols",
    "WorksheetTest.test_insert_row",
    "WorksheetTest.test_range",
    "WorksheetTest.test_range_get_all_values",
    "WorksheetTest.test_range_reversed",
    "WorksheetTest.test_range_unbounded",
    "WorksheetTest.test_reorder_worksheets",
    "WorksheetTest.test_resize",
    "WorksheetTest.test_set_tab_color",
    "WorksheetTest.test_show_gridlines",
    "WorksheetTest.test_sort",
    "WorksheetTest.test_update_acell",
    "WorksheetTest.test_update_and_get",
    "WorksheetTest.test_update_cell",
    "WorksheetTest.test_update_cell_multiline",
    "WorksheetTest.test_update_cell_objects",
    "WorksheetTest.test_update_cell_unicode",
    "WorksheetTest.test_update_cells",
    "WorksheetTest.test_update_cells_noncontiguous",
    "WorksheetTest.test_update_cells_unicode",
    "WorksheetTest.test_update_tab_color",
    "WorksheetTest.test_update_title",
    "WorksheetTest.test_update_works_with_swapped_values_and_range",
    "WorksheetTest.test_worksheet_notes",
    "WorksheetTest.test_worksheet_update_index",
]


class IdMap:
    """Recorded id <-> fake id, learnt as replies come in."""

    def __init__(self) -> None:
        self.to_fake: dict[Any, Any] = {}
        self.to_recorded: dict[Any, Any] = {}

    def learn(self, recorded: Any, fake: Any) -> str | None:
        """Pair two ids; a problem message if either is already paired differently."""
        if recorded == fake:
            if recorded in self.to_fake and self.to_fake[recorded] != fake:
                return f"id {recorded!r} was paired with {self.to_fake[recorded]!r}"
            return None
        if recorded in self.to_fake:
            if self.to_fake[recorded] != fake:
                return (f"recorded id {recorded!r} is {self.to_fake[recorded]!r} in the fake, "
                        f"but the reply says {fake!r}")
            return None
        if fake in self.to_recorded:
            return f"fake id {fake!r} already stands for {self.to_recorded[fake]!r}"
        self.to_fake[recorded] = fake
        self.to_recorded[fake] = recorded
        return None

    def strings(self, mapping: dict[Any, Any]) -> list[tuple[str, str]]:
        return sorted(
            ((str(a), str(b)) for a, b in mapping.items() if isinstance(a, str) and len(a) > 10),
            key=lambda p: -len(p[0]),
        )


def _walk_ids(recorded: Any, fake: Any, ids: IdMap, problems: list[str], key: str = "") -> None:
    if isinstance(recorded, dict) and isinstance(fake, dict):
        for k in recorded.keys() & fake.keys():
            _walk_ids(recorded[k], fake[k], ids, problems, k)
    elif isinstance(recorded, list) and isinstance(fake, list) and len(recorded) == len(fake):
        for a, b in zip(recorded, fake, strict=True):
            _walk_ids(a, b, ids, problems, key)
    elif key in ID_KEYS and type(recorded) is type(fake) and not isinstance(recorded, bool):
        problem = ids.learn(recorded, fake)
        if problem:
            problems.append(problem)


def _translate(value: Any, mapping: dict[Any, Any], strings: list[tuple[str, str]],
               key: str = "") -> Any:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in TIME_KEYS:
                out[k] = "<time>"
            else:
                out[k] = _translate(v, mapping, strings, k)
        return out
    if isinstance(value, list):
        return [_translate(v, mapping, strings, key) for v in value]
    if key in ID_KEYS and not isinstance(value, bool) and value in mapping:
        return mapping[value]
    if isinstance(value, str):
        for a, b in strings:
            value = value.replace(a, b)
    return value


def _request_body(raw: str | None, ids: IdMap) -> bytes | None:
    if raw is None or raw == "":
        return None
    try:
        body = json.loads(raw)
    except ValueError:
        return raw.encode("utf-8")
    body = _translate(body, ids.to_fake, ids.strings(ids.to_fake))
    return json.dumps(body).encode("utf-8")


def _request_uri(uri: str, ids: IdMap) -> str:
    for recorded, fake in ids.strings(ids.to_fake):
        uri = uri.replace(recorded, fake)
        uri = uri.replace(quote(recorded, safe=""), quote(fake, safe=""))
    return uri


def _diff(recorded: Any, fake: Any, path: str = "$") -> Iterator[str]:
    if isinstance(recorded, dict) and isinstance(fake, dict):
        for k in sorted(recorded.keys() | fake.keys()):
            if k not in fake:
                yield f"{path}.{k}: missing in the fake (Google: {json.dumps(recorded[k])[:200]})"
            elif k not in recorded:
                yield f"{path}.{k}: extra in the fake ({json.dumps(fake[k])[:200]})"
            else:
                yield from _diff(recorded[k], fake[k], f"{path}.{k}")
    elif isinstance(recorded, list) and isinstance(fake, list):
        if len(recorded) != len(fake):
            yield (f"{path}: Google has {len(recorded)} items, the fake {len(fake)}: "
                   f"{json.dumps(recorded)[:300]} vs {json.dumps(fake)[:300]}")
        for i, (a, b) in enumerate(zip(recorded, fake, strict=False)):
            yield from _diff(a, b, f"{path}[{i}]")
    elif recorded != fake or type(recorded) is not type(fake) and not (
        isinstance(recorded, (int, float)) and isinstance(fake, (int, float))
        and not isinstance(recorded, bool) and not isinstance(fake, bool)
    ):
        yield f"{path}: Google {json.dumps(recorded)[:200]}, fake {json.dumps(fake)[:200]}"


def replay(name: str) -> list[str]:
    """Replay one recording; return the mismatches (empty when the fake agrees with Google)."""
    data = json.loads((RECORDINGS / f"{name}.json").read_text(encoding="utf-8"))
    fake = FakeSheets(service_account_email=RECORDED_ACCOUNT)
    session = fake.session()
    ids = IdMap()
    for recorded_key in PRIVATE.get(name, []):
        ids.learn(recorded_key, fake.create_spreadsheet("Private", shared=False))
    problems: list[str] = []
    for n, interaction in enumerate(data["interactions"]):
        req = interaction["request"]
        rec = interaction["response"]
        where = f"#{n} {req['method']} {unquote(req['uri'])[:140]}"
        headers = {"Content-Type": "application/json"} if req.get("body") else {}
        resp = session.request(
            req["method"], _request_uri(req["uri"], ids), data=_request_body(req["body"], ids),
            headers=headers,
        )
        if resp.status_code != rec["status"]["code"]:
            problems.append(
                f"{where}: status {resp.status_code}, Google {rec['status']['code']} "
                f"({resp.text[:300]})"
            )
            continue
        text = rec["body"]["string"]
        if not text:
            if resp.content:
                problems.append(f"{where}: Google sent no body, the fake sent {resp.text[:200]}")
            continue
        try:
            expected = json.loads(text)
        except ValueError:
            if resp.text != text:
                problems.append(f"{where}: body {resp.text[:200]!r}, Google {text[:200]!r}")
            continue
        actual = resp.json()
        found: list[str] = []
        _walk_ids(expected, actual, ids, found)
        problems.extend(f"{where}: {p}" for p in found)
        actual = _translate(actual, ids.to_recorded, ids.strings(ids.to_recorded))
        expected = _translate(expected, {}, [])
        problems.extend(f"{where}: {d}" for d in _diff(expected, actual))
    return problems


def all_recordings() -> list[str]:
    """Every recording file name (without .json)."""
    return sorted(p.stem for p in RECORDINGS.glob("*.json"))


requires_recordings = pytest.mark.skipif(
    not RECORDINGS.is_dir(), reason=f"recordings not found at {RECORDINGS}"
)


@requires_recordings
@pytest.mark.parametrize("name", SUPPORTED)
def test_fake_matches_recording(name: str) -> None:
    problems = replay(name)
    assert not problems, "\n".join(problems[:20])


@requires_recordings
def test_supported_recordings_exist() -> None:
    missing = [n for n in SUPPORTED if not (RECORDINGS / f"{n}.json").is_file()]
    assert not missing


def test_replay_detects_a_wrong_reply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The harness itself must be able to fail: a recording whose reply we alter must not match.
    source = RECORDINGS / "WorksheetTest.test_update_cell.json"
    if not source.is_file():
        pytest.skip("recordings not available")
    data = json.loads(source.read_text(encoding="utf-8"))
    for interaction in data["interactions"]:
        body = interaction["response"]["body"]["string"]
        if '"42.01"' in body:
            interaction["response"]["body"]["string"] = body.replace('"42.01"', '"42.010"')
    (tmp_path / "Altered.json").write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "RECORDINGS", tmp_path)
    problems = replay("Altered")
    assert any("42.010" in p for p in problems)


if __name__ == "__main__":
    names = sys.argv[1:] or all_recordings()
    passed = 0
    for name in names:
        problems = replay(name)
        mark = "ok  " if not problems else "FAIL"
        if not problems:
            passed += 1
        print(f"{mark} {name}" + ("" if not problems else f"  ({len(problems)})"))
        for p in problems[:6 if len(names) == 1 else 2]:
            print("      " + p[:400])
    print(f"{passed}/{len(names)} recordings match")
