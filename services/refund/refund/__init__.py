"""退费抵缴 Refund and offset service.

The payer ledger: payments, credits, refunds and offsets settled with banks (退费、抵缴).
"""
