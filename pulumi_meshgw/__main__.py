"""``python -m pulumi_meshgw``: the ``meshgw`` command line."""

from pulumi_meshgw.cli import main

if __name__ == "__main__":
    main()
