"""The one error every parser raises: it names the message, the element path and what is wrong."""

from __future__ import annotations


class MessageError(ValueError):
    """A message that does not follow the subset of ISO 20022 the platform speaks.

    ``path`` is the element path from the document root (``/Document/CstmrCdtTrfInitn/GrpHdr/MsgId``,
    repeated elements numbered from 1: ``CdtTrfTxInf[2]``), or a JSON location for the JSON forms.
    """

    def __init__(self, message: str, path: str, reason: str) -> None:
        super().__init__(f"{message}: {path}: {reason}")
        self.message = message
        self.path = path
        self.reason = reason
