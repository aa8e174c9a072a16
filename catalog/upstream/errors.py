"""Outcome and UpstreamError: what an upstream call's failure tells about the upstream's state."""

import enum


class Outcome(enum.StrEnum):
    REJECTED = "rejected"  # definitive: the upstream answered {"error": ...}; nothing was created
    NOT_SENT = "not_sent"  # failed before the request left: safe to retry
    UNKNOWN = "unknown"  # may or may not have been processed: never resend a write


class UpstreamError(Exception):
    def __init__(self, message: str, *, outcome: Outcome, action: str | None = None):
        super().__init__(message)
        self.message = message
        self.outcome = Outcome(outcome)
        self.action = action

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple:
        # Keyword-only arguments defeat the default pickling (Celery results, multiprocessing).
        return _rebuild_error, (self.message, self.outcome.value, self.action)

    @property
    def permanent(self) -> bool:
        return self.outcome is Outcome.REJECTED

    @property
    def safe_to_retry(self) -> bool:
        return self.outcome is Outcome.NOT_SENT


def _rebuild_error(message: str, outcome: str, action: str | None) -> UpstreamError:
    return UpstreamError(message, outcome=Outcome(outcome), action=action)
