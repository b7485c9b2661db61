"""Event kinds and message outcomes: ``str``-valued enums (members compare equal
to the wire text)."""

import enum

__all__ = ["UserEventKind", "ChannelEventKind", "MessageOutcome"]


class UserEventKind(str, enum.Enum):
    """What happened to a user (the ``type`` of a user event)."""

    LOGIN = "Login"
    LOGOUT = "Logout"

    def __str__(self) -> str:
        return str(self.value)


class ChannelEventKind(str, enum.Enum):
    """What happened in a channel (the ``type`` of a channel event)."""

    JOIN = "Join"
    LEAVE = "Leave"

    def __str__(self) -> str:
        return str(self.value)


class MessageOutcome(str, enum.Enum):
    """What the service said about a sent message (``MessageReceipt.outcome``)."""

    SENT = "message_sent"
    DELIVERED = "message_delivered"
    OFFLINE = "message_offline"

    def __str__(self) -> str:
        return str(self.value)
