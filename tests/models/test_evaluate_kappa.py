"""Cohen's kappa in the one scorer."""

from __future__ import annotations

import pytest

from models.evaluate import cohen_kappa, label_kappa
from models.schema import Example


def test_cohen_kappa_known_values():
    assert cohen_kappa([True, False, True, False], [True, False, True, False]) == 1.0
    assert cohen_kappa([True, False, True, False], [False, True, False, True]) == -1.0
    # p_o = 0.75, p_e = 0.5·0.75 + 0.5·0.25 = 0.5
    assert cohen_kappa([True, True, False, False], [True, True, True, False]) == pytest.approx(0.5)


def test_cohen_kappa_undefined_is_none():
    assert cohen_kappa([], []) is None
    assert cohen_kappa([True, True], [True, True]) is None
    with pytest.raises(ValueError):
        cohen_kappa([True], [True, False])


def test_label_kappa_pairs_by_id():
    a = [Example(id="1", text="x", labels=["talent"]), Example(id="2", text="y")]
    b = [Example(id="2", text="y"), Example(id="1", text="x", labels=["talent"])]
    kappa = label_kappa(a, b)
    assert kappa["talent"] == 1.0 and kappa["funding"] is None
