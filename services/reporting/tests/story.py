"""A small story on the log, as the owning services publish it (complete events of their own
classes, valid against the contracts): three payers, 2020-02 and 2020-03, exemption, halving of
medical, a deferral, a payment before the relief, a credit refunded and a credit offset, an open
dispute and the medical policy; and a fourth, a general contractor whose construction project
insured per project (first month 2020-03, beside its own monthly work-injury line) is assessed,
paid in full, reassessed lower and its credit refunded ex officio. `expected_accounts` folds the ledger events independently, so a
test compares the reports with the events themselves, not with numbers written twice."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from classification.domain.dispute_events import DisputeFiled, DisputeTakenIn, Evidence
from classification.domain.events import Indicators, PeriodRange
from declaration.domain.events import (
    DeclarationContent,
    DeclarationLine,
    DeclarationSubmitted,
    Enrollment,
    PayerProfile,
    PayerRegistered,
)
from eventkit.crypto import Keyring, Sealed
from eventkit.envelope import Envelope
from eventkit.events import Event, new_envelope
from refdata.codes import make_credit_code
from refund.domain.events import (
    ACCOUNT_CONTEXT,
    Allocation,
    CreditArisen,
    Draw,
    DueLine,
    DueRecorded,
    OffsetApplied,
    PaymentReceived,
    RefundApproved,
    RefundInstructed,
    RefundRequested,
    RefundSettled,
    Remittance,
)
from relief_calc.domain.deferral_events import DeferralApproved
from relief_calc.domain.liability_events import Basis, Inputs, Liability, LiabilityAssessed, LiabilityLine
from relief_calc.domain.policies import default_policy_dir, parse_policy
from relief_calc.domain.policy_events import policy_published
from relief_calc.testing import project_liability, project_liability_envelope

MEDICAL_POLICY = "jiangsu-medical-2020-14"
MEDICAL_BASIS = Basis(policy=MEDICAL_POLICY, document="苏医保发〔2020〕14号", rule="medical-halved", clause="减征范围和期限")
PENSION_BASIS = Basis(policy="mohrss-2020-49", document="人社部发〔2020〕49号", rule="sme-exempt", clause="一")
# (insurance, relief, employer original, employer payable, individual) per line
A_LINES = (("pension", "exempt", 800_000, 0, 400_000), ("medical", "halved", 350_000, 175_000, 100_000))
B_LINES = (("pension", "halved", 1_000_000, 500_000, 500_000),)
C_LINES = (("pension", "exempt", 200_000, 0, 100_000),)
D_LINES = (("work_injury", "exempt", 30_000, 0, 0),)
RATES = {"pension": ("0.16", "0.08"), "medical": ("0.07", "0.02"), "work_injury": ("0.004", "0")}
PROJECT = "NT-2020-0301"
PREMIUM, PROJECT_RELIEF = 1_200_000, 1_000_000  # 10 of 12 planned months exempt


@dataclass
class Story:
    run: int = field(default_factory=lambda: secrets.randbelow(10**4))
    keyring: Keyring = field(default_factory=Keyring.generate)
    topics: dict[str, list[Envelope]] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)

    def code(self, letter: str, region: str) -> str:
        return make_credit_code(f"91{region}MA{self.run:04d}RP{letter}")

    @property
    def a(self) -> str:
        return self.code("A", "320600")

    @property
    def b(self) -> str:
        return self.code("B", "320600")

    @property
    def c(self) -> str:
        return self.code("C", "510400")

    @property
    def d(self) -> str:
        return self.code("D", "320600")

    def emit(self, topic: str, source: str, subject: str, stream: str, *events: Event) -> None:
        for event in events:
            self.versions[stream] = self.versions.get(stream, 0) + 1
            env = new_envelope(
                event, source=f"/relief/{source}", subject=subject, stream_id=stream, stream_version=self.versions[stream]
            )
            self.topics.setdefault(topic, []).append(env)

    # ---- the owning services' events ---------------------------------------------------------------
    def register(self, code: str, region: str, name: str, insurances: tuple[str, ...] = ("pension", "medical")) -> None:
        profile = PayerProfile(
            credit_code=code, name=name, unit_type="enterprise", region=region, industry_section="C", work_injury_class=2,
            enrollments=tuple(Enrollment(insurance=i, since="2015-01-01") for i in insurances),
        )  # fmt: skip
        self.emit("declaration.events", "declaration", code, f"payer-{code}", PayerRegistered(profile=profile))

    def declare(self, code: str, region: str, period: str, lines: tuple[tuple[str, str, int, int, int], ...]) -> None:
        declared = tuple(
            DeclarationLine(
                insurance=ins, headcount=10, base_fen=int(Decimal(original) / Decimal(RATES[ins][0])),
                employer_rate=RATES[ins][0], individual_rate=RATES[ins][1], employer_fen=original, individual_fen=individual,
            )
            for ins, _, original, _, individual in lines
        )  # fmt: skip
        content = DeclarationContent(
            declaration_id=f"D-{code}-{period}", credit_code=code, fee_period=period, revision=1, region=region,
            unit_type="enterprise", lines=declared, employer_fen=sum(x.employer_fen for x in declared),
            individual_fen=sum(x.individual_fen for x in declared),
        )  # fmt: skip
        self.emit(
            "declaration.events", "declaration", code, f"declaration-{code}-{period}", DeclarationSubmitted(declaration=content)
        )

    def assess(self, code: str, region: str, period: str, lines: tuple[tuple[str, str, int, int, int], ...]) -> None:
        made = tuple(
            LiabilityLine(
                insurance=ins, relief=relief, employer_original_fen=orig, employer_relief_fen=orig - pay,
                employer_payable_fen=pay, individual_fen=ind, basis=MEDICAL_BASIS if ins == "medical" else PENSION_BASIS,
            )
            for ins, relief, orig, pay, ind in lines
        )  # fmt: skip
        liability = Liability(
            credit_code=code, fee_period=period, region=region, unit_type="enterprise", status="final", size_used="small",
            due_date=f"{period}-15", lines=made, employer_original_fen=sum(x.employer_original_fen for x in made),
            employer_relief_fen=sum(x.employer_relief_fen for x in made), employer_payable_fen=sum(x.employer_payable_fen for x in made),
            individual_fen=sum(x.individual_fen for x in made),
            inputs=Inputs(
                declaration_id=f"D-{code}-{period}", declaration_revision=1, declaration_event_id=f"evt-{code}-{period}",
                size="small", size_source="assigned", size_event_id=None, policies=(),
            ),
        )  # fmt: skip
        self.emit("relief.events", "relief-calc", code, f"liability-{code}-{period}", LiabilityAssessed(liability=liability))

    def ledger(self, code: str, *events: Event) -> None:
        self.emit("refund.events", "refund", code, f"ledger-{code}", *events)

    def due(self, code: str, period: str, cause: str, *lines: tuple[str, str, int]) -> DueRecorded:
        return DueRecorded(
            credit_code=code, fee_period=period, cause=cause, source_event_id=secrets.token_hex(8), source_version=1,
            lines=tuple(DueLine(insurance=i, part=p, amount_fen=f, due_after_fen=max(f, 0)) for i, p, f in lines),
        )  # fmt: skip

    def payment(self, code: str, *allocations: tuple[str, str, str, int]) -> PaymentReceived:
        allocs = tuple(Allocation(fee_period=fp, insurance=i, part=p, amount_fen=f) for fp, i, p, f in allocations)
        return PaymentReceived(
            credit_code=code, payment_id=f"PAY-{secrets.token_hex(6)}", bank_reference=f"BR-{secrets.token_hex(6)}",
            amount_fen=sum(a.amount_fen for a in allocs), value_date="2020-03-10", remittance=Remittance(text="社保费"),
            allocations=allocs,
        )  # fmt: skip

    def build(self) -> Story:
        a, b, c = self.a, self.b, self.c
        self.register(a, "320600", "南通甲机械有限公司")
        self.register(b, "320600", "南通乙重工有限公司")
        self.register(c, "510400", "攀枝花丙钒钛有限公司")
        for period in ("2020-02", "2020-03"):
            self.declare(a, "320600", period, A_LINES)
            self.assess(a, "320600", period, A_LINES)
        self.declare(b, "320600", "2020-03", B_LINES)
        self.assess(b, "320600", "2020-03", B_LINES)
        self.declare(c, "510400", "2020-03", C_LINES)
        self.assess(c, "510400", "2020-03", C_LINES)
        now = datetime(2020, 4, 2, 9, tzinfo=UTC)
        self.emit(
            "relief.events", "relief-calc", b, f"deferral-DF{self.run}",
            DeferralApproved(
                application_id=f"DF{self.run}", credit_code=b, region="320600", step="decision", department="hr", role="hr_officer",
                officer="hr-1", opinion="同意", first_period="2020-03", last_period="2020-04", months=2, insurances=("pension",),
                due_date="2020-10-15", policies=(), at=now,
            ),
        )  # fmt: skip
        # A paid 2020-02 in full before the relief was known; the reassessment leaves two credits
        account = Sealed.seal("6222020200007654321", self.keyring, ACCOUNT_CONTEXT)
        c1, c2 = f"CR-{self.run}-1", f"CR-{self.run}-2"
        self.ledger(
            a,
            self.due(a, "2020-02", "assessed", ("pension", "employer", 800_000), ("pension", "individual", 400_000),
                     ("medical", "employer", 350_000), ("medical", "individual", 100_000)),
            self.payment(a, ("2020-02", "pension", "employer", 800_000), ("2020-02", "pension", "individual", 400_000),
                         ("2020-02", "medical", "employer", 350_000), ("2020-02", "medical", "individual", 100_000)),
            self.due(a, "2020-02", "reassessed", ("pension", "employer", -800_000), ("medical", "employer", -175_000)),
            CreditArisen(credit_code=a, credit_id=c1, fee_period="2020-02", insurance="pension", part="employer", amount_fen=800_000,
                         cause="reassessed", settlement="refund", rule="sat-2020-33"),
            CreditArisen(credit_code=a, credit_id=c2, fee_period="2020-02", insurance="medical", part="employer", amount_fen=175_000,
                         cause="reassessed", settlement="offset", rule="sat-2020-33"),
            self.due(a, "2020-03", "assessed", ("pension", "individual", 400_000), ("medical", "employer", 175_000),
                     ("medical", "individual", 100_000)),
            OffsetApplied(credit_code=a, credit_id=c2, fee_period="2020-03", insurance="medical", part="employer", amount_fen=175_000,
                          reason="offset"),
            self.payment(a, ("2020-03", "pension", "individual", 400_000), ("2020-03", "medical", "individual", 100_000)),
            RefundRequested(credit_code=a, refund_id=f"RF-{self.run}", amount_fen=800_000, draws=(Draw(credit_id=c1, amount_fen=800_000),),
                            account=account, account_index="idx", account_name="南通甲机械有限公司", requested_by="system", ex_officio=True),
            RefundApproved(credit_code=a, refund_id=f"RF-{self.run}", attempt=1, approver="officer-1", approvals=1, required=1),
            RefundInstructed(credit_code=a, refund_id=f"RF-{self.run}", end_to_end_id=f"RF-{self.run}", attempt=1, message_id="M1",
                             payload_sha256="0" * 64, amount_fen=800_000),
            RefundSettled(credit_code=a, refund_id=f"RF-{self.run}", attempt=1, message_id="M1", amount_fen=800_000, bank_reference="BK1"),
        )  # fmt: skip
        self.ledger(
            b,
            self.due(b, "2020-03", "assessed", ("pension", "employer", 500_000), ("pension", "individual", 500_000)),
            self.payment(b, ("2020-03", "pension", "individual", 500_000), ("2020-03", "pension", "employer", 100_000)),
        )
        self.emit(
            "classification.events", "classification", b, f"dispute-DS{self.run}",
            DisputeFiled(
                dispute_id=f"DS{self.run}", credit_code=b, statistical_year=2019, periods=PeriodRange(first="2020-02", last="2020-12"),
                current_size="large", claimed_size="medium", evidence=Evidence(industry="C34", indicators=Indicators(headcount=500)),
                reason="从业人员不足1000人", by="payer", role="payer", due=now + timedelta(days=15),
            ),
            DisputeTakenIn(dispute_id=f"DS{self.run}", by="centre-1", role="social_insurance_centre", note="受理", due=now + timedelta(days=30)),
        )  # fmt: skip
        self.project_story()
        policy = parse_policy((default_policy_dir() / f"{MEDICAL_POLICY}.yaml").read_text(encoding="utf-8"))
        self.emit(
            "policy.events",
            "relief-calc",
            policy.id,
            f"policy-{policy.id}",
            policy_published(policy, by="test", source="file:test"),
        )
        return self

    def project_story(self) -> None:
        """D's project: assessed before the construction-project policy (the whole premium due), paid
        in full naming the project, reassessed to its relief, the excess credited and refunded."""
        d, refund_id, credit_id = self.d, f"RF-{self.run}-P", f"CR-{self.run}-P"
        self.register(d, "320600", "南通丁建设工程有限公司", ("work_injury",))
        self.declare(d, "320600", "2020-03", D_LINES)
        self.assess(d, "320600", "2020-03", D_LINES)
        before, after = project_liability(d, PROJECT, PREMIUM, 0), project_liability(d, PROJECT, PREMIUM, PROJECT_RELIEF, 10)
        self.topics.setdefault("relief.events", []).extend(
            (project_liability_envelope(before, 1), project_liability_envelope(after, 2, before))
        )
        account = Sealed.seal("6222020200001234567", self.keyring, ACCOUNT_CONTEXT)
        due = self.due(d, "2020-03", "assessed", ("work_injury", "employer", PREMIUM)).model_copy(update={"project": PROJECT})
        lower = self.due(d, "2020-03", "reassessed", ("work_injury", "employer", -PROJECT_RELIEF))
        paid = self.payment(d, ("2020-03", "work_injury", "employer", PREMIUM))
        self.ledger(
            d,
            due,
            paid.model_copy(update={"allocations": tuple(a.model_copy(update={"project": PROJECT}) for a in paid.allocations)}),
            lower.model_copy(update={"project": PROJECT}),
            CreditArisen(credit_code=d, credit_id=credit_id, fee_period="2020-03", insurance="work_injury", part="employer",
                         amount_fen=PROJECT_RELIEF, cause="reassessed", settlement="refund", rule="projects", project=PROJECT),
            RefundRequested(credit_code=d, refund_id=refund_id, amount_fen=PROJECT_RELIEF,
                            draws=(Draw(credit_id=credit_id, amount_fen=PROJECT_RELIEF),), account=account, account_index="idx",
                            account_name="南通丁建设工程有限公司", requested_by="system", ex_officio=True),
            RefundApproved(credit_code=d, refund_id=refund_id, attempt=1, approver="officer-1", approvals=1, required=1),
            RefundInstructed(credit_code=d, refund_id=refund_id, end_to_end_id=refund_id, attempt=1, message_id="M2",
                             payload_sha256="0" * 64, amount_fen=PROJECT_RELIEF),
            RefundSettled(credit_code=d, refund_id=refund_id, attempt=1, message_id="M2", amount_fen=PROJECT_RELIEF,
                          bank_reference="BK2"),
        )  # fmt: skip

    # ---- what the reports must show, from the events themselves --------------------------------
    def expected_accounts(self) -> dict[tuple[str, str, str, str], dict[str, int]]:
        """(credit code, period, insurance, project or "") → the ledger sums folded from the story's refund events."""
        out: dict[tuple[str, str, str, str], dict[str, int]] = {}
        origins: dict[str, tuple[str, str, str, str]] = {}
        draws: dict[str, list[Draw]] = {}

        def add(key: tuple[str, str, str, str], column: str, fen: int) -> None:
            row = out.setdefault(
                key, dict.fromkeys(("due_fen", "paid_fen", "offset_in_fen", "credited_fen", "offset_out_fen", "refunded_fen"), 0)
            )
            row[column] += fen

        for env in self.topics.get("refund.events", []):
            d = env.data
            if env.type.endswith("DueRecorded.v1"):
                for line in d["lines"]:
                    add(
                        (d["credit_code"], d["fee_period"], line["insurance"], d.get("project") or ""),
                        "due_fen",
                        line["amount_fen"],
                    )
            elif env.type.endswith("PaymentReceived.v1"):
                for x in d["allocations"]:
                    add((d["credit_code"], x["fee_period"], x["insurance"], x.get("project") or ""), "paid_fen", x["amount_fen"])
            elif env.type.endswith("CreditArisen.v1"):
                origins[d["credit_id"]] = (d["credit_code"], d["fee_period"], d["insurance"], d.get("project") or "")
                add(origins[d["credit_id"]], "credited_fen", d["amount_fen"])
            elif env.type.endswith("OffsetApplied.v1"):
                add(origins[d["credit_id"]], "offset_out_fen", d["amount_fen"])
                add((d["credit_code"], d["fee_period"], d["insurance"], d.get("project") or ""), "offset_in_fen", d["amount_fen"])
            elif env.type.endswith("RefundRequested.v1"):
                draws[d["refund_id"]] = [Draw(**x) for x in d["draws"]]
            elif env.type.endswith("RefundSettled.v1"):
                for draw in draws[d["refund_id"]]:
                    add(origins[draw.credit_id], "refunded_fen", draw.amount_fen)
        return out
