"""Messaging rules that need no storage: conversation and message ids, the edit window, what a notification
says about a message, and which read receipt covers which message."""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from pitchey.core import clock
from pitchey.core.settings import settings

PREVIEW_CHARS = 140


def edit_window_seconds() -> int:
    return settings().message_edit_window_seconds


def conversation_id_for(user_a: str, user_b: str, pitch_id: str | None = None) -> str:
    """The one conversation of a pair (about a pitch, if given): the same id whoever writes first, so its
    creation is a conditional put on this key."""
    low, high = sorted((user_a, user_b))
    kind = f"pitch|{pitch_id}" if pitch_id else "direct"
    return hashlib.sha256(f"{kind}|{low}|{high}".encode()).hexdigest()[:32]


def message_id(conversation_id: str, seq: int) -> str:
    return f"{conversation_id}-{seq}"


def parse_message_id(value: str) -> tuple[str, int] | None:
    """(conversationId, seq) of an id `message_id` made; None for anything else."""
    conversation_id, _, seq = value.rpartition("-")
    if len(conversation_id) != 32 or not seq.isdigit() or len(seq) > 12 or seq.startswith("0"):
        return None
    return conversation_id, int(seq)


def edit_window_open(created_at: str, now: datetime | None = None) -> bool:
    sent = clock.from_iso(created_at)
    return (now or clock.now()) <= sent + timedelta(seconds=edit_window_seconds())


def edit_cutoff(now: datetime | None = None) -> str:
    """Messages created at or after this (microsecond ISO, comparable as a string) may still be edited."""
    return clock.iso_precise((now or clock.now()) - timedelta(seconds=edit_window_seconds()))


def preview(body: str) -> str:
    """What a notification or mail shows of a message: shortened, on one line, HTML-escaped (clients and
    mail readers that render it as HTML never run what a sender typed)."""
    line = " ".join(body.split())
    if len(line) > PREVIEW_CHARS:
        line = line[: PREVIEW_CHARS - 1].rstrip() + "…"
    return html.escape(line)


def read_by(seqs: Sequence[int], receipts: Iterable[tuple[str, int, str]]) -> dict[int, list[dict[str, str]]]:
    """seq → [{userId, readAt}]. `receipts`: (userId, upToSeq, readAt) of each reader, in any order. A reader
    read a message at the first of their receipts that reaches its seq (receipts only move forward)."""
    by_reader: dict[str, list[tuple[int, str]]] = {}
    for user_id, up_to, read_at in receipts:
        by_reader.setdefault(user_id, []).append((up_to, read_at))
    result: dict[int, list[dict[str, str]]] = {seq: [] for seq in seqs}
    for user_id, marks in sorted(by_reader.items()):
        marks.sort()
        for seq in seqs:
            covering = next((read_at for up_to, read_at in marks if up_to >= seq), None)
            if covering is not None:
                result[seq].append({"userId": user_id, "readAt": covering})
    return result
