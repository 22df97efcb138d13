"""Everything that runs git: the repository (plumbing through one safe runner), and what funnel builds on it.
May import funnel.model, funnel.store, funnel.frontmatter and funnel.views; never click. Only repo.py runs git,
through store/gitrun.py's runner (which store/gitindex.py, the cache's view of git's index, shares).
"""
