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
    "mode,shape", [("stretch", (64, 64, 3)), ("crop", (64, 64, 3)), ("none", (40, 90, 3))]
)
def test_fit_to_model(mode, shape):
    rgb = np.zeros((40, 90, 3), np.uint8)
    assert images.fit_to_model(rgb, 64, mode).shape == shape


def test_too_small():
    with pytest.raises(images.ImageError, match="tiny.png: image is 1×1 pixels"):
        images.fit_to_model(np.zeros((1, 1, 3), np.uint8), 16, "stretch", "tiny.png")


def _chelsea_bytes(fmt: str) -> bytes:
    import io

    buffer = io.BytesIO()
    Image.open("data/default/chelsea.png").convert("RGB").save(buffer, fmt)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt,suffix", [("PNG", "png"), ("JPEG", "jpg")])
def test_truncated_file(tmp_path, fmt, suffix):
    data = _chelsea_bytes(fmt)
    path = tmp_path / f"cut.{suffix}"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(
        images.ImageError, match=rf"cut.{suffix}: not a readable image \(.*truncated"
    ):
        images.load_rgb(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(images.ImageError, match=r"empty.png: empty file \(0 bytes\)"):
        images.load_rgb(path)


@pytest.mark.parametrize("side", [1, 20])
def test_smaller_than_the_model_needs(tmp_path, side):
    path = _save(tmp_path, Image.new("RGB", (side, 40)), "small.png")
    rgb = images.load_rgb(path)
    with pytest.raises(images.ImageError, match=f"small.png: image is {side}×40 pixels; .* 32 px"):
        images.fit_to_model(rgb, 224, "stretch", path)


def test_decompression_bomb_guard_names_the_limit(tmp_path):
    path = _save(tmp_path, Image.new("RGB", (300, 200)), "huge.png")
    with pytest.raises(
        images.ImageError,
        match=r"huge.png: Image size \(60000 pixels\) exceeds limit of 50000 pixels.*"
        "raise max_image_pixels in the config",
    ):
        images.load_rgb(path, max_pixels=50_000)
    assert images.load_rgb(path, max_pixels=60_000).shape == (200, 300, 3)
    assert images.MAX_PIXELS == Image.MAX_IMAGE_PIXELS == 89_478_485  # the guard is left on


@pytest.mark.parametrize("name", ["my cat.png", "café ☕.png", "猫.jpg"])
def test_names_with_spaces_and_non_ascii(tmp_path, name):
    path = _save(tmp_path, Image.new("RGB", (40, 40), (9, 9, 9)), name)
    assert images.load_rgb(path)[0, 0].tolist() == [9, 9, 9]
