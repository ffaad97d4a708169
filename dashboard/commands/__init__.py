"""Subcommands of ``xysiting``, one module each (see :mod:`dashboard.cli`)."""
