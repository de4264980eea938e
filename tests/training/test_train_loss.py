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


def _blank_and_word_batch():
    """A batch of a blank box (prefix, EOS) and a one-point word with the text "ab"; and the word's prefix."""
    import numpy as np

    from training.data import Sample
    from training.train import collate

    img = np.zeros((1, SPEC.height, SPEC.width), np.float32)
    blank = Sample(img, np.array(SPEC.text_prefix(None) + [SPEC.eos]), 2)
    pre = SPEC.text_prefix("ab")
    word = Sample(img, np.array(pre + [SPEC.stroke, 10, SPEC.width + 5, SPEC.eos]), len(pre))
    return collate([blank, word], SPEC.pad), pre


def test_the_first_decision_is_scored_once_per_sample_where_the_input_is_sep():
    from training.train import first_token_loss

    bt, _ = _blank_and_word_batch()
    rows = torch.arange(2)
    assert bt["inp"][rows, bt["first"]].tolist() == [SPEC.sep, SPEC.sep]
    assert bt["tgt"][rows, bt["first"]].tolist() == [SPEC.eos, SPEC.stroke]
    logits = torch.zeros(2, bt["tgt"].shape[1], SPEC.vocab_size)
    logits[:, :, SPEC.eos] = 20.0  # stops everywhere: right for the blank box, wrong for the word
    per = float(first_token_loss(logits, bt["tgt"], bt["first"]))
    assert per == pytest.approx(0.5 * 20.0, rel=0.01)  # the word's miss, averaged over two samples


def test_a_smaller_decoder_takes_the_chosen_layers_of_its_init():
    from training.model import Derender, ModelConfig
    from training.train import select_decoder_layers

    big = Derender(ModelConfig(d=32, heads=2, layers=4, ff=64, max_len=32))
    small = Derender(ModelConfig(d=32, heads=2, layers=2, ff=64, max_len=32))
    small.load_state_dict(select_decoder_layers(big.state_dict(), [0, 3]))  # strict: every key, every shape
    for i, j in ((0, 0), (1, 3)):
        assert torch.equal(small.layers[i].qkv.weight, big.layers[j].qkv.weight)
    assert torch.equal(small.encoder.layers[0].qkv.weight, big.encoder.layers[0].qkv.weight)


def test_end_at_is_the_next_time_the_clock_reads_it():
    from training.train import end_timestamp

    day = 20_000 * 86400.0  # a UTC midnight
    assert end_timestamp("01:05", day + 1800) == day + 3900  # later today
    assert end_timestamp("01:05", day + 23 * 3600 + 40 * 60) == day + 86400 + 3900  # past midnight: tomorrow
    assert end_timestamp("23:00", day + 23 * 3600) == day + 86400 + 23 * 3600  # exactly now: tomorrow, not 0 s


def test_distillation_holds_word_rows_to_the_teacher_and_leaves_blank_boxes_to_their_target():
    from training.train import distill_loss

    bt, pre = _blank_and_word_batch()
    tgt = bt["tgt"]
    teacher = torch.randn(2, tgt.shape[1], SPEC.vocab_size)
    assert float(distill_loss(teacher.clone(), teacher, tgt)) == pytest.approx(0.0, abs=1e-5)
    # the blank box's row may differ from the teacher freely (its EOS is what the fine-tune teaches) ...
    student = teacher.clone()
    student[0] = torch.randn(tgt.shape[1], SPEC.vocab_size)
    assert float(distill_loss(student, teacher, tgt)) == pytest.approx(0.0, abs=1e-5)
    # ... and so may the word's given prefix and padding, but not a predicted token of the word
    student = teacher.clone()
    student[1, : len(pre) - 1] += 5 * torch.randn(len(pre) - 1, SPEC.vocab_size)
    assert float(distill_loss(student, teacher, tgt)) == pytest.approx(0.0, abs=1e-5)
    student[1, len(pre)] += 5 * torch.randn(SPEC.vocab_size)
    assert float(distill_loss(student, teacher, tgt)) > 0.1
    student.requires_grad_(True)
    distill_loss(student, teacher, tgt).backward()
    assert float(student.grad[0].abs().sum()) == 0.0 and float(student.grad[1].abs().sum()) > 0


