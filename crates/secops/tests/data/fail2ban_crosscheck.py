#!/usr/bin/env python3
"""Replays a log through fail2ban's own sshd filter, FailManager and BanManager.

Cross-check for `tests/bruteforce.rs`: prints one line per ban
(`ban <ip> <start> <end> <failures>`, times as seconds since the first line) and the
ban count. fail2ban's jail only reads live logs (it ignores lines older than findtime),
so this script drives the same classes a jail uses with the clock (MyTime) set to
each line's time: Filter.processLine with filter.d/sshd.conf (mode normal), then
FailManager.addFailure / toBan when retries reach maxretry (banASAP), cleanup
every 100 lines (performSvc, at most every 5 s), BanManager.addBanTicket (which
prolongs a ban when an already banned address reaches maxretry again) and
BanManager.unBanList when the clock passes a ban's end. Defaults of jail.conf:
maxretry 5, findtime 10m, bantime 10m.

Usage (Debian: apt-get install fail2ban):
  python3 fail2ban_crosscheck.py OpenSSH_2k.log
"""
import sys

sys.path.insert(0, "/usr/lib/python3/dist-packages")
from fail2ban.client.fail2banregex import Fail2banRegex, get_opt_parser  # noqa: E402
from fail2ban.server.banmanager import BanManager  # noqa: E402
from fail2ban.server.failmanager import FailManager, FailManagerEmpty  # noqa: E402
from fail2ban.server.mytime import MyTime  # noqa: E402
from fail2ban.server.ticket import BanTicket, FailTicket  # noqa: E402

MAXRETRY, FINDTIME, BANTIME = 5, 600, 600

path = sys.argv[1]
opts, _ = get_opt_parser().parse_args([path, "sshd", "--usedns", "no"])
fr = Fail2banRegex(opts)
assert fr.readRegex("sshd", "fail")
flt = fr._filter
fm = FailManager()
fm.setMaxRetry(MAXRETRY)
fm.setMaxTime(FINDTIME)
bm = BanManager()
bm.setBanTime(BANTIME)
dd = flt.dateDetector

bans, t0, next_svc, proc = [], None, 0, 0
open_bans = {}
for lineno, line in enumerate(open(path, encoding="utf-8", errors="replace").read().split("\n"), 1):
    if not line:
        continue
    m = dd.matchTime(line)
    t = dd.getTime(line[m[0].start(1):m[0].end(1)], m)[0] if m[0] else None
    if t is None:
        continue
    t0 = t if t0 is None else t0
    MyTime.setTime(t)
    for ticket in bm.unBanList(t):
        ip = str(ticket.getID())
        b = open_bans.pop(ip, None)
        if b is not None:
            b[2] = ticket.getEndOfBanTime(BANTIME) - t0
    for (_, ip, ftime, fail) in flt.processLine(line):
        if fail.get("nofail"):
            continue
        if "-v" in sys.argv:
            print("fail line=%d ip=%s t=%d" % (lineno, ip, ftime - t0))
        tick = FailTicket(ip, ftime, data=fail)
        attempts = fm.addFailure(tick)
        if attempts >= MAXRETRY:
            try:
                ft = fm.toBan(ip)
            except FailManagerEmpty:
                ft = None
            if ft is not None:
                bt = BanTicket.wrap(ft)
                if bm.addBanTicket(bt):
                    b = [str(ip), ft.getTime() - t0, None, ft.getRetry(), lineno]
                    bans.append(b)
                    open_bans[str(ip)] = b
            if t >= next_svc:
                next_svc = t + 5
                fm.cleanup(t)
    proc += 1
    if proc % 100 == 0 and t >= next_svc:
        next_svc = t + 5
        fm.cleanup(t)
# Bans still open at the end of the log: end from the ban manager (prolongation included).
for b in bans:
    tk = bm.getTicketByID(b[0])
    if tk is not None and open_bans.get(b[0]) is b:
        b[2] = tk.getEndOfBanTime(BANTIME) - t0
for b in bans:
    print("ban %s start=%d end=%s failures=%d line=%d" % (b[0], b[1], "?" if b[2] is None else "%d" % b[2], b[3], b[4]))
print("bans", len(bans))
