"""The file format's text layer: bytes of a record or schema.yaml → an untyped tree with line/col (reader),
and byte-exact edits of front-matter lines (editing). Imports nothing of funnel but `funnel.valueclass` (a leaf
itself, like errors.py): the leaf of the house.
"""
