"""The soft-target coordinate loss (training.train.coord_soft_loss)."""

import pytest

torch = pytest.importorskip("torch")

from inference.model.tokens import TokenSpec
from training.train import coord_soft_loss

SPEC = TokenSpec()


def _peaked(at: int) -> torch.Tensor:
    logits = torch.full((1, 1, SPEC.vocab_size), -30.0)
    logits[0, 0, at] = 10.0
    return logits


def test_a_near_miss_costs_less_than_a_far_one_and_other_tokens_cost_nothing():
    tgt = torch.tensor([[100]])  # an x token
    exact, near, far = (float(coord_soft_loss(_peaked(a), tgt, SPEC, 1.0)) for a in (100, 101, 200))
    assert exact < near < far
    # y tokens are scored among y tokens only: a y target at the axis edge has no x neighbours
    y_edge = SPEC.width  # the first y token
    assert float(coord_soft_loss(_peaked(y_edge), torch.tensor([[y_edge]]), SPEC, 1.0)) < near
    # STROKE, EOS and ignored positions do not count
    none = torch.tensor([[SPEC.stroke, -100]])
    assert float(coord_soft_loss(torch.zeros(1, 2, SPEC.vocab_size), none, SPEC, 1.0)) == 0.0
