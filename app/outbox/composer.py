"""Rules a reply must pass before it may leave: length per channel, signature, personal data."""

from __future__ import annotations

from dataclasses import dataclass

from app import triage

X_MAX = 280
FACEBOOK_MAX = 8000


@dataclass(frozen=True)
class DraftCheck:
    """The verdict on a draft, for the composer and the send use case."""

    text: str  # the text that would be posted (mention and signature added)
    length: int  # as the platform counts it
    limit: int
    pii: list[dict[str, object]]

    @property
    def too_long(self) -> bool:
        """Over the channel's limit."""
        return self.length > self.limit

    @property
    def remaining(self) -> int:
        """Characters left."""
        return self.limit - self.length


def platform_length(network: str, text: str) -> int:
    """Length as the platform counts it: X weights characters and counts URLs as 23."""
    if network == "x":
        # Imported here: twitter-text pulls in pkg_resources (about 11 MB resident), and
        # the web process counts a length only when an agent checks or sends a reply.
        from twitter_text import parse_tweet

        return int(parse_tweet(text).weightedLength)
    return len(text)


def final_text(network: str, body: str, *, handle: str | None, signature: str | None,
               public: bool) -> str:
    """The text as posted: the customer's @handle first on X (public), the signature last."""
    text = body.strip()
    if signature and not text.endswith(signature):
        text = f"{text} {signature}"
    if network == "x" and public and handle:
        mention = f"@{handle.lstrip('@')}"
        if not text.lower().startswith(mention.lower()):
            text = f"{mention} {text}"
    return text


def check_draft(network: str, body: str, *, handle: str | None, signature: str | None,
                public: bool) -> DraftCheck:
    """Check a draft: final text, platform length and limit, personal data spans in it."""
    text = final_text(network, body, handle=handle, signature=signature, public=public)
    limit = X_MAX if network == "x" else FACEBOOK_MAX
    spans = [s.to_dict() for s in triage.pii_detector().detect(text)] if public else []
    return DraftCheck(text=text, length=platform_length(network, text), limit=limit, pii=spans)
