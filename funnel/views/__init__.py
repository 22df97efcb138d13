"""What reading commands compute and lay out: check, queries, lists, cards, the board, reports and their text.
May import funnel.model, funnel.store and funnel.output; never click, and nothing here writes files.
"""
