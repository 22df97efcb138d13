"""The workspace on disk: paths of records, the workspace itself (root, load, ids), atomic files and the lock,
the cache, and what git's index proves of record files (gitrun.py starts git: the runner funnel.git builds
on, here so the cache may ask git too). May import funnel.model and funnel.frontmatter; never click or the views.
"""
