"""python -m ctorch.compat script.py [args...]: run a PyTorch script on ctorch."""
import runpy
import sys

from . import install


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m ctorch.compat script.py [args...]\n"
              "Runs an unmodified PyTorch script with `torch` and `torchvision` resolved to ctorch.")
        return 0 if argv else 2
    install()
    sys.argv = list(argv)
    runpy.run_path(argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
