"""An upload's multipart body, parsed as it arrives (python-multipart's
streaming parser) and written once, straight into the upload folder: never
spooled to the system's temporary folder, never held in memory."""

from __future__ import annotations

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from python_multipart.multipart import MultipartParser, parse_options_header

from eioku.config import Settings
from eioku.domain.errors import UploadTooLargeError, ValidationFailedError
from eioku.services.ingest import StoredUpload, UploadWriter

MULTIPART_SLACK = 64 * 1024  # multipart headers and boundaries around the file
FIELD = "file"


class _Parts:
    """python-multipart's callbacks: the `file` part's bytes go to a buffer
    the route flushes to the writer after each chunk of the body."""

    def __init__(self) -> None:
        self.header_name = b""
        self.header_value = b""
        self.disposition: dict[bytes, bytes] = {}
        self.in_file = False
        self.filename: str | None = None
        self.pending: list[bytes] = []
        self.files = 0

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._begin, "on_header_field": self._field,
            "on_header_value": self._value, "on_header_end": self._header_end,
            "on_headers_finished": self._headers_done, "on_part_data": self._data,
            "on_part_end": self._end,
        }

    def _begin(self) -> None:
        self.disposition = {}
        self.header_name = self.header_value = b""

    def _field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def _value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def _header_end(self) -> None:
        if self.header_name.lower() == b"content-disposition":
            self.disposition = parse_options_header(self.header_value)[1]
        self.header_name = self.header_value = b""

    def _headers_done(self) -> None:
        is_file = self.disposition.get(b"name") == FIELD.encode() and b"filename" in self.disposition
        if is_file:
            self.files += 1
            if self.files > 1:
                raise ValidationFailedError("send one file per upload", field=FIELD)
            self.filename = self.disposition[b"filename"].decode("utf-8", "replace")
        self.in_file = is_file

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self.in_file:
            self.pending.append(bytes(data[start:end]))

    def _end(self) -> None:
        self.in_file = False


def _boundary(request: Request) -> bytes:
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise ValidationFailedError("send the video as the multipart/form-data field 'file'",
                                    field=FIELD)
    return boundary


async def receive_upload(request: Request, settings: Settings) -> StoredUpload:
    """The upload stored under the data dir; 413 past EIOKU_UPLOAD_MAX_BYTES (from
    Content-Length before the body, or as it arrives), 415 if it is not media,
    507 if the disk is full; nothing is left behind when refused."""
    limit = settings.upload_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + MULTIPART_SLACK:
        raise UploadTooLargeError(f"upload is larger than {limit} bytes (EIOKU_UPLOAD_MAX_BYTES)")
    parts = _Parts()
    parser = MultipartParser(_boundary(request), parts.callbacks())  # type: ignore[arg-type]
    writer: UploadWriter | None = None
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit + MULTIPART_SLACK:
                raise UploadTooLargeError(f"upload is larger than {limit} bytes "
                                          "(EIOKU_UPLOAD_MAX_BYTES)")
            parser.write(chunk)
            if parts.pending:
                if writer is None:
                    writer = await run_in_threadpool(UploadWriter, parts.filename or "", settings)
                data, parts.pending = b"".join(parts.pending), []
                await run_in_threadpool(writer.write, data)
        parser.finalize()
        if writer is None:
            if parts.files:  # a file part with no bytes
                raise ValidationFailedError(f"{parts.filename or 'the upload'} is empty", field=FIELD)
            raise ValidationFailedError("send the video as the multipart field 'file'", field=FIELD)
        return await run_in_threadpool(writer.finish)
    except BaseException:
        if writer is not None:
            await run_in_threadpool(writer.abort)
        raise
