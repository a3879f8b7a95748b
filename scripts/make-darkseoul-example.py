#!/usr/bin/env python3
"""Writes examples/darkseoul/logs/*.json and examples/darkseoul/files/agentbase.bin: a scripted intrusion in Sysmon and Security event logs
(JSON lines, in the shape the evtx crate writes) that follows the documented DarkSeoul playbook of
March 2013 against South Korean banks and broadcasters: spear-phishing, credential theft, a remote
logon to the patch-management server, abuse of that server to push a wiper (T1072) that kills the
antivirus and overwrites the master boot record, then forced reboots. Everything here is invented
for the example (hosts, users, hashes, addresses); run it again to regenerate the same files."""
import hashlib, json, os, sys

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'examples', 'darkseoul', 'logs')
os.makedirs(out, exist_ok=True)
SYSMON = ('Microsoft-Windows-Sysmon', '{5770385f-c22a-43e0-bf4c-06f5698ffbd9}', 'Microsoft-Windows-Sysmon/Operational')
SECURITY = ('Microsoft-Windows-Security-Auditing', '{54849625-5478-4994-a5ba-3e3b0328c30d}', 'Security')

# The suspicious file the responders recovered from an endpoint: a stand-in for the wiper the agents ran
# (C:\Windows\Temp\AgentBase.exe). Not malware: an MZ header, pseudo-random bytes and the strings the
# DarkSeoul wiper wrote over disks ("PRINCPES", "HASTATI.") and the antivirus processes it killed, which
# Sightline's own YARA rule (Sources/Investigation/YARA) looks for. The logs carry its real hashes.
def agentbase():
    import random
    rng = random.Random(20130320)
    body = bytearray(b"MZ" + bytes(58) + (0x80).to_bytes(4, "little") + bytes(0x80 - 64) + b"PE\0\0")
    body += bytes(rng.getrandbits(8) for _ in range(12000))
    body += b"taskkill /F /IM pasvc.exe\0taskkill /F /IM clisvc.exe\0shutdown -r -t 0 -f\0"
    body += b"PRINCPES" * 64 + b"HASTATI." * 64
    body += bytes(rng.getrandbits(8) for _ in range(4000))
    return bytes(body)

AGENTBASE = agentbase()
files = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'examples', 'darkseoul', 'files')
os.makedirs(files, exist_ok=True)
with open(os.path.join(files, 'agentbase.bin'), 'wb') as f:
    f.write(AGENTBASE)
WIPER_SHA256 = hashlib.sha256(AGENTBASE).hexdigest()
WIPER_MD5 = hashlib.md5(AGENTBASE).hexdigest()
records = {}

def event(host, provider, eid, time, data):
    name, guid, channel = provider
    records[host] = records.get(host, 1000) + 1
    return {"Event": {
        "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
        "System": {
            "Provider": {"#attributes": {"Name": name, "Guid": guid}},
            "EventID": eid, "Version": 5, "Level": 4, "Task": eid, "Opcode": 0,
            "Keywords": "0x8000000000000000",
            "TimeCreated": {"#attributes": {"SystemTime": time + ".000000Z"}},
            "EventRecordID": records[host], "Correlation": None,
            "Execution": {"#attributes": {"ProcessID": 2048, "ThreadID": 3072}},
            "Channel": channel, "Computer": host, "Security": {"#attributes": {"UserID": "S-1-5-18"}}},
        "EventData": data}}