def test_blank_boxes_are_spread_over_the_word_batches_not_batched_together():
    import numpy as np

    from training.data import Sample
    from training.train import is_blank, length_batches

    img = np.zeros((1, SPEC.height, SPEC.width), np.float32)
    pre = SPEC.text_prefix(None)
    blank = [Sample(img, np.array(pre + [SPEC.eos]), len(pre)) for _ in range(6)]
    words = [Sample(img, np.array(pre + [SPEC.stroke] + [10, SPEC.width + 5] * k + [SPEC.eos]), len(pre))
             for k in range(1, 27)]
    batches = length_batches(words[::2] + blank + words[1::2], 8)
    assert sorted(len(b) for b in batches) == [8, 8, 8, 8]
    assert sum(len(b) for b in batches) == 32 and all(any(not is_blank(s) for s in b) for b in batches)
    assert sorted(sum(is_blank(s) for s in b) for b in batches) == [1, 1, 2, 2]
    # words stay bucketed by length: each batch's words are a run of the sorted lengths
    runs = sorted([len(s.tokens) for s in b if not is_blank(s)] for b in batches)
    flat = [n for r in runs for n in r]
    assert flat == sorted(flat)


def test_with_batchnorm_frozen_a_sample_is_read_the_same_whatever_its_batch_holds():
    from training.model import Derender, ModelConfig
    from training.train import train_mode

    torch.manual_seed(0)
    model = Derender(ModelConfig(d=32, heads=2, layers=1, ff=64, max_len=32, dropout=0.0))
    imgs = torch.rand(4, 1, 64, 256)
    imgs[1:] *= 0.1  # the rest of the batch unlike the first sample (a short word among blanks, say)
    inp = torch.zeros(4, 3, dtype=torch.long)
    with torch.no_grad():
        train_mode(model)
        alone, together = model(imgs[:2], inp[:2])[0], model(imgs, inp)[0]
        assert not torch.allclose(alone, together, atol=1e-4)  # batch statistics: the batch changes the reading
        train_mode(model, freeze_bn=True)
        alone, together = model(imgs[:2], inp[:2])[0], model(imgs, inp)[0]
        assert torch.allclose(alone, together, atol=1e-5)
        model.eval()
        assert torch.allclose(model(imgs[:1], inp[:1])[0], alone, atol=1e-5)  # as at run time
    assert model.training is False
    train_mode(model, freeze_bn=True)
    assert model.training and not any(m.training for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))


def test_a_frozen_encoder_serves_student_and_teacher_from_one_pass():
    import copy

    from training.model import Derender, ModelConfig
    from training.train import same_encoder, select_decoder_layers, train_mode

    torch.manual_seed(0)
    teacher = Derender(ModelConfig(d=32, heads=2, layers=4, ff=64, max_len=32, dropout=0.0)).eval()
    student = Derender(ModelConfig(d=32, heads=2, layers=2, ff=64, max_len=32, dropout=0.0))
    student.load_state_dict(select_decoder_layers(teacher.state_dict(), [0, 3]))
    assert same_encoder(student, teacher)
    img, inp = torch.rand(2, 1, 64, 256), torch.randint(0, 400, (2, 5))
    with torch.no_grad():
        features = teacher.encoder(img)
        assert torch.allclose(teacher.decode(features, inp), teacher(img, inp), atol=1e-5)
    train_mode(student, freeze_encoder=True)
    assert student.training and not student.encoder.training
    assert not any(m.training for m in student.encoder.modules())  # BatchNorm on its running statistics
    other = copy.deepcopy(student)
    with torch.no_grad():
        other.encoder.pos.add_(0.1)
    assert not same_encoder(other, teacher)
