"""The model in plain Python: schema, field types, conditions, typed records, gates, checks, timeline, aging.
May import funnel.frontmatter and funnel.errors only; never click, the terminal, git or the disk layout.
"""
