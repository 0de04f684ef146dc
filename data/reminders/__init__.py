"""Invite reminders (domain.md §2), for `payapp reminders run` from cron or a systemd timer:
queue today's reminders into the outbox, then deliver the outbox (data/outbox_delivery.py).

- rule.py: which invites are reminded on which day;
- words.py: what a reminder says;
- queue.py: the reminders written with their emails, at most one per invite and day;
- job.py: one run (queue, then deliver) and who may run it on PostgreSQL.
"""
