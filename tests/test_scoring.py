"""Lead scoring: points from the Scoring table, the MQL flag, unknown labels (hand-worked)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sheetcrm.scoring import ScoringTable, is_mql, read_table, score, split_signals
from sheetcrm.template import load_template

TABLE = ScoringTable.of(load_template().tab("lists").scoring)


def test_the_seeded_points_are_the_frameworks() -> None:
    assert dict(TABLE.points) == {
        "right industry": 10, "right company size": 10, "decision-maker": 15,
        "in our area": 5, "viewed prices": 20, "downloaded guide": 10,
        "attended webinar": 15, "opened 3+ emails": 10, "asked for quote": 25,
        "whatsapp question": 15, "asked for price list": 20,
    }


def test_points_add_up_matching_any_case_and_spacing() -> None:
    # 25 + 20 + 15 = 60
    assert score(" asked FOR quote,Viewed  prices , Decision-maker", TABLE).score == 60


def test_a_label_twice_counts_once() -> None:
    # Viewed prices 20 once, WhatsApp question 15: 35
    assert score("Viewed prices, viewed prices, WhatsApp question", TABLE).score == 35


def test_blank_signals_score_none_and_no_mql() -> None:
    assert score(None, TABLE).score is None
    assert score("  ,  ", TABLE).score is None
    assert is_mql(None, 50) is None


def test_an_unknown_label_is_named_and_adds_nothing() -> None:
    result = score("In our area, Liked a post", TABLE)
    assert result.score == 5
    assert result.unknown == ("Liked a post",)


def test_only_unknown_labels_score_zero() -> None:
    assert score("Liked a post", TABLE).score == 0


def test_mql_at_and_around_the_threshold() -> None:
    assert is_mql(50, 50) is True
    assert is_mql(49, 50) is False
    assert is_mql(0, 0) is True


def test_the_table_is_read_by_header_and_bad_points_are_left_out() -> None:
    grid = [["Sources", None, None, None, "signal", "POINTS"],
            ["WhatsApp", None, None, None, "Viewed prices", 30],
            [None, None, None, None, "Asked for quote", "lots"],
            [None, None, None, None, "Visited shop", "12"]]
    table = read_table(grid, "Signal", "Points", [])
    assert table is not None
    assert dict(table.points) == {"viewed prices": 30, "visited shop": 12}
    assert read_table([["Sources"]], "Signal", "Points", []) is None


def test_split_signals() -> None:
    assert split_signals("a, b,,c ") == ["a", "b", "c"]


@given(st.one_of(st.none(), st.text(), st.integers(), st.floats(), st.booleans()))
def test_any_signals_cell_scores_without_raising(raw: object) -> None:
    result = score(raw, TABLE)  # type: ignore[arg-type]
    assert result.score is None or result.score >= 0


def test_a_long_or_crowded_signals_cell_is_named_briefly_in_problems() -> None:
    from sheetcrm.scoring import unknown_problem

    # 45 characters: 39 kept and an ellipsis; seven labels: five named, "and 2 more".
    assert unknown_problem(["x" * 45]) == (
        "Signals: '" + "x" * 39 + "\u2026' is not a signal in the Scoring table on the Lists "
        "tab: pick from the list or add it to the table with its points")
    many = unknown_problem([f"s{i}" for i in range(7)])
    assert many.startswith("Signals: 's0', 's1', 's2', 's3', 's4' and 2 more are not signals")
