"""What the chat says when a turn fails, chosen by the exception's type (never by its message text)."""

from __future__ import annotations

import logging

from embeddings.index import IndexStoreError
from qa.engine import QuestionError, ReleaseNotFoundError
from qa.generate import PromptTooLongError
from qa.models import ModelError, UnknownModelError
from ui.cli_errors import os_error_line

logger = logging.getLogger(__name__)


class InputError(ValueError):
    """A setting or input the user has to correct; the message says how."""


class EmptyIndexError(LookupError):
    pass


# Each type's message for the chat, "{exc}" standing for the exception's own message. The first
# matching row wins; none of these types derives from another in the table.
MESSAGES: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
    # Written for the user already: shown as they are. IndexStoreError covers MissingIndexError
    # and ModelMismatchError.
    ((QuestionError, ReleaseNotFoundError, InputError, EmptyIndexError, IndexStoreError), "{exc}"),
    (ModelError, "The language model is not available: {exc}."),
    (PromptTooLongError, "The passages are too long for the model ({exc}). Lower 'Passages per answer' in Settings."),
    (UnknownModelError, "The model failed: {exc}."),
)


def friendly_error(exc: BaseException) -> str:
    """A message for the chat; details and the traceback of anything unexpected go to the server log only."""
    for types, message in MESSAGES:
        if isinstance(exc, types):
            return message.format(exc=exc)
    if isinstance(exc, OSError):  # a file the turn reads or writes (the index's search files, the model's cache)
        line = os_error_line(exc)
        return line[0].upper() + line[1:]
    logger.error("turn failed", exc_info=exc)
    return (
        f"The model failed while writing the answer ({type(exc).__name__}). "
        "Try again, or pick another model in Settings."
    )
