"""A response parsed from raw bytes, however they are split: framing, keep-alive, the end of
input, and bytes that do not belong to it."""

from __future__ import annotations

import httptools
import pytest

from mapekd.llm.providers.http_response import ParsedResponse

CHUNKED = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\none\r\n3\r\ntwo\r\n0\r\n\r\n"


def parsed(*pieces: bytes) -> ParsedResponse:
    response = ParsedResponse()
    for piece in pieces:
        response.feed(piece)
    return response


def body(response: ParsedResponse) -> bytes:
    pieces = []
    while (piece := response.take()) is not None:
        pieces.append(piece)
    return b"".join(pieces)


def test_a_response_split_anywhere_parses_the_same() -> None:
    for cut in range(1, len(CHUNKED)):
        response = parsed(CHUNKED[:cut], CHUNKED[cut:])
        assert (response.status, response.reason, response.complete) == (200, b"OK", True)
        assert body(response) == b"onetwo"
        assert response.keep_alive
        assert response.buffered == 0


def test_connection_close_means_no_keep_alive() -> None:
    response = parsed(b"HTTP/1.1 503 Busy\r\nconnection: close\r\ncontent-length: 2\r\n\r\nno")
    assert (response.status, response.complete, response.keep_alive) == (503, True, False)
    assert response.headers == [(b"connection", b"close"), (b"content-length", b"2")]


def test_a_body_without_length_ends_with_the_connection() -> None:
    response = parsed(b"HTTP/1.1 200 OK\r\n\r\nall of it")
    assert not response.complete
    assert response.end_of_input()
    assert (body(response), response.keep_alive) == (b"all of it", False)


def test_the_end_of_input_before_the_declared_length_is_a_cut() -> None:
    response = parsed(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort")
    assert not response.end_of_input()
    assert not parsed(b"HTTP/1.1 200").end_of_input()


def test_a_second_response_to_one_request_is_refused() -> None:
    once = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"
    with pytest.raises(httptools.HttpParserError):
        parsed(once + once)


def test_a_head_answer_is_complete_without_its_declared_body() -> None:
    response = parsed(b"HTTP/1.1 200 OK\r\ncontent-length: 42\r\n\r\n")
    response.without_body()
    assert (response.complete, response.keep_alive, body(response)) == (True, False, b"")
