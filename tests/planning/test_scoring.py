from __future__ import annotations

import random

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from planning.config import ScoreWeights, ScoringConfig
from planning.errors import EmptyInputError, InvalidParameterError
from planning.scoring import CandidateInputs, SubstationInputs, rank, score_candidates

CELLS_X = np.array([0.0, 1000.0, 20_000.0, 21_000.0])
CELLS_Y = np.zeros(4)
DEMAND = np.array([10.0, 10.0, 5.0, 0.0])


def _cands(
    x: list[float],
    power: list[float],
    land_use: list[str | None] | None = None,
    road: npt.ArrayLike | None = None,
) -> CandidateInputs:
    n = len(x)
    return CandidateInputs(
        x_m=np.asarray(x, float),
        y_m=np.zeros(n),
        power_kw=np.asarray(power, float),
        land_use=land_use or [None] * n,
        owner_type=[None] * n,
        parcel_area_m2=np.full(n, np.nan),
        road_distance_m=None if road is None else np.asarray(road, float),
    )


SUBS = SubstationInputs(
    np.array([0.0, 20_000.0]),
    np.array([0.0, 0.0]),
    np.array([500.0, 100.0]),
    names=("Chilonzor", "Yangiyo'l"),
)


def test_breakdown_and_grid_flag_with_reason() -> None:
    r = score_candidates(
        _cands([500.0, 20_500.0], [150.0, 150.0], road=[0.0, 2000.0]),
        CELLS_X,
        CELLS_Y,
        DEMAND,
        np.array([False, False, True, False]),
        SUBS,
        np.zeros(0),
        np.zeros(0),
        ScoringConfig(catchment_km=2),
    )
    assert r.catchment_kwh_day.tolist() == [20.0, 5.0]
    assert r.gain_kwh_day.tolist() == [20.0, 0.0]
    assert r.components["demand"].tolist() == [1.0, 0.25]
    assert r.grid_ok.tolist() == [True, False]
    assert r.reasons[1] == (
        "site needs 150 kW but substation Yangiyo'l (0.5 km) has 100 kW spare",
    )
    assert r.components["grid"][1] == pytest.approx(100 / 150)
    assert r.components["road"][1] == pytest.approx(np.exp(-1))
    assert "utilisation" in r.omitted and r.weights["utilisation"] == 0
    assert sum(r.weights.values()) == pytest.approx(1.0)
    assert r.score[0] > r.score[1]
    parts = sum(r.weights[k] * v[0] for k, v in r.components.items())
    assert r.score[0] == pytest.approx(parts)


def test_no_substation_in_range_is_flagged() -> None:
    r = score_candidates(
        _cands([50_000.0], [22.0]),
        CELLS_X,
        CELLS_Y,
        DEMAND,
        np.zeros(4, bool),
        SUBS,
        np.zeros(0),
        np.zeros(0),
        ScoringConfig(),
    )
    assert r.reasons[0] == ("no substation within 10 km",)
    assert r.components["grid"][0] == 0.0 and r.substation[0] == -1


def test_bad_input_is_named() -> None:
    with pytest.raises(EmptyInputError, match="no candidate"):
        score_candidates(
            _cands([], []),
            CELLS_X,
            CELLS_Y,
            DEMAND,
            np.zeros(4, bool),
            SUBS,
            np.zeros(0),
            np.zeros(0),
            ScoringConfig(),
        )
    with pytest.raises(InvalidParameterError, match="demand must be >= 0"):
        ScoreWeights(demand=-1)
    with pytest.raises(InvalidParameterError, match="at least one score weight"):
        ScoreWeights(0, 0, 0, 0, 0, 0, 0)


@given(
    st.randoms(use_true_random=False),
    st.lists(
        st.tuples(
            st.floats(-3e4, 3e4),
            st.sampled_from([22.0, 150.0, 350.0]),
            st.sampled_from([None, "commercial", "agricultural"]),
        ),
        min_size=1,
        max_size=12,
    ),
)
def test_scores_do_not_depend_on_row_order(
    rnd: random.Random, rows: list[tuple[float, float, str | None]]
) -> None:
    x = [r[0] for r in rows]
    p = [r[1] for r in rows]
    lu = [r[2] for r in rows]
    ex = np.array([0.0, 5000.0])
    ey = np.zeros(2)
    util = np.array([0.3, 0.9])
    cfg = ScoringConfig()
    base = score_candidates(
        _cands(x, p, lu, road=np.abs(x)),
        CELLS_X,
        CELLS_Y,
        DEMAND,
        np.zeros(4, bool),
        SUBS,
        ex,
        ey,
        cfg,
        util,
    )
    perm = list(range(len(rows)))
    rnd.shuffle(perm)
    shuffled = score_candidates(
        _cands(
            [x[i] for i in perm],
            [p[i] for i in perm],
            [lu[i] for i in perm],
            road=np.abs([x[i] for i in perm]),
        ),
        CELLS_X,
        CELLS_Y,
        DEMAND,
        np.zeros(4, bool),
        SUBS,
        ex,
        ey,
        cfg,
        util,
    )
    np.testing.assert_allclose(shuffled.score, base.score[perm], rtol=1e-12)
    assert rank(shuffled.score).tolist() == rank(base.score)[perm].tolist()
