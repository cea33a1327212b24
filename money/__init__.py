"""Money: prices kept on appointments, the clinic's deposit and fee policies, what is due for
an event (money/due.py, pure), and the ledger of payments staff record at the desk."""
