import pytest

from actgrid.datasets import DatasetError, list_images


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def test_folder_glob_and_sheet(tmp_path):
    _touch(tmp_path / "d/a.png")
    _touch(tmp_path / "d/b.JPG")
    _touch(tmp_path / "d/readme.txt")
    assert set(list_images("x", {"images": "d"}, tmp_path)) == {"a", "b"}
    assert set(list_images("x", {"images": "d/*.png"}, tmp_path)) == {"a"}
    (tmp_path / "s.tsv").write_text("name\tpath\ncat\td/a.png\n")
    assert list_images("x", {"images": "s.tsv"}, tmp_path) == {"cat": str(tmp_path / "d/a.png")}
    assert list_images("x", {"images": "d/b.JPG"}, tmp_path) == {"b": str(tmp_path / "d/b.JPG")}


def test_errors(tmp_path):
    with pytest.raises(DatasetError, match="is not a folder, glob, sample sheet or image file"):
        list_images("x", {"images": "missing"}, tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no images found"):
        list_images("x", {"images": "empty"}, tmp_path)
    _touch(tmp_path / "d/a.png")
    _touch(tmp_path / "d/sub/a.png")
    with pytest.raises(DatasetError, match="two images are named 'a'"):
        list_images("x", {"images": "d/**/*.png"}, tmp_path)
