"""ISO 20022 messages between the relief platform and banks: builders (deterministic bytes),
strict parsers (errors name the element path) and an equivalent JSON form for each message.

=================  ==========================================  ======================
message            model                                       module
=================  ==========================================  ======================
pain.001.001.09    :class:`CreditTransferInitiation`           :mod:`iso20022.pain001`
pain.002.001.10    :class:`PaymentStatusReport`                :mod:`iso20022.pain002`
camt.054.001.08    :class:`DebitCreditNotification`            :mod:`iso20022.camt054`
camt.053.001.08    :class:`Statement`                          :mod:`iso20022.camt053`
=================  ==========================================  ======================
"""

from __future__ import annotations

from iso20022 import camt053, camt054, pain001, pain002
from iso20022.amounts import AmountFormatError, fen_to_yuan, yuan_to_fen
from iso20022.camt053 import Balance, Statement
from iso20022.camt054 import DebitCreditNotification
from iso20022.common import Party
from iso20022.entries import Entry, PaymentRemittance, ProjectRemittance
from iso20022.errors import MessageError
from iso20022.pain001 import CreditTransfer, CreditTransferInitiation
from iso20022.pain002 import PaymentStatusReport, TransactionStatus

__all__ = [
    "AmountFormatError",
    "Balance",
    "CreditTransfer",
    "CreditTransferInitiation",
    "DebitCreditNotification",
    "Entry",
    "MessageError",
    "Party",
    "PaymentRemittance",
    "PaymentStatusReport",
    "ProjectRemittance",
    "Statement",
    "TransactionStatus",
    "camt053",
    "camt054",
    "fen_to_yuan",
    "pain001",
    "pain002",
    "yuan_to_fen",
]
