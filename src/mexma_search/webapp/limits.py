"""Gradio queue groups: each kind of event has its own concurrency limit, so searches never
wait behind uploads, polling or logins (jobs themselves run in the backend's workers).

Gradio bounds only the queue as a whole, so :func:`bound_group` also caps how many events of
one group may wait: a flood of logins is refused on its own instead of filling the queue that
searches need.
"""

from typing import Any

import gradio as gr

SEARCH: dict[str, Any] = {"concurrency_id": "search", "concurrency_limit": 4}
UPLOAD: dict[str, Any] = {"concurrency_id": "upload", "concurrency_limit": 2}
# progress polling of every open page (timers) and /job_status
POLL: dict[str, Any] = {"concurrency_id": "poll", "concurrency_limit": 8}
# scrypt is memory-hard: check one password at a time (throttled attempts answer at once)
LOGIN: dict[str, Any] = {"concurrency_id": "login", "concurrency_limit": 1}
LOGIN_WAITING = 16


def bound_group(blocks: gr.Blocks, concurrency_id: str, max_waiting: int) -> None:
    """Refuse new events of group ``concurrency_id`` (as Gradio refuses them when its whole
    queue is full) while ``max_waiting`` of them wait; call after ``blocks.queue()``."""
    queue = blocks._queue
    push = queue.push

    def full(fn_index: int | None) -> bool:
        fn = blocks.fns.get(fn_index) if fn_index is not None else None
        group = queue.event_queue_per_concurrency_id.get(concurrency_id)
        in_group = fn is not None and fn.concurrency_id == concurrency_id
        return in_group and group is not None and len(group.queue) >= max_waiting

    async def bounded_push(body: Any, request: Any, username: str | None) -> Any:
        if full(body.fn_index):
            return False, f"Too many {concurrency_id} requests waiting: try again.", "queue_full"
        return await push(body, request, username)

    queue.push = bounded_push  # type: ignore[method-assign]
