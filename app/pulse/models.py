"""Pulse surveys, their questions and stores, the anonymous answers, and who has answered (kept apart)."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.dbtypes import UTCDateTime, utcnow
from app.extensions import db
from app.org.models import Store

MAX_ITEMS = 5  # optional 1–5 questions beside the eNPS one
# Store codes are read off a printed sheet: no 0/O, 1/I/L to mistake for one another.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class PulseStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class PulseError(ValueError):
    """A pulse survey action that the rules refuse (closed survey, store not surveyed, bad question)."""


def next_status(current: PulseStatus, wanted: PulseStatus) -> PulseStatus:
    """The one allowed transition: an open survey closes; a closed one stays closed (its answers are final)."""
    if current is PulseStatus.OPEN and wanted is PulseStatus.CLOSED:
        return wanted
    raise PulseError(f"a {current.value} survey cannot become {wanted.value}")


def new_store_code() -> str:
    """A printable code of 8 characters (40 bits), shown as XXXX-XXXX."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def new_answer_id() -> str:
    # Random, not a sequence: an answer's id says nothing about when it came compared with who answered.
    return secrets.token_hex(16)


class PulseSurvey(db.Model):
    __tablename__ = "pulse_surveys"
    __table_args__ = (sa.CheckConstraint("status IN ('open', 'closed')", name="known_status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    period: Mapped[str] = mapped_column(sa.String(10))
    whole_company: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(sa.String(10), default=PulseStatus.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(254), default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    questions: Mapped[list[PulseQuestion]] = relationship(
        back_populates="survey", order_by="PulseQuestion.position", cascade="all, delete-orphan"
    )
    stores: Mapped[list[PulseStore]] = relationship(back_populates="survey", cascade="all, delete-orphan")

    @property
    def is_open(self) -> bool:
        return self.status == PulseStatus.OPEN.value

    @property
    def enps_question(self) -> PulseQuestion:
        return self.questions[0]

    @property
    def items(self) -> list[PulseQuestion]:
        """The optional 1–5 questions, in order."""
        return self.questions[1:]


class PulseQuestion(db.Model):
    """Position 0 is the eNPS question (0–10); 1 to 5 the optional 1–5 questions. Each in French and English."""

    __tablename__ = "pulse_questions"
    __table_args__ = (
        sa.UniqueConstraint("survey_id", "position", name="uq_pulse_questions_position"),
        sa.CheckConstraint(f"position >= 0 AND position <= {MAX_ITEMS}", name="position_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("pulse_surveys.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    text_fr: Mapped[str] = mapped_column(sa.String(500))
    text_en: Mapped[str] = mapped_column(sa.String(500))

    survey: Mapped[PulseSurvey] = relationship(back_populates="questions")

    def text(self, language: str) -> str:
        return self.text_fr if language == "fr" else self.text_en


class PulseStore(db.Model):
    """A store the survey asks, with the code its staff without a login type to answer."""

    __tablename__ = "pulse_stores"

    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("pulse_surveys.id", ondelete="CASCADE"), primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"), primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(9), unique=True, default=new_store_code)

    survey: Mapped[PulseSurvey] = relationship(back_populates="stores")
    store: Mapped[Store] = relationship()


class PulseAnswer(db.Model):
    """One anonymous answer: the store and the scores, nothing that leads to a person.

    No employee id, no time, no sequence number: only the hash of a random key that the person who answered
    keeps (a signed cookie, and a code shown once), which lets them change it while the survey is open.
    """

    __tablename__ = "pulse_answers"
    __table_args__ = (sa.CheckConstraint("enps >= 0 AND enps <= 10", name="enps_range"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_answer_id)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("pulse_surveys.id", ondelete="CASCADE"), index=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"))
    enps: Mapped[int]
    # The optional 1–5 answers by position (1…5); a question left blank is absent.
    items: Mapped[dict[str, int]] = mapped_column(sa.JSON, default=dict)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


class PulseParticipation(db.Model):
    """That an employee has answered a survey (the one-answer rule), kept apart from what they answered."""

    __tablename__ = "pulse_participations"

    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("pulse_surveys.id", ondelete="CASCADE"), primary_key=True)
    employee_id: Mapped[int] = mapped_column(sa.ForeignKey("employees.id"), primary_key=True)
