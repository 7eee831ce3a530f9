"""``python -m gpusetup``: the same CLI as the ``gpusetup`` command."""

from gpusetup.cli import main

main()
