import numpy as np
import pytest
from PIL import Image

from actgrid import images


def _save(tmp_path, img, name, **kw):
    path = tmp_path / name
    img.save(path, **kw)
    return path


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P", "CMYK", "LA"])
def test_modes_become_rgb(tmp_path, mode):
    img = Image.new("RGB", (20, 10), (200, 40, 10)).convert(mode)
    ext = "jpg" if mode == "CMYK" else "png"
    rgb = images.load_rgb(_save(tmp_path, img, f"x.{ext}"))
    assert rgb.shape == (10, 20, 3) and rgb.dtype == np.uint8


def test_16_bit_is_scaled(tmp_path):
    arr = np.full((8, 8), 65535, np.uint16)
    arr[0, 0] = 0
    rgb = images.load_rgb(_save(tmp_path, Image.fromarray(arr), "deep.png"))
    assert rgb[1, 1].tolist() == [255, 255, 255] and rgb[0, 0].tolist() == [0, 0, 0]


def test_transparent_pixels_become_white(tmp_path):
    img = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    assert images.load_rgb(_save(tmp_path, img, "a.png"))[0, 0].tolist() == [255, 255, 255]


def test_exif_orientation_is_honoured(tmp_path):
    img = Image.new("RGB", (30, 10), (0, 0, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    rgb = images.load_rgb(_save(tmp_path, img, "o.jpg", exif=exif))
    assert rgb.shape == (30, 10, 3)


def test_not_an_image(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("hello")
    with pytest.raises(images.ImageError, match="notes.jpg: not a readable image"):
        images.load_rgb(path)


@pytest.mark.parametrize(
    "mode,shape", [("stretch", (16, 16, 3)), ("crop", (16, 16, 3)), ("none", (10, 30, 3))]
)
def test_fit_to_model(mode, shape):
    rgb = np.zeros((10, 30, 3), np.uint8)
    assert images.fit_to_model(rgb, 16, mode).shape == shape


def test_too_small():
    with pytest.raises(images.ImageError, match="1×1 pixels"):
        images.fit_to_model(np.zeros((1, 1, 3), np.uint8), 16, "stretch", "tiny.png")
