"""The project's own exceptions, in one small module (messages name the culprit)."""


class PufabotError(Exception):
    """Base class of every error pufabot raises on purpose."""


class ConfigError(PufabotError):
    """The configuration is missing a key or has a wrong value; the message names the key."""


class StartupError(PufabotError):
    """The bot cannot start (a missing secret, Redis out of reach, the port taken); the message names
    the setting to fix."""


class BadRequest(PufabotError):
    """A webhook request that cannot be processed (bad XML, bad encryption, ...)."""

    def __init__(self, reason: str, status: int = 400):
        super().__init__(reason)
        self.reason = reason
        self.status = status


class SignatureError(BadRequest):
    def __init__(self, reason: str = "bad signature"):
        super().__init__(reason, 403)
