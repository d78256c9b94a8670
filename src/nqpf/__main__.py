"""``python -m nqpf …`` runs the command line (same as the ``nqpf`` console script)."""

from nqpf.cli.main import main

if __name__ == "__main__":
    main()
