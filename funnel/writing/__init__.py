"""The write API (`api.py`: add_contact, add_deal, set_fields, move, win, lose, attach; init in scaffold.py) —
plain values in, a WriteResult or a refusal with Diagnostics out; writes.py is the locked, validated, atomic
write under all of them. May import funnel.model, funnel.store and funnel.frontmatter; never click or the views.
"""
