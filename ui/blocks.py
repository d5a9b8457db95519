"""The app's gr.Blocks, which words the requests Gradio refuses before any of pressqa's handlers runs.

The app launches with show_error=False, so that an unexpected exception never shows its text (paths, internals)
to a browser or script: Gradio then answers `{"error": null}`. That also silenced the refusals of Gradio's own
input checks, which are the caller's to fix; they are re-raised here as gr.Error, with the reason.
"""

from __future__ import annotations

import html
from typing import Any

import gradio as gr
from gradio.exceptions import InvalidPathError
from pydantic import ValidationError

NOT_UPLOADED = (
    "A file in the request was not uploaded to this server, and a path on the server is never read: "
    "upload the file itself (with gradio_client, pass handle_file(path))."
)


class Blocks(gr.Blocks):
    async def process_api(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            return await super().process_api(*args, **kwargs)
        except InvalidPathError:
            raise gr.Error(NOT_UPLOADED, print_exception=False) from None
        except ValidationError as exc:  # the request's data does not have the endpoint's shape
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            detail = f"{first.get('msg', 'invalid')}" + (f" (at {where})" if where else "")
            message = html.escape(f"The request does not fit the endpoint: {detail}.", quote=False)  # shown as HTML
            raise gr.Error(message, print_exception=False) from None
