"""The workspace pages, by area: clients.py (lookup, client page, injectables, booking),
diary.py (day sheets, attendance), manager.py (rules, audit, export, anonymisation)."""
