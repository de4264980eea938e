"""The shipped model stops at once on word boxes with no writing in them (`python -m training.measure --n 0
--blanks 500`). The target is 99% of 500; r5, the first model trained on blank boxes, stopped on 62% of them
(79% of this small sample; r4 on none), r7 on 51% (71% here), so this guards what is reached, not the target.
The whole engine writes no stroke on 94% of this sample (88% before a model that wrote off the ink after
hesitating at its first decision was taken to see no word, 85% before grain was judged against the box's
height too, 83% before the paper's noise was dropped where the model sees no word, 73% before the ink cut by
the box's edge was also left out where the model got stuck writing off the ink, 52% before it was left out
where the model stops at once)."""

import numpy as np
import pytest

from inference.model.models import models_available
from inference.resources import models_dir
from training.measure import blank_stops

pytestmark = pytest.mark.skipif(not models_available(), reason="no model in resources/models")


def _words(n: int) -> list[list[np.ndarray]]:
    """Word-shaped stroke sets (the blank crop keeps their box, rulings and neighbours, not their ink)."""
    rng = np.random.default_rng(3)
    out = []
    for _ in range(n):
        x = np.cumsum(rng.uniform(4, 12, 40))
        y = 30 + 12 * np.sin(x / rng.uniform(4, 9)) + rng.normal(0, 1, 40)
        out.append([np.c_[x, y], np.c_[x[:8] + 5, y[:8] - 25]])
    return out


def test_the_model_writes_eos_at_once_on_blank_word_boxes():
    res = blank_stops(models_dir(), _words(48), seed=1, threads=1)
    assert res["n"] == 48
    assert res["eos_within_3"] >= 0.6, res
    assert res["first_eos_p_at_least_unsure"] >= 0.8, res
    assert res["engine_writes_nothing"] >= 0.9, res
