"""Imports: rows from csv/tsv/json/jsonl → typed records → the batch write, all or nothing.
May import funnel.model, funnel.store, funnel.writing and funnel.frontmatter; never click or the views.
"""
