"""``python -m civicflow``: the same command line as the ``civicflow`` script."""

from civicflow.cli import main

if __name__ == "__main__":
    main()
