"""The duty officers' persisted service: tables, database, migrations, users and console sessions,
audit, the stock ledger and its balances, support requests, dispatches and exports.

Domain functions take a SQLModel ``Session`` and never commit: the caller (an API route, a CLI
command) owns the transaction, so one request is one transaction.
"""
