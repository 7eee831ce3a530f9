"""The use cases, one module per command family: each takes plain arguments (and facts,
or the input files to read them from), returns a result object, and never prints or exits.
The CLI renders what they return; ``gpusetup/__init__`` offers them as the library.
"""
