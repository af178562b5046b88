"""Binary record format shared with tests/core/pyref.cc (little-endian):
u32 count, then per record: u32 nstr, (u32 len, bytes)*; u32 nint, i64*; u32 narr, (u64 n, f64*n)*."""
import struct
import numpy as np


def write(path, records):
    with open(path, "wb") as f:
        f.write(struct.pack("<I", len(records)))
        for strs, ints, arrays in records:
            f.write(struct.pack("<I", len(strs)))
            for s in strs:
                b = s.encode()
                f.write(struct.pack("<I", len(b)) + b)
            f.write(struct.pack("<I", len(ints)))
            for v in ints:
                f.write(struct.pack("<q", int(v)))
            f.write(struct.pack("<I", len(arrays)))
            for a in arrays:
                a = np.ascontiguousarray(a, dtype="<f8").ravel()
                f.write(struct.pack("<Q", a.size))
                f.write(a.tobytes())


def read(path):
    recs = []
    with open(path, "rb") as f:
        (n,) = struct.unpack("<I", f.read(4))
        for _ in range(n):
            (ns,) = struct.unpack("<I", f.read(4))
            strs = []
            for _ in range(ns):
                (ln,) = struct.unpack("<I", f.read(4))
                strs.append(f.read(ln).decode())
            (ni,) = struct.unpack("<I", f.read(4))
            ints = list(struct.unpack("<%dq" % ni, f.read(8 * ni)))
            (na,) = struct.unpack("<I", f.read(4))
            arrays = []
            for _ in range(na):
                (ln,) = struct.unpack("<Q", f.read(8))
                arrays.append(np.frombuffer(f.read(8 * ln), dtype="<f8"))
            recs.append((strs, ints, arrays))
    return recs
