"""Response compression: ClickHouse's own compressed blocks (`compress=1`) and HTTP encodings.

A compressed block is a 16-byte CityHash128 checksum (version 1.0.2, as ClickHouse uses it),
then the method byte (0x82 for LZ4), the compressed size including the 9-byte header, the
uncompressed size, and the LZ4 block. JDBC and the native clients verify the checksum.
"""

from __future__ import annotations

import gzip
import io
import struct
import zlib
from collections.abc import Callable

import lz4.block  # type: ignore[import-untyped]
import lz4.frame  # type: ignore[import-untyped]
from clickhouse_cityhash.cityhash import CityHash128  # type: ignore[import-untyped]

LZ4_METHOD = 0x82
BLOCK_SIZE = 1 << 20  # ClickHouse's max_compress_block_size
_MASK = (1 << 64) - 1


def compress_blocks(data: bytes, block_size: int = BLOCK_SIZE) -> bytes:
    """`data` as ClickHouse compressed LZ4 blocks with checksums."""
    out = bytearray()
    for start in range(0, len(data), block_size) if data else ():
        chunk = data[start : start + block_size]
        packed = lz4.block.compress(chunk, store_size=False)
        header = struct.pack("<BII", LZ4_METHOD, 9 + len(packed), len(chunk))
        checksum = CityHash128(header + packed)
        out += struct.pack("<QQ", checksum >> 64, checksum & _MASK) + header + packed
    return bytes(out)


class DecompressError(ValueError):
    """A request body that does not decompress (or decompresses past the limit)."""


def decompress_blocks(data: bytes, limit: int) -> bytes:
    """ClickHouse compressed blocks (`decompress=1` requests) back to bytes, checksums checked."""
    out = bytearray()
    view = memoryview(data)
    while view:
        if len(view) < 25:
            raise DecompressError("a truncated compressed block")
        method, size, plain = struct.unpack_from("<BII", view, 16)
        block = bytes(view[16 : 16 + size])
        expected = CityHash128(block)
        if view[:16] != struct.pack("<QQ", expected >> 64, expected & _MASK):
            raise DecompressError("a compressed block's checksum does not match")
        if method != LZ4_METHOD or len(block) != size or len(out) + plain > limit:
            raise DecompressError("an unsupported, truncated or oversized compressed block")
        out += lz4.block.decompress(block[9:], uncompressed_size=plain)
        view = view[16 + size :]
    return bytes(out)


def decompress_body(encoding: str, data: bytes, limit: int) -> bytes:
    """A request body sent with `Content-Encoding` (none, gzip, deflate, zstd or lz4)."""
    encoding = encoding.strip().lower()
    try:
        if encoding in ("", "identity"):
            return data
        if encoding in ("gzip", "deflate"):
            inflater = zlib.decompressobj(wbits=47 if encoding == "gzip" else 15)
            out = inflater.decompress(data, limit + 1)
        elif encoding == "zstd":
            import zstandard

            # streamed, so a frame that declares (or holds) a huge size never takes more
            try:
                out = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)).read(limit + 1)
            except zstandard.ZstdError as exc:
                raise ValueError(exc) from None
        elif encoding == "lz4":
            out = lz4.frame.LZ4FrameDecompressor().decompress(data, max_length=limit + 1)
        else:
            raise DecompressError(f"unsupported Content-Encoding {encoding[:40]!r}")
    except (zlib.error, RuntimeError, ValueError) as exc:
        raise DecompressError(f"cannot decompress the request: {exc}") from None

    if len(out) > limit:
        raise DecompressError(f"the request decompresses to more than {limit} bytes")
    return bytes(out)


def _zstd(data: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdCompressor().compress(data)


#: HTTP Content-Encoding name -> compressor, in the order the gateway prefers them.
ENCODINGS: dict[str, Callable[[bytes], bytes]] = {
    "zstd": _zstd,
    "lz4": lz4.frame.compress,
    "gzip": gzip.compress,
    "deflate": zlib.compress,
}


def choose_encoding(accept_encoding: str) -> str | None:
    """The first encoding the gateway offers that `Accept-Encoding` allows, or None."""
    offered = set()
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        if params.strip().replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            continue
        offered.add(name.strip().lower())
    return next((name for name in ENCODINGS if name in offered), None)
