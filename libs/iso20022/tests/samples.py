"""One realistic instance of every message, shared by the golden-file and error tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from iso20022 import (
    Balance,
    CreditTransfer,
    CreditTransferInitiation,
    DebitCreditNotification,
    Entry,
    Party,
    PaymentRemittance,
    PaymentStatusReport,
    Statement,
    TransactionStatus,
)

CN = timezone(timedelta(hours=8))
BUREAU = Party(name="国家税务总局南通市税务局", account="3206000000000001")
PAYER = Party(name="南通海门建材有限公司 & Co. <test>", account="6222000011112222")


PAIN001 = CreditTransferInitiation(
    message_id="RF20200310-0001",
    created_at=datetime(2020, 3, 10, 9, 30, tzinfo=CN),
    initiating_party=BUREAU.name,
    payment_info_id="RF20200310-0001-P1",
    requested_execution_date=date(2020, 3, 11),
    debtor=BUREAU,
    debtor_agent="102306000001",
    transactions=(
        CreditTransfer(
            end_to_end_id="0f3c2a9e4b5d4c1e9a7b6c5d4e3f2a1b",
            amount_fen=123456,
            creditor=PAYER,
            remittance="2020-02 养老保险 退费",
        ),
        CreditTransfer(
            end_to_end_id="7a1b2c3d4e5f60718293a4b5c6d7e8f9",
            amount_fen=5,
            creditor=Party(name="如东县某某商贸有限公司", account="6217000000000000"),
            creditor_agent="103306000002",
        ),
    ),
)

PAIN002 = PaymentStatusReport(
    message_id="BK-STS-0001",
    created_at=datetime(2020, 3, 10, 9, 30, 1, tzinfo=CN),
    original_message_id=PAIN001.message_id,
    group_status="PART",
    original_payment_info_id=PAIN001.payment_info_id,
    transactions=(
        TransactionStatus(
            original_end_to_end_id=PAIN001.transactions[0].end_to_end_id,
            status="ACCP",
            accepted_at=datetime(2020, 3, 10, 9, 30, 1, tzinfo=CN),
        ),
        TransactionStatus(
            original_end_to_end_id=PAIN001.transactions[1].end_to_end_id,
            status="RJCT",
            reason_code="AC04",
            reason_text="closed account number",
            original_amount_fen=5,
        ),
    ),
)

PAYMENT = Entry(
    bank_reference="BK20200310000123",
    amount_fen=98765432,
    credit_debit="CRDT",
    booking_date=date(2020, 3, 10),
    value_date=date(2020, 3, 10),
    end_to_end_id="NOTPROVIDED",
    debtor=PAYER,
    remittance=PaymentRemittance(credit_code="91320684MA1MXXXX07", fee_period="2020-02", insurance="pension").text(),
)
REVERSAL = Entry(
    bank_reference="BK20200310000124",
    amount_fen=98765432,
    credit_debit="DBIT",
    reversal=True,
    booking_date=date(2020, 3, 10),
    value_date=date(2020, 3, 10),
    bank_transaction_code="PMNT/RCDT/RRTN",
    end_to_end_id="NOTPROVIDED",
    original_bank_reference=PAYMENT.bank_reference,
    debtor=PAYER,
)
REFUND_PAID = Entry(
    bank_reference="BK20200310000125",
    amount_fen=123456,
    credit_debit="DBIT",
    booking_date=date(2020, 3, 10),
    value_date=date(2020, 3, 10),
    bank_transaction_code="PMNT/ICDT/ESCT",
    end_to_end_id=PAIN001.transactions[0].end_to_end_id,
    creditor=PAYER,
)

CAMT054 = DebitCreditNotification(
    message_id="BK-NTF-0001",
    created_at=datetime(2020, 3, 10, 10, 0, tzinfo=CN),
    notification_id="BK-NTF-0001-1",
    account=BUREAU.account,
    entries=(PAYMENT,),
)

CAMT053 = Statement(
    message_id="BK-STM-20200310",
    created_at=datetime(2020, 3, 11, 6, 0, tzinfo=CN),
    statement_id="3206000000000001-20200310",
    statement_date=date(2020, 3, 10),
    account=BUREAU.account,
    opening_balance=Balance.of(100_000),
    closing_balance=Balance.of(100_000 + 98765432 - 98765432 - 123456),
    entries=(PAYMENT, REVERSAL, REFUND_PAID),
)

ALL = {"pain001": PAIN001, "pain002": PAIN002, "camt054": CAMT054, "camt053": CAMT053}