def proc(host, time, image, cmd, parent, user, sha256=None, md5=None):
    # Invented hashes, one pair per file path (the same binary on every host, as a deployed file is).
    sha256 = sha256 or hashlib.sha256(image.lower().encode()).hexdigest()
    md5 = md5 or hashlib.md5(image.lower().encode()).hexdigest()
    return event(host, SYSMON, 1, time, {
        "RuleName": "-", "UtcTime": time.replace('T', ' ') + ".000", "ProcessGuid": "{00000000-0000-0000-0000-000000000000}",
        "ProcessId": 4242, "Image": image, "FileVersion": "-", "Description": "-", "Product": "-", "Company": "-",
        "CommandLine": cmd, "CurrentDirectory": "C:\\Windows\\system32\\", "User": user,
        "LogonGuid": "{00000000-0000-0000-0000-000000000000}", "LogonId": "0x3e7", "TerminalSessionId": 1,
        "IntegrityLevel": "High", "Hashes": "MD5=%s,SHA256=%s" % (md5, sha256),
        "ParentProcessGuid": "{00000000-0000-0000-0000-000000000000}", "ParentProcessId": 1000,
        "ParentImage": parent, "ParentCommandLine": '"%s"' % parent})

logs = {}
def add(host, e): logs.setdefault(host, []).append(e)

# 1. Spear-phishing on a bank employee's PC (10:12 KST, 18 March 2013), credential theft, discovery.
pc = "BANK-PC-014.bank.example.kr"
add(pc, proc(pc, "2013-03-18T00:55:00", "C:\\Windows\\explorer.exe", "C:\\Windows\\explorer.exe", "C:\\Windows\\System32\\userinit.exe", "BANK\\kim.jh"))
add(pc, proc(pc, "2013-03-18T01:12:40", "C:\\Users\\kim.jh\\AppData\\Local\\Microsoft\\Windows\\Temporary Internet Files\\Content.Outlook\\Q7XK2P1M\\Statement_201303.exe",
             "\"C:\\Users\\kim.jh\\AppData\\Local\\Microsoft\\Windows\\Temporary Internet Files\\Content.Outlook\\Q7XK2P1M\\Statement_201303.exe\"",
             "C:\\Program Files\\Microsoft Office\\Office14\\OUTLOOK.EXE", "BANK\\kim.jh"))
add(pc, proc(pc, "2013-03-18T01:40:05", "C:\\Windows\\System32\\rundll32.exe",
             "rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 624 C:\\Users\\Public\\lsass.dmp full",
             "C:\\Users\\kim.jh\\AppData\\Local\\Temp\\svc.exe", "BANK\\kim.jh"))
add(pc, proc(pc, "2013-03-18T02:05:13", "C:\\Windows\\System32\\net.exe", "net view /domain:BANK",
             "C:\\Windows\\System32\\cmd.exe", "BANK\\kim.jh"))
add(pc, proc(pc, "2013-03-18T02:30:00", "C:\\Program Files\\Internet Explorer\\iexplore.exe", "\"C:\\Program Files\\Internet Explorer\\iexplore.exe\"",
             "C:\\Windows\\explorer.exe", "BANK\\kim.jh"))

# 2. A remote interactive logon from that PC to the patch-management server with a stolen admin account.
pms = "PMS-01.bank.example.kr"
add(pms, event(pms, SECURITY, 4624, "2013-03-19T23:48:10", {
    "SubjectUserSid": "S-1-5-18", "SubjectUserName": "PMS-01$", "SubjectDomainName": "BANK", "SubjectLogonId": "0x3e7",
    "TargetUserSid": "S-1-5-21-1004336348-1177238915-682003330-1109", "TargetUserName": "kim.jh-adm",
    "TargetDomainName": "BANK", "TargetLogonId": "0x1f4a3c", "LogonType": 10, "LogonProcessName": "User32",
    "AuthenticationPackageName": "Negotiate", "WorkstationName": "BANK-PC-014",
    "LogonGuid": "{00000000-0000-0000-0000-000000000000}", "TransmittedServices": "-", "LmPackageName": "-",
    "KeyLength": 0, "ProcessId": "0x2a4", "ProcessName": "C:\\Windows\\System32\\winlogon.exe",
    "IpAddress": "10.10.3.14", "IpPort": "0"}))
