/*
   Sightline's own YARA rules, written for this project under its licence. `sightline investigate` always
   scans suspicious files with them; --yara adds yours.
*/

rule DarkSeoul_Wiper_Disk_Strings
{
    meta:
        author = "Sightline"
        description = "The wiper of the 20 March 2013 attack on South Korean banks and broadcasters (DarkSeoul): a Windows executable with the strings it wrote over master boot records and disks, or one of them beside the commands that killed AhnLab's and Hauri's antivirus processes"
        family = "Wiper"
        reference = "https://attack.mitre.org/software/S0041/"
        date = "2026-11-29"
    strings:
        $wipe1 = "PRINCPES" ascii
        $wipe2 = "PR!NCPES" ascii
        $wipe3 = "HASTATI." ascii
        $av1 = "pasvc.exe" ascii nocase
        $av2 = "clisvc.exe" ascii nocase
    condition:
        uint16(0) == 0x5A4D and (2 of ($wipe*) or (1 of ($wipe*) and all of ($av*)))
}
