"""The live loop's parts; :class:`w2le_live.pipeline.Pipeline` puts them together.

``clock`` (the time source every loop decision reads, injectable for tests), ``commands`` (typed control
messages the worker applies), ``mailbox`` (the worker -> output hand-off), ``schedule`` (the output decision as a
pure function), ``output`` (the output thread), ``worker`` (the tracking + translation thread), ``stats``.
"""
