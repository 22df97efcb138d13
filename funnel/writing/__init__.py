"""The write API: add, set, move, win, lose, attach, init — plain values in, a result or diagnostics out.
May import funnel.model, funnel.store and funnel.frontmatter; never click or the views.
"""
