"""Command-line interface (``nqpf``). Each ``cmd_*`` module adds its commands to :data:`main.app`."""
