"""``python -m symgrad`` works like the ``symgrad`` command."""

if __name__ == "__main__":  # worker processes import this module as __mp_main__
    from symgrad.cli import main

    main()
