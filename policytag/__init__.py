"""policytag: tag policy measures and named programmes in Chinese government texts."""

__version__ = "0.1.0"
