import pickle

import numpy as np
import pytest

from actgrid.pth import LEGACY_MAGIC, PthError, load_state_dict


def test_reads_all_tensors_of_the_embedded_weights(model):
    sd = load_state_dict(model.weights_file)
    assert len(sd) == 296
    assert sd["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert sd["_fc.weight"].shape == (1000, 1280)
    assert sd["_fc.weight"].dtype == np.float32
    assert np.isfinite(sd["_blocks.15._project_conv.weight"]).all()


class Boom:
    def __reduce__(self):
        return (print, ("pwned",))


def _legacy(payload: bytes) -> bytes:
    head = b"".join(
        pickle.dumps(x, protocol=2) for x in (LEGACY_MAGIC, 1001, {"little_endian": True})
    )
    return head + payload


def test_refuses_a_pickle_that_calls_outside_the_allow_list(tmp_path, capsys):
    bad = tmp_path / "evil.pth"
    bad.write_bytes(_legacy(pickle.dumps({"w": Boom()}, protocol=2)))
    with pytest.raises(PthError, match=r"refusing to load global \w+\.print"):
        load_state_dict(bad)
    assert "pwned" not in capsys.readouterr().out


def test_truncated_file_is_a_clear_error(tmp_path, model):
    data = model.weights_file.read_bytes()
    cut = tmp_path / "cut.pth"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(PthError, match="cut.pth: .*truncated"):
        load_state_dict(cut)


def test_not_a_pth_file(tmp_path):
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"hello world")
    with pytest.raises(PthError, match="junk.pth"):
        load_state_dict(junk)