add(pms, proc(pms, "2013-03-20T04:52:30", "C:\\Program Files\\PatchManager\\console\\apcdeploy.exe",
              "\"C:\\Program Files\\PatchManager\\console\\apcdeploy.exe\" /package C:\\Users\\kim.jh-adm\\AppData\\Local\\Temp\\AgentBase.exe /targets ALL /now",
              "C:\\Windows\\explorer.exe", "BANK\\kim.jh-adm"))

# 3. 14:00 KST, 20 March: every agent runs the pushed wiper, which kills the antivirus and wipes the disk.
endpoints = ["BANK-PC-%03d.bank.example.kr" % n for n in (101, 102, 103)] + \
            ["BCAST-PC-%03d.tv.example.kr" % n for n in (201, 202, 203)]
for i, host in enumerate(endpoints):
    m = "%02d" % (i % 6)
    add(host, event(host, SYSMON, 3, "2013-03-20T04:59:%s" % m, {
        "RuleName": "-", "UtcTime": "2013-03-20 04:59:%s.000" % m, "ProcessGuid": "{00000000-0000-0000-0000-000000000000}",
        "ProcessId": 1500, "Image": "C:\\Program Files\\PatchAgent\\pagent.exe", "User": "NT AUTHORITY\\SYSTEM",
        "Protocol": "tcp", "Initiated": True, "SourceIsIpv6": False, "SourceIp": "10.20.%d.%d" % (i, 10 + i),
        "SourceHostname": host, "SourcePort": 49300 + i, "SourcePortName": "-", "DestinationIsIpv6": False,
        "DestinationIp": "10.10.1.5", "DestinationHostname": "PMS-01.bank.example.kr", "DestinationPort": 8443,
        "DestinationPortName": "-"}))
    add(host, proc(host, "2013-03-20T05:00:%s" % m, "C:\\Windows\\Temp\\AgentBase.exe", "C:\\Windows\\Temp\\AgentBase.exe",
                   "C:\\Program Files\\PatchAgent\\pagent.exe", "NT AUTHORITY\\SYSTEM", WIPER_SHA256, WIPER_MD5))
    for av in ("pasvc.exe", "clisvc.exe"):
        add(host, proc(host, "2013-03-20T05:00:%s" % m, "C:\\Windows\\System32\\taskkill.exe", "taskkill /F /IM %s" % av,
                       "C:\\Windows\\Temp\\AgentBase.exe", "NT AUTHORITY\\SYSTEM"))
    add(host, event(host, SYSMON, 9, "2013-03-20T05:01:%s" % m, {
        "RuleName": "-", "UtcTime": "2013-03-20 05:01:%s.000" % m, "ProcessGuid": "{00000000-0000-0000-0000-000000000000}",
        "ProcessId": 4242, "Image": "C:\\Windows\\Temp\\AgentBase.exe", "Device": "\\Device\\Harddisk0\\DR0",
        "User": "NT AUTHORITY\\SYSTEM"}))
    add(host, proc(host, "2013-03-20T05:02:%s" % m, "C:\\Windows\\System32\\shutdown.exe", "shutdown -r -t 0 -f",
                   "C:\\Windows\\Temp\\AgentBase.exe", "NT AUTHORITY\\SYSTEM"))

# 4. Unrelated, benign activity elsewhere a month later (it must not join the campaign).
other = "HR-PC-007.bank.example.kr"
add(other, proc(other, "2013-04-22T02:00:00", "C:\\Windows\\System32\\notepad.exe", "notepad.exe C:\\Users\\lee\\todo.txt",
                "C:\\Windows\\explorer.exe", "BANK\\lee"))

for host, events in logs.items():
    with open(os.path.join(out, host.split('.')[0].lower() + ".json"), "w") as f:
        for e in events:
            f.write(json.dumps(e, ensure_ascii=False, sort_keys=False) + "\n")
print("wrote %d files, %d events to %s, and %s (MD5 %s)" % (len(logs), sum(len(v) for v in logs.values()), os.path.normpath(out),
      os.path.normpath(os.path.join(files, 'agentbase.bin')), WIPER_MD5))
