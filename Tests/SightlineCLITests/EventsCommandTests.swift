import ArgumentParser
import Testing

@testable import sightline

@Suite struct EventsCommandTests {
    @Test func dumpParsesItsOptions() throws {
        let command = try Sightline.parseAsRoot([
            "events", "dump", "--format", "xml", "--threads", "2", "a.evtx", "b.evtx",
        ])
        let dump = try #require(command as? Events.Dump)
        #expect(dump.files == ["a.evtx", "b.evtx"])
        #expect(dump.format == "xml")
        #expect(dump.threads == 2)
    }

    @Test func dumpDefaults() throws {
        let dump = try #require(try Sightline.parseAsRoot(["events", "dump", "a.evtx"]) as? Events.Dump)
        #expect(dump.format == "jsonl")
        #expect(dump.threads == 1)
    }

    @Test(arguments: [
        ["events", "dump", "--format", "csv", "a.evtx"],
        ["events", "dump", "--threads", "0", "a.evtx"],
        ["events", "dump"],
        ["events", "stats"],
    ])
    func usageErrorsExitWithStatus2(arguments: [String]) {
        do {
            _ = try Sightline.parseAsRoot(arguments)
            Issue.record("\(arguments) parsed")
        } catch {
            #expect(Sightline.exitCode(for: error) == ExitCode(2))
        }
    }

    @Test func unreadableFileExitsWithStatus1() async throws {
        let stats = try #require(
            try Sightline.parseAsRoot(["events", "stats", "/nonexistent/x.evtx"]) as? Events.Stats
        )
        do {
            try await stats.run()
            Issue.record("stats succeeded")
        } catch {
            #expect(Sightline.exitCode(for: error) == ExitCode(1))
        }
        _ = stats
    }

    @Test func helpNamesTheSubcommands() {
        let help = Sightline.helpMessage(for: Events.self)
        #expect(help.contains("dump"))
        #expect(help.contains("stats"))
    }
}
