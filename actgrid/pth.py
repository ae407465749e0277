"""Read legacy (non-zip) PyTorch ``.pth`` state dicts into numpy, without torch.

The legacy format is a sequence of pickles: a magic number, a protocol version, system info,
the state dict itself (tensors refer to storages by persistent id), the list of storage keys,
then each storage's raw bytes prefixed by its element count. Only the handful of globals needed
to rebuild tensors are allowed; anything else is refused before it can run.
"""

from __future__ import annotations

import collections
import pickle
from pathlib import Path

import numpy as np

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class PthError(ValueError):
    """A ``.pth`` file that cannot be read safely."""


class _Storage:
    def __init__(self, dtype, numel):
        self.dtype = dtype
        self.numel = numel
        self.array = None


class _TensorStub:
    """A tensor waiting for its storage bytes, which follow the pickle."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset = storage, offset
        self.size, self.stride = tuple(size), tuple(stride)

    def to_numpy(self):
        base = self.storage.array
        if not self.size:
            return base[self.offset].copy()
        item = base.itemsize
        view = np.lib.stride_tricks.as_strided(
            base[self.offset :],
            shape=self.size,
            strides=[s * item for s in self.stride],
        )
        return np.ascontiguousarray(view)


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, hooks=None, *_):
    return _TensorStub(storage, offset, size, stride)


class _StorageType:
    def __init__(self, name):
        self.name = name


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file, path):
        super().__init__(file)
        self.path = path
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(name)
        raise PthError(f"{self.path}: refusing to load global {module}.{name} (not a tensor)")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise PthError(f"{self.path}: unexpected persistent id {pid!r}")
        _, storage_type, key, _location, numel = pid[:5]
        if not isinstance(storage_type, _StorageType):
            raise PthError(f"{self.path}: storage {key} has no known dtype")
        if key not in self.storages:
            self.storages[key] = _Storage(STORAGE_DTYPES[storage_type.name], int(numel))
        return self.storages[key]


class _HeaderUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        raise PthError(f"header of a .pth file may not reference {module}.{name}")


def load_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """Return the tensors of a legacy-format ``.pth`` state dict as numpy arrays."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            if f.read(2) == b"PK":
                raise PthError(f"{path}: zip-format .pth files are not supported")
            f.seek(0)
            if _HeaderUnpickler(f).load() != LEGACY_MAGIC:
                raise PthError(f"{path}: not a legacy PyTorch file (bad magic number)")
            _HeaderUnpickler(f).load()  # protocol version
            sys_info = _HeaderUnpickler(f).load()
            if not sys_info.get("little_endian", True):
                raise PthError(f"{path}: big-endian files are not supported")
            unpickler = _RestrictedUnpickler(f, path)
            state = unpickler.load()
            keys = _HeaderUnpickler(f).load()
            for key in keys:
                storage = unpickler.storages[key]
                (numel,) = np.frombuffer(f.read(8), dtype="<i8")
                nbytes = int(numel) * np.dtype(storage.dtype).itemsize
                raw = f.read(nbytes)
                if len(raw) != nbytes:
                    raise PthError(f"{path}: truncated (storage {key} is short)")
                storage.array = np.frombuffer(raw, dtype=storage.dtype)
    except PthError:
        raise
    except (pickle.UnpicklingError, EOFError, KeyError, ValueError, AttributeError) as e:
        raise PthError(f"{path}: corrupt or truncated .pth file ({e})") from e
    if not isinstance(state, collections.OrderedDict | dict):
        raise PthError(f"{path}: does not hold a state dict")
    return {name: t.to_numpy() for name, t in state.items()}
