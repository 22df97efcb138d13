"""The workspace on disk: paths of records, the workspace itself (root, load, ids), atomic files and the lock,
the cache. May import funnel.model and funnel.frontmatter; never click or the views.
"""
