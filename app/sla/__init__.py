"""Business hours and SLA clocks, by concern.

- ``blocks``: a day's opening blocks, segment and day names, datetime checks;
- ``calendar``: a brand's business calendar (hours, holidays, business time);
- ``targets``: priority bands, SLA targets, due times and tickets' escalation;
- ``clock``: time left and the inbox colour of a clock;
- ``policy``: a brand's calendars and targets from its settings.

Which due time applies to a thread is the thread's rule: ``app.threads.due``.
"""
